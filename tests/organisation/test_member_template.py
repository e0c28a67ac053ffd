"""The member stack: the gateway's parameter names (from the synthesized gateway) with the hub's
values, cfn-lint clean, deployed to moto in a member account, and the team template's own
parameters resolving there; the hub's StackSet around it."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared_gateway.organisation import MemberSettings, hub_template, member_template
from shared_gateway.organisation.audit_role import permission_policy, trust_policy
from shared_gateway.organisation.settings import HubValues, OrganisationError
from shared_gateway.organisation.templates import (
    FUNCTION_GROUP,
    GATEWAY_VPC_CIDR,
    STACK_SET,
    TEMPLATE_BODY_MAX_BYTES,
    template_body,
)
from shared_gateway.perimeter import OFFERED
from tests.gateway.conftest import Synthesized, synthesize

from .conftest import (
    API_ID,
    API_URL,
    AUDITOR,
    HUB,
    MEMBER,
    ORG,
    REGION,
    SG,
    SUBNETS,
    VPC,
    hub_values,
)

ALL_SERVICES = list(OFFERED)


def ssm_parameters(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["Name"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SSM::Parameter"
    }


@pytest.fixture(scope="module")
def gateway_org(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The gateway in organisation mode with every service: all eight parameters."""
    return synthesize(
        tmp_path_factory,
        **{"slackgate:services": ALL_SERVICES, "slackgate:organizationId": ORG},
    )


@pytest.fixture(scope="module")
def gateway_account(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory)


@pytest.mark.slow
def test_the_member_creates_exactly_the_parameters_the_gateway_publishes(
    gateway_org: Synthesized, gateway_account: Synthesized
) -> None:
    for gateway, organization_id, services in (
        (gateway_org, ORG, ALL_SERVICES),
        (gateway_account, "", []),
    ):
        published = ssm_parameters(gateway.template)
        hub = hub_values(organization_id=organization_id, services=HubValues.services_of(services))
        member = ssm_parameters(member_template(MemberSettings(hub=hub)))
        assert {n: p["Type"] for n, p in member.items()} == {
            n: p["Type"] for n, p in published.items()
        }
        assert "/slackgate/api/account" in member
        # services_of writes the list as the gateway does.
        value = published["/slackgate/network/services"]["Value"]
        assert member["/slackgate/network/services"]["Value"] == value


def test_the_parameters_hold_the_hubs_values_as_published(settings: MemberSettings) -> None:
    member = ssm_parameters(member_template(settings))
    assert {name: p["Value"] for name, p in member.items()} == {
        "/slackgate/network/vpc-id": VPC,
        "/slackgate/network/subnet-ids": ",".join(SUBNETS),  # the published order
        # By design not the gateway's SG: this account's own group (the gateway's is not shared).
        "/slackgate/network/function-sg-id": {"Ref": FUNCTION_GROUP},
        "/slackgate/network/services": "execute-api,logs,s3",
        "/slackgate/network/organization-id": ORG,
        "/slackgate/api/url": API_URL,
        "/slackgate/api/id": API_ID,
        "/slackgate/api/account": HUB,
    }


