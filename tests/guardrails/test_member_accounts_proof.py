"""The proof for team accounts in organisation mode: the same SCPs, attached to a team account
whose functions run in the hub's shared subnets with the account's own function group (made
by the member stack, docs/organisation.md), evaluated with shared_gateway.iampolicy.

What changes in a member account: its group is not the hub's, so the group is held by the
network SCP (nobody but the platform makes or changes a group in the gateway's VPC) rather than
by `TeamFunctionsWithGatewaySg`; its layers are its own; and the StackSets execution role that
deploys the member stack is one of the platform's principals, there and only in organisation
mode.
"""

from __future__ import annotations

import dataclasses

import pytest

from shared_gateway.guardrails.settings import STACKSET_EXECUTION_ROLES, GuardrailSettings
from shared_gateway.iampolicy import RoleSession, allowed

from .conftest import (
    ADMIN,
    REGION,
    SG,
    SUBNETS,
    VPC,
    Row,
    in_vpc,
    misanswered,
    scps_of,
    under_scps,
)

HUB = "123456789012"  # the gateway's account (conftest's ACCOUNT)
MEMBER = "210987654321"
MEMBER_SG = "sg-0aaaaaaaaaaaaaaa1"  # the member stack's group in the shared VPC
SHARED_VPC = f"arn:aws:ec2:{REGION}:{HUB}:vpc/{VPC}"  # the hub owns the VPC
MEMBER_OWN_VPC = f"arn:aws:ec2:{REGION}:{MEMBER}:vpc/vpc-0bbbbbbbbbbbbbbb2"
STACKSET = RoleSession(MEMBER, "stacksets-exec-0123456789abcdef0123456789abcdef")
TEAM = RoleSession(
    MEMBER, f"cdk-payments-cfn-exec-role-{MEMBER}-{REGION}", tags={"slackgate:team": "payments"}
)
DEVELOPER = RoleSession(MEMBER, "developer")
HUB_TEAM = RoleSession(
    HUB, f"cdk-payments-cfn-exec-role-{HUB}-{REGION}", tags={"slackgate:team": "payments"}
)


def function(account: str = MEMBER, name: str = "slackgate-payments-report") -> str:
    return f"arn:aws:lambda:{REGION}:{account}:function:{name}"


def group(group_id: str = MEMBER_SG, account: str = MEMBER) -> str:
    return f"arn:aws:ec2:{REGION}:{account}:security-group/{group_id}"


def layer(account: str) -> dict[str, list[str]]:
    return {"lambda:Layer": [f"arn:aws:lambda:{REGION}:{account}:layer:deps:4"]}


def parameter(name: str = "network/function-sg-id") -> str:
    return f"arn:aws:ssm:{REGION}:{MEMBER}:parameter/slackgate/{name}"


