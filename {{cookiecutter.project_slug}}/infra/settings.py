"""What this repository deploys: the answers given when it was generated.

The role and function are named ``slackgate-<team>-<function>``: the relay recognises the
team from that role name, so ``team`` must be the slug in the relay's registry and
``default_channel`` one of that team's channel aliases there.

``reads`` and ``writes`` are the AWS resources of this account the function may use (see
infra/resources.py for the forms). The role grants exactly those, nothing else. To add a
resource later: add it here and run ``make deploy``; the deploy checks first that the
gateway offers the service it needs.

``link_domains`` are the domains the relay lets this team's messages link to (and their
subdomains), and ``other_channels`` the team's channel aliases besides ``default_channel``:
both as the platform team registered them. ``make local``, ``make local-relay`` and the
tests run the relay's own policy with them (slackgate_local/), so keep them in step with
the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slackgate_local.relay.registry import CHANNEL_ALIAS, DOMAIN_NAME

from .resources import DataAccess, parse_declarations

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
    # What the function reads, e.g. ("s3://payments-reports/daily/", "dynamodb:settlements",
    # "ssm:/payments/threshold", "ssm:/payments/config/", "secretsmanager:payments/db").
    reads: tuple[str, ...] = ()
    # What it writes (S3, DynamoDB and SQS only), e.g. ("s3://payments-reports/summaries/",).
    writes: tuple[str, ...] = ()
    # Domains links may point to, e.g. ("example.com", "status.example.org"); () allows none.
    link_domains: tuple[str, ...] = ()
    # More of the team's channel aliases, e.g. ("payments-ops",).
    other_channels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A wrong declaration stops everything here (synth, tests, deploy), with every problem.
        parse_declarations(self.reads, self.writes)
        relay_problems = [
            f"link_domains: {domain!r} is not a domain name — write a bare host such as "
            '"example.com" (no scheme, port, path or wildcard)'
            for domain in self.link_domains
            if not DOMAIN_NAME.fullmatch(domain.lower())
        ] + [
            f"other_channels: {alias!r} is not a channel alias — 1-63 lowercase letters, "
            'digits and hyphens, as in the relay\'s registry, e.g. "payments-ops"'
            for alias in self.other_channels
            if not CHANNEL_ALIAS.fullmatch(alias)
        ]
        if relay_problems:
            raise ValueError("infra/settings.py:\n  " + "\n  ".join(relay_problems))

    @property
    def channels(self) -> tuple[str, ...]:
        """Every channel alias of the team, the default first."""
        return tuple(dict.fromkeys((self.default_channel, *self.other_channels)))

    @property
    def data_access(self) -> DataAccess:
        return parse_declarations(self.reads, self.writes)

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
{#- The tuples as ruff formats them: one short item on one line, more items one a line. #}
{%- for setting in ("reads", "writes", "link_domains") %}
{%- set declared = cookiecutter[setting].split(",") | map("trim") | select | list %}
{%- if declared | length == 1 and (declared[0] | tojson | length) + (setting | length) <= 91 %}
    {{ setting }}=({{ declared[0] | tojson }},),
{%- else %}
    {{ setting }}=({% for item in declared %}
        {{ item | tojson }},{% endfor %}{% if declared %}
    {% endif %}),
{%- endif %}
{%- endfor %}
)
