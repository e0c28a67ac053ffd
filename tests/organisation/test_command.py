"""`python -m shared_gateway organisation render|deploy`: values from arguments or SSM (moto),
the hub stack deployed with boto3 (moto), every error said with its fix, the make targets."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from shared_gateway.__main__ import main
from shared_gateway.organisation.command import HUB_FILE, MEMBER_FILE
from shared_gateway.organisation.published import read_hub_values
from shared_gateway.organisation.settings import OrganisationError
from shared_gateway.organisation.templates import HUB_STACK, STACK_SET

from .conftest import API_ID, API_URL, HUB, ORG, REGION, REPO, SG, SUBNETS, VPC

VALUES = [
    "--vpc-id",
    VPC,
    "--subnet-ids",
    ",".join(SUBNETS),
    "--security-group-id",
    SG,
    "--api-url",
    API_URL,
    "--api-id",
    API_ID,
    "--region",
    REGION,
]


def parameters(out: Path) -> dict[str, str]:
    template = json.loads((out / MEMBER_FILE).read_text())
    return {
        r["Properties"]["Name"]: r["Properties"]["Value"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SSM::Parameter"
    }


def test_render_from_arguments_takes_the_rest_from_cdk_json(tmp_path: Path, capsys) -> None:
    assert main(["organisation", "render", *VALUES, "--out", str(tmp_path)]) == 0
    found = parameters(tmp_path)
    cdk = json.loads((REPO / "shared_gateway" / "cdk.json").read_text())["context"]
    assert found["/slackgate/api/account"] == cdk["slackgate:account"]
    assert found["/slackgate/network/subnet-ids"] == ",".join(SUBNETS)
    assert found["/slackgate/network/services"].startswith("execute-api,logs")
    hub = json.loads((tmp_path / HUB_FILE).read_text())
    assert hub["Resources"]["MemberStackSet"]["Properties"]["StackSetName"] == STACK_SET
    assert "bytes as the TemplateBody" in capsys.readouterr().out


def test_render_options_reach_the_templates(tmp_path: Path) -> None:
    auditor = f"arn:aws:iam::{HUB}:role/platform/auditor"
    args = ["--audit-role-name", "org-audit", "--auditor", auditor, "--call-as", "SELF"]
    args += ["--organization-id", ORG, "--api-account", HUB, "--services", "s3"]
    assert main(["organisation", "render", *VALUES, *args, "--out", str(tmp_path)]) == 0
    member = json.loads((tmp_path / MEMBER_FILE).read_text())
    role = member["Resources"]["AuditRole"]["Properties"]
    assert role["RoleName"] == "org-audit"
    condition = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    assert condition == {
        "ArnLike": {"aws:PrincipalArn": [auditor]},
        "StringEquals": {"aws:PrincipalOrgID": ORG},
    }
    assert parameters(tmp_path)["/slackgate/network/services"] == "execute-api,logs,s3"
    hub = json.loads((tmp_path / HUB_FILE).read_text())
    assert hub["Resources"]["MemberStackSet"]["Properties"]["CallAs"] == "SELF"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", REGION], "which values? missing --vpc-id, --subnet-ids"),
        ([*VALUES[:-4], "--region", REGION], "missing --api-id"),
        (["--from-ssm", *VALUES], "not both"),
        ([*VALUES, "--vpc-id", "vpc-1"], "VPC id 'vpc-1' is not like"),
        ([*VALUES, "--api-url", "https://example.com/prod"], "is not the API's"),
        ([*VALUES, "--services", "sns"], "'sns' is refused"),
        ([*VALUES, "--auditor", "arn:aws:iam::210987654321:role/a"], "not of the hub's account"),
        ([*VALUES, "--organization-id", "org"], "organisation id 'org'"),
    ],
)
def test_render_says_what_is_wrong(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    assert main(["organisation", "render", *args, "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("slackgate organisation: ")
    assert message in error
    assert not (tmp_path / MEMBER_FILE).exists()


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.mark.parametrize(
    "args",
    [
        ["render", "--from-ssm", "--region", REGION],
        ["deploy", *VALUES, "--ou-ids", "ou-ab12-cd34ef56"],
    ],
    ids=["from-ssm", "deploy"],
)
def test_without_credentials_nothing_is_sent(no_credentials: None, capsys, args) -> None:
    sent: list[str] = []
    session_init = boto3.Session.__init__

    def recording(self: boto3.Session, *a: object, **k: object) -> None:
        session_init(self, *a, **k)  # type: ignore[arg-type]
        self.events.register("before-call", lambda model, **_: sent.append(model.name))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3.Session, "__init__", recording)
        assert main(["organisation", *args]) == 2
    error = capsys.readouterr().err
    assert "No AWS credentials found, so nothing was sent to AWS" in error
    assert "AWS_PROFILE" in error
    assert sent == []


@pytest.mark.parametrize(
    ("ou_ids", "message"),
    [([], "give --ou-ids"), (["--ou-ids", "team-accounts"], "not like ou-")],
)
def test_deploy_needs_the_ous(capsys, ou_ids: list[str], message: str) -> None:
    assert main(["organisation", "deploy", *VALUES, *ou_ids]) == 2
    assert message in capsys.readouterr().err


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", HUB)
    with mock_aws():
        yield


def publish(*, with_account: bool = True, prefix: str = "/slackgate") -> None:
    """The gateway's parameters, as its stack publishes them."""
    ssm = boto3.client("ssm", region_name=REGION)
    values = {
        "network/vpc-id": ("String", VPC),
        "network/subnet-ids": ("StringList", ",".join(SUBNETS)),
        "network/function-sg-id": ("String", SG),
        "network/services": ("StringList", "execute-api,logs"),
        "network/organization-id": ("String", ORG),
        "api/url": ("String", API_URL),
        "api/id": ("String", API_ID),
        "api/account": ("String", HUB),
    }
    if not with_account:
        del values["api/account"]
    for suffix, (kind, value) in values.items():
        ssm.put_parameter(Name=f"{prefix}/{suffix}", Type=kind, Value=value)


