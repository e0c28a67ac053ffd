"""The team repository deploys through its own CDK bootstrap, and under the guard rails'
single-account boundary: cdk.json names the bootstrap (qualifier, toolkit stack), and
`slackgate:permissionsBoundary` puts a boundary on every role of the stack. Proven on baked
projects, synthesized with cdk-nag, and by evaluating the role's creation under the rendered
boundary (shared_gateway.iampolicy) as the team's bounded CloudFormation execution role."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared_gateway.guardrails.boundary import BOUNDARY_NAME
from shared_gateway.guardrails.documents import boundary_policy
from shared_gateway.guardrails.settings import TEAM_TAG, GuardrailSettings
from shared_gateway.iampolicy import Combined, Request, decide, resolve_cfn
from shared_gateway.relay.registry import bootstrap_qualifier

from .conftest import ROOT, Baker
from .test_data_policy import REGION, Synthesized, run_synth, synthesize, template_refs

pytestmark = pytest.mark.slow

BOUNDARY_KEY = "slackgate:permissionsBoundary"
# Offline synthesis names cdk.json's placeholder account (slackgate:synth-account) in the
# boundary's ARN; a deploy names the account deployed to (CDK_DEFAULT_ACCOUNT).
ACCOUNT = "123456789012"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/{BOUNDARY_NAME}"
# The role a team's `cdk deploy` acts as: its bootstrap's CloudFormation execution role,
# tagged with the team (`cdk bootstrap --tags slackgate:team=payments`).
TEAM_DEPLOY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/cdk-payments-cfn-exec-role-{ACCOUNT}-{REGION}"
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def set_context(project: Path, key: str, value: Any) -> None:
    cdk_json = project / "cdk.json"
    settings = json.loads(cdk_json.read_text())
    settings["context"][key] = value
    cdk_json.write_text(json.dumps(settings, indent=2))


@pytest.fixture(scope="module")
def bounded(cookies_session, tmp_path_factory) -> Synthesized:
    # synthesize() fails on any cdk-nag finding: the boundary adds none.
    return synthesize(
        Baker(cookies_session),
        tmp_path_factory.mktemp("bounded"),
        before=lambda project: set_context(project, BOUNDARY_KEY, BOUNDARY_NAME),
        trigger="sqs",  # the trigger that adds the most resources around the role
    )


@pytest.fixture(scope="module")
def unbounded(cookies_session, tmp_path_factory) -> Synthesized:
    return synthesize(Baker(cookies_session), tmp_path_factory.mktemp("unbounded"), trigger="sqs")


def roles(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """Every role of the template, its properties resolved."""
    refs = template_refs(synthesized.template)
    found = {
        logical_id: resolve_cfn(resource["Properties"], refs)
        for logical_id, resource in synthesized.template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
    }
    assert found, "the stack has no role"
    return found


def create_role(role: dict[str, Any]) -> Request:
    """iam:CreateRole for this role as the team's CloudFormation execution role sends it:
    the role's tags and, when it has one, its boundary in the request's context."""
    tags = {tag["Key"]: tag["Value"] for tag in role.get("Tags", [])}
    context: dict[str, Any] = {
        "aws:PrincipalArn": TEAM_DEPLOY_ROLE,
        "aws:PrincipalAccount": ACCOUNT,
        f"aws:PrincipalTag/{TEAM_TAG}": "payments",
        "aws:TagKeys": list(tags),
        **{f"aws:RequestTag/{key}": value for key, value in tags.items()},
    }
    if "PermissionsBoundary" in role:
        context["iam:PermissionsBoundary"] = role["PermissionsBoundary"]
    arn = f"arn:aws:iam::{ACCOUNT}:role{role.get('Path', '/')}{role['RoleName']}"
    return Request("iam:CreateRole", arn, TEAM_DEPLOY_ROLE, context)


def under_the_boundary(request: Request) -> Combined:
    settings = GuardrailSettings(
        account=ACCOUNT,
        region=REGION,
        vpc_id="vpc-0123456789abcdef0",
        subnet_ids=("subnet-0123456789abcdef0",),
        security_group_id="sg-0123456789abcdef0",
    )
    return decide(request, identity=ADMIN, boundary=boundary_policy(settings).content)


def denied_by(result: Combined) -> str | None:
    for evaluation in result.evaluations.get("boundary", []):
        if evaluation.index is not None and not evaluation.allowed:
            return evaluation.sid
    return None


def test_with_the_key_set_every_role_carries_the_boundary(bounded: Synthesized) -> None:
    for logical_id, role in roles(bounded).items():
        assert role.get("PermissionsBoundary") == BOUNDARY_ARN, logical_id


def test_without_the_key_no_role_has_a_boundary(unbounded: Synthesized) -> None:
    for logical_id, role in roles(unbounded).items():
        assert "PermissionsBoundary" not in role, logical_id


def test_under_the_boundary_the_bounded_stack_may_create_its_roles(bounded: Synthesized) -> None:
    for logical_id, role in roles(bounded).items():
        result = under_the_boundary(create_role(role))
        assert result.allowed, f"{logical_id}: {result}"


def test_under_the_boundary_the_unbounded_stack_is_refused(unbounded: Synthesized) -> None:
    """What the preflight prevents: a repository without the setting, deployed through a
    bounded bootstrap, fails at its first CreateRole."""
    for logical_id, role in roles(unbounded).items():
        result = under_the_boundary(create_role(role))
        assert not result.allowed, logical_id
        assert denied_by(result) == "NewPrincipalsKeepTheBoundary", logical_id


def test_the_stack_deploys_through_the_teams_own_bootstrap(unbounded: Synthesized) -> None:
    """The qualifier in cdk.json reaches the synthesizer: the bootstrap version it checks and
    the roles it deploys with are those of `cdk bootstrap --qualifier payments`."""
    parameter = unbounded.template["Parameters"]["BootstrapVersion"]["Default"]
    assert parameter == "/cdk-bootstrap/payments/version"


def test_cdk_json_names_the_teams_bootstrap_with_the_registrys_qualifier(bake) -> None:
    team = "paymentsoperations"  # longer than a qualifier may be
    result = bake(team=team, default_channel="payments-alerts")
    assert result.exit_code == 0, result.exception
    settings = json.loads((result.project_path / "cdk.json").read_text())
    assert settings["toolkitStackName"] == f"SlackgateToolkit-{team}"
    assert settings["context"]["@aws-cdk/core:bootstrapQualifier"] == "paymentsop"
    assert bootstrap_qualifier(team) == "paymentsop"
    assert settings["context"][BOUNDARY_KEY] == ""


def test_a_boundary_given_as_an_arn_stops_synthesis_with_the_fix(bake, tmp_path: Path) -> None:
    result = bake(trigger="none")
    assert result.exit_code == 0, result.exception
    set_context(result.project_path, BOUNDARY_KEY, BOUNDARY_ARN)
    run = run_synth(result.project_path, tmp_path / "cdk.out")
    assert run.returncode != 0
    assert (
        f"cdk.json: {BOUNDARY_KEY} = '{BOUNDARY_ARN}' is not a managed policy name — write the "
        'name only, e.g. "slackgate-team-deploy-boundary" (not its ARN)'
    ) in run.stderr


PREFLIGHT_IN_MOTO = """
import json, sys
from moto import mock_aws
import boto3
with mock_aws():
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                "Resource": "*"}]}
    boto3.client("iam").create_policy(PolicyName=sys.argv[1], PolicyDocument=json.dumps(document))
    from scripts import preflight
    sys.exit(preflight.main())
