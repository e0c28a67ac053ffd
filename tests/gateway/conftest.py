"""The gateway stack, synthesized ONCE per configuration and test session (synthesis takes
seconds): `gateway` as cdk.json has it (no services), `gateway_all` with every offered service
enabled, `gateway_org` with every service and an organisation id, `gateway_shared` with an
organisation id and its subnets shared with a member account and an OU (test_sharing.py).

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

from shared_gateway.perimeter import OFFERED

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO = Path(__file__).resolve().parents[2]
CDK_JSON = REPO / "shared_gateway" / "cdk.json"
STACK_FILE = "SlackgateGateway.template.json"
ACCOUNT, REGION = "123456789012", "eu-west-1"
# The pseudo parameters, for resolve_cfn; a reference to anything else is a test failure.
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


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

    def endpoints(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Every VPC endpoint by its short service name (`s3`, `execute-api`, ...)."""
        from shared_gateway.iampolicy import resolve_cfn

        found = {}
        for name, endpoint in self.resources("AWS::EC2::VPCEndpoint").items():
            service_name = resolve_cfn(endpoint["Properties"]["ServiceName"], PSEUDO)
            found[service_name.removeprefix(f"com.amazonaws.{REGION}.")] = (
                name,
                endpoint["Properties"],
            )
        return found

    def group(self, description_start: str) -> str:
        """The logical id of the one security group whose description starts so."""
        (found,) = [
            k
            for k, g in self.resources("AWS::EC2::SecurityGroup").items()
            if g["Properties"]["GroupDescription"].startswith(description_start)
        ]
        return found


def synthesize(tmp_path_factory: pytest.TempPathFactory, **context: Any) -> Synthesized:
    from shared_gateway.infra import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    overrides = {"slackgate:nag": True, **context}
    app, stack = build_app(cdk_json_context(**overrides), outdir=str(outdir))
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # validation failures; the template is written before
        error = str(exc)
    template = json.loads((outdir / STACK_FILE).read_text())
    return Synthesized(template=template, outdir=outdir, synth_error=error, stack=stack)


ALL_SERVICES = list(OFFERED)
ORGANIZATION_ID = "o-a1b2c3d4e5"


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory)


@pytest.fixture(scope="session")
def gateway_all(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory, **{"slackgate:services": ALL_SERVICES})


@pytest.fixture(scope="session")
def gateway_org(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(
        tmp_path_factory,
        **{"slackgate:services": ALL_SERVICES, "slackgate:organizationId": ORGANIZATION_ID},
    )


# The hub model's principals: a member account and an OU of ORGANIZATION_ID.
MEMBER_ACCOUNT = "210987654321"
TEAMS_OU = f"arn:aws:organizations::999999999999:ou/{ORGANIZATION_ID}/ou-ab12-teams0001"


@pytest.fixture(scope="session")
def gateway_shared(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(
        tmp_path_factory,
        **{
            "slackgate:organizationId": ORGANIZATION_ID,
            "slackgate:shareWith": [MEMBER_ACCOUNT, TEAMS_OU],
        },
    )


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