def test_from_ssm_copies_what_the_gateway_published(aws: None, tmp_path: Path) -> None:
    publish()
    code = main(
        ["organisation", "render", "--from-ssm", "--region", REGION, "--out", str(tmp_path)]
    )
    assert code == 0
    assert parameters(tmp_path) == {
        "/slackgate/network/vpc-id": VPC,
        "/slackgate/network/subnet-ids": ",".join(SUBNETS),
        # By design the member account's own group, not the gateway's SG (not shared).
        "/slackgate/network/function-sg-id": {"Ref": "FunctionSecurityGroup"},
        "/slackgate/network/services": "execute-api,logs",
        "/slackgate/network/organization-id": ORG,
        "/slackgate/api/url": API_URL,
        "/slackgate/api/id": API_ID,
        "/slackgate/api/account": HUB,
    }


def test_from_ssm_names_what_is_missing(aws: None) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    with pytest.raises(OrganisationError, match="network/vpc-id, /slackgate/network/subnet-ids"):
        read_hub_values(ssm, "/slackgate", REGION)
    publish(with_account=False)
    with pytest.raises(OrganisationError, match="api/account is published since"):
        read_hub_values(ssm, "/slackgate", REGION)


# moto has no AWS::CloudFormation::StackSet: it keeps the template and warns.
@pytest.mark.filterwarnings("ignore:Tried to parse AWS..CloudFormation..StackSet")
def test_deploy_creates_then_updates_the_hub_stack(aws: None, capsys) -> None:
    args = ["organisation", "deploy", *VALUES, "--ou-ids", "ou-ab12-cd34ef56,ou-ab12-teams0001"]
    assert main(args) == 0
    assert f"{HUB_STACK}: CREATE_COMPLETE" in capsys.readouterr().out
    assert main(args) == 0
    assert f"{HUB_STACK}: " in capsys.readouterr().out
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    [stack] = cloudformation.describe_stacks(StackName=HUB_STACK)["Stacks"]
    [parameter] = stack["Parameters"]
    assert parameter["ParameterKey"] == "OrganizationalUnitIds"
    assert "ou-ab12-teams0001" in parameter["ParameterValue"]
    body = cloudformation.get_template(StackName=HUB_STACK)["TemplateBody"]
    template = body if isinstance(body, dict) else json.loads(body)
    stack_set = template["Resources"]["MemberStackSet"]["Properties"]
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"


def _dry_run(target: str, *variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-n", target, *variables], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_make_targets_render_offline_and_check_credentials_before_deploying() -> None:
    render = _dry_run("organisation", f"VPC_ID={VPC}", f"API_ID={API_ID}", "CALL_AS=SELF")
    assert render.returncode == 0, render.stderr
    assert "shared_gateway organisation render" in render.stdout
    assert f"--vpc-id {VPC}" in render.stdout and "--call-as SELF" in render.stdout
    assert "credentials" not in render.stdout
    deploy = _dry_run("organisation-deploy", "OU_IDS=ou-ab12-cd34ef56", "FROM_SSM=1")
    assert deploy.returncode == 0, deploy.stderr
    commands = deploy.stdout
    assert commands.index("shared_gateway.infra.credentials") < commands.index(
        "organisation deploy"
    )
    assert "--ou-ids ou-ab12-cd34ef56" in commands and "--from-ssm" in commands
