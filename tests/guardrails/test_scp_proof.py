"""The proof: the rendered SCPs, evaluated with shared_gateway.iampolicy as AWS combines them
(FullAWSAccess and the guard rails at one level, an administrator's identity policy), answer
every request of the table as the confinement needs, each denial by the statement meant for it.

Every denied row is also allowed without the SCPs (`test_every_denial_is_the_scps`): what
stops it is the guard rail, not the request.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared_gateway.guardrails.settings import GuardrailSettings
from shared_gateway.iampolicy import allowed

from .conftest import (
    ACCOUNT,
    ADMIN,
    DEVELOPER,
    OPERATOR_ROLE,
    PLATFORM,
    REGION,
    SG,
    SUBNETS,
    VPC,
    Row,
    fn,
    in_vpc,
    misanswered,
    request,
    role,
    scps_of,
    tags,
)

PAYMENTS_FN = fn("slackgate-payments-x")
SEARCH_FN = fn("slackgate-search-x")
VPC_ARN = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{VPC}"
IN_GATEWAY_VPC = {"ec2:Vpc": VPC_ARN}
GATEWAY_STACK_TAG = {"aws:ResourceTag/aws:cloudformation:stack-name": "slackgate-gateway"}
ENDPOINT = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/vpce-0123456789abcdef0"
ROUTE_TABLE = f"arn:aws:ec2:{REGION}:{ACCOUNT}:route-table/rtb-0123456789abcdef0"
SEARCH_ROLE_TAG = {"aws:ResourceTag/slackgate:team": "search"}
PAYMENTS_ROLE_TAG = {"aws:ResourceTag/slackgate:team": "payments"}


ROWS = [
    # Team functions: placement.
    Row(
        "team function in the gateway's VPC, subnets and SG",
        request("lambda:CreateFunction", PAYMENTS_FN, context=in_vpc()),
        True,
    ),
    Row(
        "update keeping the gateway's network",
        request("lambda:UpdateFunctionConfiguration", PAYMENTS_FN, context=in_vpc()),
        True,
    ),
    Row(
        "team function without a VPC",
        request("lambda:CreateFunction", PAYMENTS_FN),
        False,
        "TeamFunctionsInGatewayVpc",
    ),
    Row(
        "update removing the VPC",
        request("lambda:UpdateFunctionConfiguration", PAYMENTS_FN),
        False,
        "TeamFunctionsInGatewayVpc",
    ),
    Row(
        "team function in another VPC",
        request(
            "lambda:CreateFunction",
            PAYMENTS_FN,
            context=in_vpc(vpc="vpc-0fedcba9876543210", subnets=("subnet-0fedcba9876543210",)),
        ),
        False,
        "TeamFunctionsInGatewayVpc",
    ),
    Row(
        "one subnet of ours and one foreign",
        request(
            "lambda:CreateFunction",
            PAYMENTS_FN,
            context=in_vpc(subnets=(SUBNETS[0], "subnet-0fedcba9876543210")),
        ),
        False,
        "TeamFunctionsInGatewaySubnets",
    ),
    Row(
        "our SG and another",
        request(
            "lambda:CreateFunction", PAYMENTS_FN, context=in_vpc(sgs=(SG, "sg-0fedcba9876543210"))
        ),
        False,
        "TeamFunctionsWithGatewaySg",
    ),
    Row(
        "no security group",
        request(
            "lambda:CreateFunction",
            PAYMENTS_FN,
            context={"lambda:VpcIds": VPC, "lambda:SubnetIds": list(SUBNETS)},
        ),
        False,
        "TeamFunctionsNeedTheSg",
    ),
    Row(
        "a layer of this account",
        request(
            "lambda:CreateFunction",
            PAYMENTS_FN,
            context={
                **in_vpc(),
                "lambda:Layer": [f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:3"],
            },
        ),
        True,
    ),
    Row(
        "a layer of another account",
        request(
            "lambda:UpdateFunctionConfiguration",
            PAYMENTS_FN,
            context={
                **in_vpc(),
                "lambda:Layer": [
                    f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:3",
                    f"arn:aws:lambda:{REGION}:999999999999:layer:x:1",
                ],
            },
        ),
        False,
        "TeamFunctionsOwnLayersOnly",
    ),
    Row(
        "a non-slackgate function by a developer (not the SCP's business)",
        request("lambda:CreateFunction", fn("reports"), DEVELOPER),
        True,
    ),
    Row(
        "a non-slackgate function by a team deploy role",
        request("lambda:CreateFunction", fn("reports"), context=in_vpc()),
        False,
        "TeamsChangeOwnFunctionsOnly",
    ),
    Row(
        "another team's function code",
        request("lambda:UpdateFunctionCode", SEARCH_FN),
        False,
        "TeamsChangeOwnFunctionsOnly",
    ),
    Row("own function code", request("lambda:UpdateFunctionCode", PAYMENTS_FN), True),
    Row(
        "the platform's relay, outside the VPC",
        request("lambda:CreateFunction", fn("slackgate-gateway-RelayFunction1A2B"), PLATFORM),
        True,
    ),
    # Team functions: exposure.
    Row(
        "a function URL on a team function",
        request("lambda:CreateFunctionUrlConfig", PAYMENTS_FN),
        False,
        "NoTeamFunctionUrlsOrAsyncDestinations",
    ),
    Row(
        "a function URL, even by the platform",
        request("lambda:UpdateFunctionUrlConfig", PAYMENTS_FN, PLATFORM),
        False,
        "NoTeamFunctionUrlsOrAsyncDestinations",
    ),
    Row(
        "invoke permission for another account",
        request("lambda:AddPermission", PAYMENTS_FN, context={"lambda:Principal": "999999999999"}),
        False,
        "TeamFunctionsInvokedByTriggersOnly",
    ),
    Row(
        "invoke permission for everyone (public URL)",
        request(
            "lambda:AddPermission",
            PAYMENTS_FN,
            context={"lambda:Principal": "*", "lambda:FunctionUrlAuthType": "NONE"},
        ),
        False,
        "TeamFunctionsInvokedByTriggersOnly",
    ),
    Row(
        "invoke permission for its EventBridge schedule",
        request(
            "lambda:AddPermission",
            PAYMENTS_FN,
            context={"lambda:Principal": "events.amazonaws.com"},
        ),
        True,
    ),
    Row(
        "async destination",
        request("lambda:PutFunctionEventInvokeConfig", PAYMENTS_FN),
        False,
        "NoTeamFunctionUrlsOrAsyncDestinations",
    ),
    Row(
        "async destination changed",
        request("lambda:UpdateFunctionEventInvokeConfig", PAYMENTS_FN, DEVELOPER),
        False,
        "NoTeamFunctionUrlsOrAsyncDestinations",
    ),
    # The gateway's network.
    Row(
        "endpoint policy changed by a team",
        request("ec2:ModifyVpcEndpoint", ENDPOINT, context=GATEWAY_STACK_TAG),
        False,
        "GatewayStackFrozen",
    ),
    Row(
        "endpoint policy changed by the platform",
        request("ec2:ModifyVpcEndpoint", ENDPOINT, PLATFORM, context=GATEWAY_STACK_TAG),
        True,
    ),
    Row(
        "endpoint changed by an operator",
        request("ec2:ModifyVpcEndpoint", ENDPOINT, OPERATOR_ROLE, context=GATEWAY_STACK_TAG),
        True,
    ),
    Row(
        "route added to the gateway's route table",
        request("ec2:CreateRoute", ROUTE_TABLE, DEVELOPER, context=IN_GATEWAY_VPC),
        False,
        "GatewayVpcPartsFrozen",
    ),
    Row(
        "internet gateway attached to the VPC",
        request("ec2:AttachInternetGateway", VPC_ARN),
        False,
        "GatewayVpcFrozen",
    ),
    Row(
        "peering from the gateway's VPC",
        request("ec2:CreateVpcPeeringConnection", VPC_ARN),
        False,
        "GatewayVpcFrozen",
    ),
    Row(
        "transit gateway attachment",
        request("ec2:CreateTransitGatewayVpcAttachment", VPC_ARN),
        False,
        "GatewayVpcFrozen",
    ),
    Row(
        "egress rule on the function SG",
        request(
            "ec2:AuthorizeSecurityGroupEgress",
            f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{SG}",
            context=IN_GATEWAY_VPC,
        ),
        False,
        "GatewayVpcPartsFrozen",
    ),
    Row(
        "NAT gateway in a gateway subnet",
        request(
            "ec2:CreateNatGateway",
            f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{SUBNETS[0]}",
            context=IN_GATEWAY_VPC,
        ),
        False,
        "GatewayVpcPartsFrozen",
    ),
    Row(
        "a route in another VPC",
        request(
            "ec2:CreateRoute",
            ROUTE_TABLE,
            DEVELOPER,
            context={"ec2:Vpc": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0fedcba9876543210"},
        ),
        True,
    ),
    Row(
        "describing the network (the audit)",
        request("ec2:DescribeRouteTables", "*", DEVELOPER),
        True,
    ),
    Row(
        "Lambda's network interface in a gateway subnet",
        request(
            "ec2:CreateNetworkInterface",
            f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{SUBNETS[0]}",
            role("slackgate-payments-x"),
            context={**IN_GATEWAY_VPC, **GATEWAY_STACK_TAG},
        ),
        True,
    ),
    Row(
        "DNS firewall rule group disassociated",
        request(
            "route53resolver:DisassociateFirewallRuleGroup",
            f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:firewall-rule-group-association/rslvr-frgassoc-1",
        ),
        False,
        "GatewayDnsFirewallFrozen",
    ),
    Row(
        "a permissive rule group associated first",
        request(
            "route53resolver:AssociateFirewallRuleGroup",
            f"arn:aws:route53resolver:{REGION}:{ACCOUNT}:firewall-rule-group/rslvr-frg-2",
            DEVELOPER,
        ),
        False,
        "GatewayDnsFirewallFrozen",
    ),
    Row(
        "DNS firewall changed by the platform",
        request("route53resolver:DisassociateFirewallRuleGroup", "*", PLATFORM),
        True,
    ),
    Row(
        "a published parameter rewritten",
        request(
            "ssm:PutParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/slackgate/network/vpc-id"
        ),
        False,
        "GatewayParametersFrozen",
    ),
    Row(
        "a team's own parameter",
        request("ssm:PutParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/payments/config"),
        True,
    ),
    # Team identity.
    Row(
        "payments tags its role payments",
        request(
            "iam:TagRole", role("slackgate-payments-x"), context=tags(slackgate__team="payments")
        ),
        True,
    ),
    Row(
        "payments creates its role tagged payments",
        request(
            "iam:CreateRole",
            role("slackgate-payments-nightly"),
            context=tags(slackgate__team="payments", other="x"),
        ),
        True,
    ),
    Row(
        "payments tags a role search",
        request("iam:TagRole", role("slackgate-search-x"), context=tags(slackgate__team="search")),
        False,
        "TeamTagIsTheCallersOwn",
    ),
    Row(
        "payments creates a role tagged search",
        request(
            "iam:CreateRole", role("slackgate-search-evil"), context=tags(slackgate__team="search")
        ),
        False,
        "TeamTagIsTheCallersOwn",
    ),
    Row(
        "the tag key in other letters",
        request("iam:TagRole", role("slackgate-search-x"), context=tags(SlackGate__Team="search")),
        False,
        "TeamTagIsTheCallersOwn",
    ),
    Row(
        "payments' tag on a role named for search",
        request(
            "iam:TagRole", role("slackgate-search-x"), context=tags(slackgate__team="payments")
        ),
        False,
        "TeamTagOnTeamRolesOnly",
    ),
    Row(
        "payments' tag on a role outside the namespace",
        request("iam:CreateRole", role("deployer"), context=tags(slackgate__team="payments")),
        False,
        "TeamTagOnTeamRolesOnly",
    ),
    Row(
        "an untagged developer sets a team tag",
        request(
            "iam:TagRole",
            role("slackgate-search-x"),
            DEVELOPER,
            context=tags(slackgate__team="search"),
        ),
        False,
        "TeamTagIsTheCallersOwn",
    ),
    Row(
        "a user tagged with a team",
        request(
            "iam:TagUser",
            f"arn:aws:iam::{ACCOUNT}:user/alice",
            context=tags(slackgate__team="payments"),
        ),
        False,
        "TeamTagOnTeamRolesOnly",
    ),
    Row(
        "a session tagged as another team",
        request(
            "sts:TagSession",
            role("cdk-payments-deploy-role"),
            context=tags(slackgate__team="search"),
        ),
        False,
        "TeamTagIsTheCallersOwn",
    ),
    Row(
        "the team tag removed",
        request(
            "iam:UntagRole",
            role("slackgate-payments-x"),
            context={"aws:TagKeys": ["slackgate:team"]},
        ),
        False,
        "TeamTagStays",
    ),
    Row(
        "another tag removed",
        request("iam:UntagRole", role("slackgate-payments-x"), context={"aws:TagKeys": ["owner"]}),
        True,
    ),
    Row(
        "the platform tags a team role",
        request(
            "iam:TagRole",
            role("slackgate-search-x"),
            PLATFORM,
            context=tags(slackgate__team="search"),
        ),
        True,
    ),
    Row(
        "the platform tags a team's deploy role",
        request(
            "iam:TagRole",
            role("cdk-search-cfn-exec-role"),
            OPERATOR_ROLE,
            context=tags(slackgate__team="search"),
        ),
        True,
    ),
    Row(
        "passing search's role to a function",
        request("iam:PassRole", role("slackgate-search-x"), context=SEARCH_ROLE_TAG),
        False,
        "TeamRolesStayWithTheirTeam",
    ),
    Row(
        "passing its own role",
        request("iam:PassRole", role("slackgate-payments-x"), context=PAYMENTS_ROLE_TAG),
        True,
    ),
    Row(
        "rewriting search's trust policy",
        request("iam:UpdateAssumeRolePolicy", role("slackgate-search-x"), context=SEARCH_ROLE_TAG),
        False,
        "TeamRolesStayWithTheirTeam",
    ),
    Row(
        "assuming search's deploy role",
        request("sts:AssumeRole", role("cdk-search-deploy-role"), context=SEARCH_ROLE_TAG),
        False,
        "TeamRolesStayWithTheirTeam",
    ),
    Row(
        "an untagged developer passes a team role",
        request("iam:PassRole", role("slackgate-search-x"), DEVELOPER, context=SEARCH_ROLE_TAG),
        False,
        "TeamRolesStayWithTheirTeam",
    ),
    Row(
        "a role named like the platform's",
        request("iam:CreateRole", role("cdk-slackgate-cfn-exec-role-x"), DEVELOPER),
        False,
        "PlatformRolesStayThePlatforms",
    ),
    Row(
        "a team assumes the gateway's deploy role",
        request("sts:AssumeRole", role(f"cdk-slackgate-deploy-role-{ACCOUNT}-{REGION}")),
        False,
        "PlatformRolesStayThePlatforms",
    ),
    Row(
        "an operator assumes the gateway's deploy role",
        request(
            "sts:AssumeRole", role(f"cdk-slackgate-deploy-role-{ACCOUNT}-{REGION}"), OPERATOR_ROLE
        ),
        True,
    ),
]


@pytest.fixture(scope="module")
def scps(settings: GuardrailSettings) -> list[dict[str, Any]]:
    return scps_of(settings)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_each_request_is_answered_as_confinement_needs(
    row: Row, scps: list[dict[str, Any]]
) -> None:
    assert misanswered([row], scps) == []


def test_the_table_covers_both_answers_and_every_deny_statement(scps: list[dict[str, Any]]) -> None:
    sids = {s["Sid"] for p in scps for s in p["Statement"]}
    assert {row.denied_by for row in ROWS if row.denied_by} == sids
    assert sum(row.allowed for row in ROWS) >= 15


def test_every_denial_is_the_scps() -> None:
    for row in ROWS:
        assert allowed(row.request, identity=ADMIN), row.name


def _weakened(scps: list[dict[str, Any]], sid: str, edit) -> list[dict[str, Any]]:
    copied = copy.deepcopy(scps)
    for policy in copied:
        for statement in policy["Statement"]:
            if statement["Sid"] == sid:
                edit(statement)
    return copied


def test_the_proof_catches_weaker_policies(scps: list[dict[str, Any]]) -> None:
    """Negative controls: the table fails on plausible mistakes."""

    def for_all_values(statement: dict[str, Any]) -> None:
        statement["Condition"]["ForAllValues:StringNotEquals"] = statement["Condition"].pop(
            "ForAnyValue:StringNotEquals"
        )

    wrong = misanswered(ROWS, _weakened(scps, "TeamFunctionsInGatewaySubnets", for_all_values))
    assert any("one subnet of ours and one foreign" in w for w in wrong)

    def only_foreign_vpcs(statement: dict[str, Any]) -> None:
        # Denying listed foreign VPCs (StringEquals) instead of "not ours" lets no-VPC through.
        statement["Condition"]["StringEquals"] = {"lambda:VpcIds": "vpc-0fedcba9876543210"}
        del statement["Condition"]["StringNotEquals"]

    wrong = misanswered(ROWS, _weakened(scps, "TeamFunctionsInGatewayVpc", only_foreign_vpcs))
    assert any("team function without a VPC" in w for w in wrong)

    def tagged_callers_only(statement: dict[str, Any]) -> None:
        # Comparing only when the caller carries a tag lets an untagged caller set any team.
        statement["Condition"]["StringNotEquals"] = {
            "aws:RequestTag/slackgate:team": "${aws:PrincipalTag/slackgate:team}"
        }
        statement["Condition"]["Null"] = {"aws:PrincipalTag/slackgate:team": "false"}

    wrong = misanswered(ROWS, _weakened(scps, "TeamTagIsTheCallersOwn", tagged_callers_only))
    assert any("an untagged developer sets a team tag" in w for w in wrong)
