"""The gateway stack, synthesized ONCE per test session (synthesis takes seconds).

The synthesis runs with the cdk-nag packs on; a finding makes `app.synth()` raise, which
is recorded (not raised) so that the template tests still run and the compliance test
reports the findings.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO = Path(__file__).resolve().parents[2]
CDK_JSON = REPO / "shared_gateway" / "cdk.json"
STACK_FILE = "SlackgateGateway.template.json"


def cdk_json_context(**overrides: Any) -> dict[str, Any]:
    """The context from shared_gateway/cdk.json, as the CDK CLI would pass it."""
    context = json.loads(CDK_JSON.read_text())["context"]
    context.update(overrides)
    return context


@dataclass
class Synthesized:
    template: dict[str, Any]
    outdir: Path
    synth_error: str | None
    stack: Any

    def resources(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == type_name}

    def one(self, type_name: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(type_name)
        assert len(found) == 1, f"expected one {type_name}, found {sorted(found)}"
        return next(iter(found.items()))


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from shared_gateway.infra import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(cdk_json_context(**{"slackgate:nag": True}), outdir=str(outdir))
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # validation failures; the template is written before
        error = str(exc)
    template = json.loads((outdir / STACK_FILE).read_text())
    return Synthesized(template=template, outdir=outdir, synth_error=error, stack=stack)


def resolve_join(value: Any) -> str:
    """Renders a string value with intrinsics as text: {"Ref": "X"} -> "${X}"."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve_join(p) for p in parts)
    raise AssertionError(f"cannot render {value!r}")