def test_the_member_group_is_in_the_vpc_with_https_egress_to_it_only(
    settings: MemberSettings,
) -> None:
    group = member_template(settings)["Resources"][FUNCTION_GROUP]
    assert group["Type"] == "AWS::EC2::SecurityGroup"
    properties = group["Properties"]
    assert properties["VpcId"] == VPC
    assert "SecurityGroupIngress" not in properties
    rules = [
        (r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIp"])
        for r in properties["SecurityGroupEgress"]
    ]
    assert rules == [("tcp", 443, 443, GATEWAY_VPC_CIDR)]
    assert {"Key": "slackgate:managed", "Value": "true"} in properties["Tags"]


@pytest.mark.slow
def test_the_member_groups_cidr_is_the_gateways_vpc(gateway_account: Synthesized) -> None:
    vpcs = [
        r["Properties"]["CidrBlock"]
        for r in gateway_account.template["Resources"].values()
        if r["Type"] == "AWS::EC2::VPC"
    ]
    assert vpcs == [GATEWAY_VPC_CIDR]


def test_a_prefix_other_than_the_default_names_every_parameter(settings: MemberSettings) -> None:
    other = MemberSettings(hub=hub_values(prefix="/platform/slackgate"))
    names = set(ssm_parameters(member_template(other)))
    assert names == {
        n.replace("/slackgate/", "/platform/slackgate/", 1)
        for n in ssm_parameters(member_template(settings))
    }
    policy = permission_policy(other)["Statement"][1]["Resource"]["Fn::Sub"]
    assert policy.endswith(":parameter/platform/slackgate/*")


def test_the_audit_role_is_named_and_carries_the_policies(settings: MemberSettings) -> None:
    renamed = MemberSettings(hub=settings.hub, audit_role_name="org-audit")
    role = member_template(renamed)["Resources"]["AuditRole"]["Properties"]
    assert role["RoleName"] == "org-audit"
    assert role["AssumeRolePolicyDocument"] == trust_policy(renamed)
    assert [p["PolicyDocument"] for p in role["Policies"]] == [permission_policy(renamed)]
    default = member_template(settings)["Resources"]["AuditRole"]["Properties"]
    assert default["RoleName"] == "slackgate-audit"


def _largest() -> MemberSettings:
    """Lambda's maximum of 16 subnets, every service and five auditor patterns."""
    return MemberSettings(
        hub=hub_values(
            subnet_ids=tuple(f"subnet-0123456789abcde{i:02x}" for i in range(16)),
            services=HubValues.services_of(ALL_SERVICES),
        ),
        auditors=tuple(
            f"arn:aws:iam::{HUB}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Audit{i}_*"
            for i in range(5)
        ),
    )


@pytest.mark.parametrize("which", ["member", "hub", "member-account-mode", "largest"])
def test_templates_pass_cfn_lint(
    settings: MemberSettings, account_settings: MemberSettings, which: str
) -> None:
    from cfnlint.api import lint

    template = {
        "member": lambda: member_template(settings),
        "hub": lambda: hub_template(settings),
        "member-account-mode": lambda: member_template(account_settings),
        "largest": lambda: hub_template(_largest()),
    }[which]()
    matches = lint(json.dumps(template), regions=[REGION])
    assert not matches, "\n".join(map(str, matches))


def test_the_stackset_deploys_the_member_template_to_the_ous_automatically(
    settings: MemberSettings,
) -> None:
    hub = hub_template(settings)
    assert hub["Parameters"]["OrganizationalUnitIds"]["Type"] == "CommaDelimitedList"
    [stack_set] = hub["Resources"].values()
    properties = stack_set["Properties"]
    assert stack_set["Type"] == "AWS::CloudFormation::StackSet"
    assert properties["StackSetName"] == STACK_SET
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["CallAs"] == "DELEGATED_ADMIN"
    assert properties["AutoDeployment"] == {
        "Enabled": True,
        "RetainStacksOnAccountRemoval": False,
    }
    assert properties["Capabilities"] == ["CAPABILITY_NAMED_IAM"]  # the named audit role
    [group] = properties["StackInstancesGroup"]
    assert group["Regions"] == [REGION]
    # Every account of the OUs but the gateway's own, which has the gateway's parameters.
    assert group["DeploymentTargets"] == {
        "OrganizationalUnitIds": {"Ref": "OrganizationalUnitIds"},
        "AccountFilterType": "DIFFERENCE",
        "Accounts": [HUB],
    }
    assert json.loads(properties["TemplateBody"]) == member_template(settings)
    management = MemberSettings(hub=settings.hub, call_as="SELF")
    assert hub_template(management)["Resources"]["MemberStackSet"]["Properties"]["CallAs"] == (
        "SELF"
    )


def test_the_template_body_fits_even_at_its_largest_and_is_refused_over() -> None:
    assert len(template_body(member_template(_largest())).encode()) < TEMPLATE_BODY_MAX_BYTES
    huge = {"Description": "x" * TEMPLATE_BODY_MAX_BYTES}
    with pytest.raises(OrganisationError, match="over the StackSet's"):
        template_body(huge)


@pytest.fixture
def member_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto, as the member account (StackSets' stack instance runs there)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", MEMBER)
    with mock_aws():
        yield


def _create(name: str, template: dict[str, Any]) -> str:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_NAMED_IAM"]
    )
    return cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def test_deployed_in_a_member_account_it_creates_the_parameters_and_the_role(
    member_account: None, settings: MemberSettings
) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock=GATEWAY_VPC_CIDR)["Vpc"]["VpcId"]  # the shared VPC, as seen
    settings = MemberSettings(hub=hub_values(vpc_id=vpc))
    assert _create("slackgate-member", member_template(settings)) == "CREATE_COMPLETE"
    ssm = boto3.client("ssm", region_name=REGION)
    found = ssm.get_parameters_by_path(Path="/slackgate", Recursive=True)["Parameters"]
    values = {p["Name"]: (p["Type"], p["Value"]) for p in found}
    group_id = values.pop("/slackgate/network/function-sg-id")[1]
    expected = ssm_parameters(member_template(settings))
    del expected["/slackgate/network/function-sg-id"]
    assert values == {name: (p["Type"], p["Value"]) for name, p in expected.items()}
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert group["VpcId"] == vpc and group_id != SG
    assert group["IpPermissions"] == []
    # moto's CloudFormation does not apply SecurityGroupEgress (it keeps the default allow-all);
    # the rules are asserted on the synthesized template instead.
    iam = boto3.client("iam")
    role = iam.get_role(RoleName="slackgate-audit")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{MEMBER}:role/slackgate-audit"
    assert role["AssumeRolePolicyDocument"] == trust_policy(settings)
    inline = iam.get_role_policy(RoleName="slackgate-audit", PolicyName="slackgate-audit-reads")
    document = inline["PolicyDocument"]
    if isinstance(document, str):  # moto keeps what CloudFormation passed it: a Python repr
        document = ast.literal_eval(document)
    parameters = document["Statement"][1]["Resource"]
    assert parameters == f"arn:aws:ssm:*:{MEMBER}:parameter/slackgate/*"  # this account's