"""


def fenced_block_after(text: str, marker: str) -> str:
    """The first fenced block after `marker`, without its fences."""
    rest = text[text.index(marker) :]
    start = rest.index("```")
    body_start = rest.index("\n", start) + 1
    return rest[body_start : rest.index("```", body_start)]


def test_the_guide_shows_what_the_preflight_prints(bake, tmp_path: Path) -> None:
    """docs/team-template.md's example: a baked project's preflight in an account (moto) that
    has the guard rails' boundary and no bootstrap for the team."""
    result = bake()
    assert result.exit_code == 0, result.exception
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "MOTO_ACCOUNT_ID": "111111111111",  # the guide's account
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    run = subprocess.run(
        [sys.executable, "-c", PREFLIGHT_IN_MOTO, BOUNDARY_NAME],
        cwd=result.project_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    guide = (ROOT / "docs" / "team-template.md").read_text(encoding="utf-8")
    shown = fenced_block_after(guide, "### First deploy in an account: the team's CDK bootstrap")
    assert shown in run.stderr, run.stderr


def test_the_readme_command_is_the_preflights(bake) -> None:
    team = "paymentsoperations"
    result = bake(team=team, default_channel="payments-alerts")
    assert result.exit_code == 0, result.exception
    readme = (result.project_path / "README.md").read_text(encoding="utf-8")
    command = " ".join(
        fenced_block_after(readme, "It deploys through this team's own CDK bootstrap")
        .replace("\\\n", " ")
        .split()
    )
    assert command == (
        f"npx cdk bootstrap aws://<account>/{REGION} --qualifier paymentsop "
        f"--toolkit-stack-name SlackgateToolkit-{team} --tags slackgate:team={team}"
    )
