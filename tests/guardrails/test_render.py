"""Rendering and deploying: AWS's size limits, cfn-lint, the command, SSM and moto."""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from shared_gateway.__main__ import main
from shared_gateway.guardrails import GuardrailError, organization_policies, policy_size
from shared_gateway.guardrails.deploy import BOUNDARY_STACK, ORGANIZATION_STACK, deploy_stack
from shared_gateway.guardrails.documents import (
    MANAGED_POLICY_MAX_CHARACTERS,
    SCP_MAX_CHARACTERS,
    boundary_policy,
)
from shared_gateway.guardrails.published import read_published_network
from shared_gateway.guardrails.settings import GATEWAY_STACK, GuardrailSettings
from shared_gateway.guardrails.templates import boundary_template, organization_template

from .conftest import REGION, SG, SUBNETS, VPC

REPO = Path(__file__).resolve().parents[2]
NETWORK_ARGS = ["--vpc-id", VPC, "--subnet-ids", ",".join(SUBNETS), "--security-group-id", SG]


def _largest(settings: GuardrailSettings) -> GuardrailSettings:
    """Lambda's maximum of 16 subnets, long ids, three operators and an organisation."""
    fields = {f: getattr(settings, f) for f in settings.__dataclass_fields__}
    fields["subnet_ids"] = tuple(f"subnet-0123456789abcde{i:02x}" for i in range(16))
    fields["operators"] = tuple(
        f"arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Platform{i}_*"
        for i in range(3)
    )
    return GuardrailSettings(**fields)


def test_every_document_fits_aws_limits_even_at_its_largest(settings: GuardrailSettings) -> None:
    for documents in (organization_policies(settings), organization_policies(_largest(settings))):
        assert len(documents) == 4
        for document in documents:
            assert policy_size(document.content) <= SCP_MAX_CHARACTERS, document.name
            assert len(document.minified) == policy_size(document.content)
    largest = boundary_policy(_largest(settings))
    assert policy_size(largest.content) <= MANAGED_POLICY_MAX_CHARACTERS


def test_an_oversized_policy_is_refused_with_the_fix(settings: GuardrailSettings) -> None:
    fields = {f: getattr(settings, f) for f in settings.__dataclass_fields__}
    fields["operators"] = tuple(
        f"arn:aws:iam::*:role/operators/a-rather-long-path/with-a-long-role-name-{i}"
        for i in range(60)
    )
    with pytest.raises(GuardrailError, match="over AWS's size limit"):
        organization_policies(GuardrailSettings(**fields))


@pytest.mark.parametrize("which", ["organization", "boundary"])
def test_templates_pass_cfn_lint(settings: GuardrailSettings, which: str) -> None:
    from cfnlint.api import lint

    if which == "organization":
        template = organization_template(organization_policies(settings))
    else:
        template = boundary_template(boundary_policy(settings))
    matches = lint(json.dumps(template), regions=[REGION])
    assert not matches, "\n".join(map(str, matches))


def test_the_organization_template_attaches_the_minified_policies(
    settings: GuardrailSettings,
) -> None:
    documents = organization_policies(settings)
    resources = organization_template(documents)["Resources"].values()
    assert {r["Properties"]["Type"] for r in resources} == {
        "SERVICE_CONTROL_POLICY",
        "RESOURCE_CONTROL_POLICY",
    }
    for resource, document in zip(resources, documents, strict=True):
        assert resource["Properties"]["Content"] == document.minified
        assert resource["Properties"]["TargetIds"] == {"Ref": "TargetIds"}


def test_the_gateway_stack_name_is_the_gateways() -> None:
    from shared_gateway.infra.stack import STACK_NAME

    assert GATEWAY_STACK == STACK_NAME