ROWS = [
    Row(
        "a member's team function with its account's group in the shared subnets",
        TEAM.request("lambda:CreateFunction", function(), **in_vpc(sgs=(MEMBER_SG,))),
        True,
    ),
    Row(
        "...with a layer of its own account",
        TEAM.request(
            "lambda:UpdateFunctionConfiguration",
            function(),
            **in_vpc(sgs=(MEMBER_SG,)),
            **layer(MEMBER),
        ),
        True,
    ),
    Row(
        "...with a layer of the hub's account",
        TEAM.request(
            "lambda:UpdateFunctionConfiguration",
            function(),
            **in_vpc(sgs=(MEMBER_SG,)),
            **layer(HUB),
        ),
        False,
        "TeamFunctionsOwnLayersOnly",
    ),
    Row(
        "a member's team function outside the shared VPC",
        TEAM.request(
            "lambda:CreateFunction",
            function(),
            **in_vpc(vpc="vpc-0bbbbbbbbbbbbbbb2", subnets=("subnet-0bbbbbbbbbbbbbbb2",)),
        ),
        False,
        "TeamFunctionsInGatewayVpc",
    ),
    Row(
        "a member's team function with no VPC",
        TEAM.request("lambda:CreateFunction", function()),
        False,
        "TeamFunctionsInGatewayVpc",
    ),
    Row(
        "a member's team function with no group",
        TEAM.request(
            "lambda:CreateFunction",
            function(),
            **{"lambda:VpcIds": VPC, "lambda:SubnetIds": list(SUBNETS)},
        ),
        False,
        "TeamFunctionsNeedTheSg",
    ),
    Row(
        "in the hub, a team function with a member's group",
        HUB_TEAM.request("lambda:CreateFunction", function(HUB), **in_vpc(sgs=(MEMBER_SG,))),
        False,
        "TeamFunctionsWithGatewaySg",
    ),
    Row(
        "in the hub, a team function with the gateway's group",
        HUB_TEAM.request("lambda:CreateFunction", function(HUB), **in_vpc(sgs=(SG,))),
        True,
    ),
    # The member's group: only the member stack makes or changes a group in the shared VPC.
    Row(
        "a team creates a group in the shared VPC",
        TEAM.request("ec2:CreateSecurityGroup", SHARED_VPC),
        False,
        "GatewayVpcFrozen",
    ),
    Row(
        "a developer widens the member group's egress",
        DEVELOPER.request("ec2:AuthorizeSecurityGroupEgress", group(), **{"ec2:Vpc": SHARED_VPC}),
        False,
        "GatewayVpcPartsFrozen",
    ),
    Row(
        "a team drops the member group's egress rule",
        TEAM.request("ec2:RevokeSecurityGroupEgress", group(), **{"ec2:Vpc": SHARED_VPC}),
        False,
        "GatewayVpcPartsFrozen",
    ),
    Row(
        "the StackSets role creates the member group",
        STACKSET.request("ec2:CreateSecurityGroup", SHARED_VPC),
        True,
    ),
    Row(
        "the StackSets role sets the member group's egress",
        STACKSET.request("ec2:AuthorizeSecurityGroupEgress", group(), **{"ec2:Vpc": SHARED_VPC}),
        True,
    ),
    Row(
        "a group in the member's own VPC (not the SCPs' business)",
        DEVELOPER.request("ec2:CreateSecurityGroup", MEMBER_OWN_VPC),
        True,
    ),
    # The member's copies of the gateway's parameters.
    Row(
        "a team rewrites its copy of function-sg-id",
        TEAM.request("ssm:PutParameter", parameter()),
        False,
        "GatewayParametersFrozen",
    ),
    Row(
        "the StackSets role writes the copies",
        STACKSET.request("ssm:PutParameter", parameter()),
        True,
    ),
    # The StackSets role has AdministratorAccess in the account: nobody else gets at it.
    Row(
        "a developer assumes the StackSets role",
        DEVELOPER.request("sts:AssumeRole", STACKSET.role_arn),
        False,
        "PlatformRolesStayThePlatforms",
    ),
    Row(
        "a team attaches a policy to the StackSets role",
        TEAM.request("iam:AttachRolePolicy", STACKSET.role_arn),
        False,
        "PlatformRolesStayThePlatforms",
    ),
    Row(
        "the StackSets role creates a function (it never does)",
        STACKSET.request("lambda:CreateFunction", function()),
        False,
        "TeamFunctionsInGatewayVpc",
    ),
]


@pytest.fixture(scope="module")
def organisation(settings: GuardrailSettings) -> GuardrailSettings:
    assert settings.account == HUB and settings.organization_id
    return settings


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_each_member_account_request_is_answered_as_confinement_needs(
    row: Row, organisation: GuardrailSettings
) -> None:
    assert misanswered([row], scps_of(organisation)) == []


def test_every_denial_is_the_scps() -> None:
    for row in ROWS:
        assert allowed(row.request, identity=ADMIN), row.name


def test_without_an_organisation_the_stacksets_role_is_not_the_platforms(
    organisation: GuardrailSettings,
) -> None:
    """An account-mode gateway has no member stacks: the StackSets role gets no exemption."""
    single = dataclasses.replace(organisation, organization_id="")
    assert STACKSET_EXECUTION_ROLES not in single.platform_principals
    assert STACKSET_EXECUTION_ROLES in organisation.platform_principals
    scps = scps_of(single)
    for name in (
        "the StackSets role creates the member group",
        "the StackSets role writes the copies",
    ):
        row = next(r for r in ROWS if r.name == name)
        assert not under_scps(row.request, scps).allowed, name


def test_an_operator_pattern_naming_the_stacksets_role_is_not_listed_twice(
    organisation: GuardrailSettings,
) -> None:
    """Earlier docs had operators pass the pattern by hand; it is now added in organisation mode."""
    settings = dataclasses.replace(
        organisation, operators=(*organisation.operators, STACKSET_EXECUTION_ROLES)
    )
    assert settings.platform_principals.count(STACKSET_EXECUTION_ROLES) == 1


def test_the_proof_catches_a_group_pin_that_binds_every_account(
    organisation: GuardrailSettings,
) -> None:
    """Negative control: the hub's group pinned without the account condition denies every
    member account's function."""
    scps = scps_of(organisation)
    for policy in scps:
        for statement in policy["Statement"]:
            if statement["Sid"] == "TeamFunctionsWithGatewaySg":
                del statement["Condition"]["StringEquals"]
    found = misanswered(ROWS, scps)
    assert any("its account's group in the shared subnets" in w for w in found)