def test_it_does_not_overwrite_parameters_that_exist(
    member_account: None, settings: MemberSettings
) -> None:
    """In the gateway's own account (were it in the OU) the copy fails; the gateway's stays."""
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/slackgate/api/id", Value="gatewayown", Type="String")
    with pytest.raises(Exception, match="ParameterAlreadyExists"):
        _create("slackgate-member", member_template(settings))
    assert ssm.get_parameter(Name="/slackgate/api/id")["Parameter"]["Value"] == "gatewayown"


@pytest.fixture(scope="module")
def team_parameters(cookies_session, tmp_path_factory) -> dict[str, Any]:
    """The Parameters section of a baked, synthesized team stack (the template unchanged)."""
    from tests.template.conftest import Baker
    from tests.template.test_data_policy import synthesize as synthesize_team

    baked = synthesize_team(Baker(cookies_session), tmp_path_factory.mktemp("team"), trigger="none")
    return {
        name: parameter
        for name, parameter in baked.template["Parameters"].items()
        # CDK's BootstrapVersion is one too, of the team's bootstrap (not the gateway's).
        if parameter["Type"].startswith("AWS::SSM::Parameter::Value<")
        and parameter["Default"].startswith("/slackgate/")
    }


@pytest.mark.slow
def test_the_team_templates_parameters_resolve_in_the_member_account(
    member_account: None, settings: MemberSettings, team_parameters: dict[str, Any]
) -> None:
    """Every SSM-typed parameter of the team stack, resolved by CloudFormation (moto) in the
    member account after the member stack: the hub's values, the API's account included, and
    the member's own function group."""
    assert _create("slackgate-member", member_template(settings)) == "CREATE_COMPLETE"
    probe = {
        "Parameters": team_parameters,
        "Resources": {"Probe": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            name: {
                "Value": {"Fn::Join": [",", {"Ref": name}]}
                if "List<" in parameter["Type"]
                else {"Ref": name}
            }
            for name, parameter in team_parameters.items()
        },
    }
    assert _create("team", probe) == "CREATE_COMPLETE"
    [stack] = boto3.client("cloudformation", region_name=REGION).describe_stacks(StackName="team")[
        "Stacks"
    ]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    # The function group is the member's own (the hub's is not shared), created by the member
    # stack in the shared VPC; every other value is the hub's.
    [member_group] = boto3.client("ec2", region_name=REGION).describe_security_groups(
        Filters=[{"Name": "tag:slackgate:managed", "Values": ["true"]}]
    )["SecurityGroups"]
    assert member_group["GroupId"] != SG
    assert outputs == {
        "VpcId": VPC,
        "SubnetIds": ",".join(SUBNETS),
        "SecurityGroupId": member_group["GroupId"],
        "SlackgateUrl": API_URL,
        "SlackgateApiId": API_ID,
        "SlackgateApiAccount": HUB,
    }


def test_auditors_must_be_of_the_hub(settings: MemberSettings) -> None:
    assert MemberSettings(hub=settings.hub).auditor_patterns == (AUDITOR,)
    with pytest.raises(OrganisationError, match="not of the hub's account"):
        MemberSettings(hub=settings.hub, auditors=(f"arn:aws:iam::{MEMBER}:role/auditor",))
    with pytest.raises(OrganisationError, match="not a role ARN"):
        MemberSettings(hub=settings.hub, auditors=("arn:aws:iam::*:role/auditor",))
    with pytest.raises(OrganisationError, match="audit role name"):
        MemberSettings(hub=settings.hub, audit_role_name="no spaces")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"vpc_id": "vpc-1"}, "VPC id"),
        ({"subnet_ids": ()}, "no subnet id"),
        ({"api_id": "short"}, "API id"),
        ({"api_url": "https://elsewhere.example.com/prod"}, "is not the API's"),
        ({"account": "12345"}, "12-digit"),
        ({"services": ("execute-api", "logs", "sns")}, "'sns' is refused"),
        ({"services": ("s3",)}, "not as the gateway publishes them"),
        ({"organization_id": "org-1"}, "organisation id"),
    ],
)
def test_wrong_values_are_refused_with_what_is_wrong(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(OrganisationError, match=message):
        hub_values(**changes)


def test_the_member_template_file_is_what_render_writes(
    tmp_path: Path, settings: MemberSettings
) -> None:
    from shared_gateway.organisation.command import HUB_FILE, MEMBER_FILE, render

    lines = render(settings, tmp_path)
    assert json.loads((tmp_path / MEMBER_FILE).read_text()) == member_template(settings)
    assert json.loads((tmp_path / HUB_FILE).read_text()) == hub_template(settings)
    assert "bytes as the TemplateBody" in lines[0]
