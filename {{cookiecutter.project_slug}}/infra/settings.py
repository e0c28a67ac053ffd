"""What this repository deploys: the answers given when it was generated.

The role and function are named ``slackgate-<team>-<function>``: the relay recognises the
team from that role name, so ``team`` must be the slug in the relay's registry and
``default_channel`` one of that team's channel aliases there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO_ROOT / "src"


@dataclass(frozen=True)
class Settings:
    team: str
    function_name: str
    default_channel: str
    aws_region: str
    python_version: str
    ssm_prefix: str
    trigger: str
    schedule_expression: str
    package_name: str

    @property
    def role_name(self) -> str:
        return f"slackgate-{self.team}-{self.function_name}"

    @property
    def stack_name(self) -> str:
        return self.role_name

    @property
    def handler(self) -> str:
        return f"{self.package_name}.handler.handler"


SETTINGS = Settings(
    team={{ cookiecutter.team | tojson }},
    function_name={{ cookiecutter.function_name | tojson }},
    default_channel={{ cookiecutter.default_channel | tojson }},
    aws_region={{ cookiecutter.aws_region | tojson }},
    python_version={{ cookiecutter.python_version | tojson }},
    ssm_prefix={{ cookiecutter.ssm_prefix | tojson }},
    trigger={{ cookiecutter.trigger | tojson }},
    schedule_expression={{ cookiecutter.schedule_expression | tojson }},
    package_name={{ cookiecutter.package_name | tojson }},
)