def test_render_writes_the_documents_and_templates(tmp_path: Path, capsys) -> None:
    assert main(["guardrails", "render", *NETWORK_ARGS, "--out", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "slackgate-team-functions.json",
        "slackgate-team-identity.json",
        "slackgate-gateway-network.json",
        "slackgate-team-deploy-boundary.json",
        "organization.template.json",
        "boundary.template.json",
    } <= names
    functions = json.loads((tmp_path / "slackgate-team-functions.json").read_text())
    assert VPC in json.dumps(functions)
    assert "characters" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "which network?"),
        (
            ["--vpc-id", "vpc-1", "--subnet-ids", "subnet-1", "--security-group-id", "sg-1"],
            "not like",
        ),
        (["--from-ssm", *NETWORK_ARGS], "not both"),
        ([*NETWORK_ARGS, "--operator", "admin"], "not a role ARN pattern"),
    ],
)
def test_render_says_what_is_wrong(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    assert main(["guardrails", "render", *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def _publish(prefix: str = "/slackgate") -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=f"{prefix}/network/vpc-id", Value=VPC, Type="String")
    ssm.put_parameter(
        Name=f"{prefix}/network/subnet-ids", Value=",".join(SUBNETS), Type="StringList"
    )
    ssm.put_parameter(Name=f"{prefix}/network/function-sg-id", Value=SG, Type="String")


def test_from_ssm_reads_the_published_network(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        with pytest.raises(GuardrailError, match="missing"):
            read_published_network(boto3.client("ssm", region_name=REGION), "/slackgate")
        _publish()
        published = read_published_network(boto3.client("ssm", region_name=REGION), "/slackgate")
        assert (published.vpc_id, published.subnet_ids) == (VPC, frozenset(SUBNETS))
        code = main(
            ["guardrails", "render", "--from-ssm", "--region", REGION, "--out", str(tmp_path)]
        )
    assert code == 0
    assert SUBNETS[1] in (tmp_path / "slackgate-team-functions.json").read_text()


def test_deploy_creates_then_updates_the_stacks(settings: GuardrailSettings, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    boundary = boundary_policy(settings)
    with mock_aws(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto models AWS::Organizations::Policy as a no-op
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        template = boundary_template(boundary)
        assert deploy_stack(cloudformation, BOUNDARY_STACK, template) == "CREATE_COMPLETE"
        assert deploy_stack(cloudformation, BOUNDARY_STACK, template).startswith("UPDATE")
        iam = boto3.client("iam")
        (policy,) = iam.list_policies(Scope="Local")["Policies"]
        version = iam.get_policy_version(
            PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
        )
        document = version["PolicyVersion"]["Document"]
        if isinstance(document, str):
            document = json.loads(document)
        assert document == boundary.content
        organization = organization_template(organization_policies(settings))
        status = deploy_stack(
            cloudformation, ORGANIZATION_STACK, organization, {"TargetIds": "ou-abcd-12345678"}
        )
        assert status == "CREATE_COMPLETE"
        (stack,) = cloudformation.describe_stacks(StackName=ORGANIZATION_STACK)["Stacks"]
        (parameter,) = stack["Parameters"]
        assert parameter["ParameterKey"] == "TargetIds"
        assert "ou-abcd-12345678" in parameter["ParameterValue"]  # moto shows the parsed list


def test_deploy_needs_targets_or_single_account(capsys) -> None:
    assert main(["guardrails", "deploy", *NETWORK_ARGS, "--region", REGION]) == 2
    assert "--target-ids" in capsys.readouterr().err


def _dry_run(target: str, *variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-n", target, *variables], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_make_targets_render_offline_and_check_credentials_before_deploying() -> None:
    render = _dry_run(
        "guardrails", f"VPC_ID={VPC}", f"SUBNET_IDS={SUBNETS[0]}", f"SECURITY_GROUP_ID={SG}"
    )
    assert render.returncode == 0, render.stderr
    assert "shared_gateway guardrails render" in render.stdout
    assert "credentials" not in render.stdout
    deploy = _dry_run("guardrails-deploy", "TARGET_IDS=ou-abcd-12345678", "FROM_SSM=1")
    assert deploy.returncode == 0, deploy.stderr
    commands = deploy.stdout
    assert commands.index("shared_gateway.infra.credentials") < commands.index("guardrails deploy")
    assert "--target-ids ou-abcd-12345678" in commands
