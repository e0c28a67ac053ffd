"""The relay API: private, IAM-authorised, admitting our endpoint and slackgate roles only."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import Request, RoleSession, evaluate, resolve_cfn

from .conftest import ACCOUNT, REGION, Synthesized, resolve_join
from .test_endpoint_policy import API_ID, deployed_refs

pytestmark = pytest.mark.slow


def test_api_is_private_and_names_no_endpoint(gateway: Synthesized) -> None:
    # No VpcEndpointIds: callers use the endpoint's private DNS name; an association would
    # name the endpoint and bring back the cycle with the endpoint's policy.
    _, api = gateway.one("AWS::ApiGateway::RestApi")
    config = api["Properties"]["EndpointConfiguration"]
    assert config == {"Types": ["PRIVATE"]}


def test_every_method_uses_iam_authorization(gateway: Synthesized) -> None:
    methods = gateway.resources("AWS::ApiGateway::Method")
    assert methods, "no methods"
    for name, method in methods.items():
        assert method["Properties"]["AuthorizationType"] == "AWS_IAM", name


def test_only_route_is_post_v1_messages_to_the_relay(gateway: Synthesized) -> None:
    _, method = gateway.one("AWS::ApiGateway::Method")
    props = method["Properties"]
    assert props["HttpMethod"] == "POST"
    assert props["Integration"]["Type"] == "AWS_PROXY"
    paths = sorted(
        r["Properties"]["PathPart"] for r in gateway.resources("AWS::ApiGateway::Resource").values()
    )
    assert paths == ["messages", "v1"]
    function_id, _ = gateway.one("AWS::Lambda::Permission")
    assert function_id  # API Gateway may invoke the relay (and nothing else is granted)


def test_resource_policy_conditions(gateway: Synthesized) -> None:
    _, api = gateway.one("AWS::ApiGateway::RestApi")
    statements = {s["Sid"]: s for s in api["Properties"]["Policy"]["Statement"]}
    assert set(statements) == {
        "OnlyFromTheGatewayVpc",
        "OnlySlackgateRoles",
        "OnlyRolesTaggedWithATeam",
        "OnlyTheTeamOfTheTag",
        "InvokeTheRelay",
    }
    (vpc,) = gateway.resources("AWS::EC2::VPC")
    source = statements["OnlyFromTheGatewayVpc"]
    assert source["Effect"] == "Deny"
    assert source["Condition"] == {"StringNotEquals": {"aws:SourceVpc": {"Ref": vpc}}}
    roles = statements["OnlySlackgateRoles"]
    assert roles["Effect"] == "Deny"
    assert roles["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/slackgate-*"}
    }
    # The tag contract, generically: one statement for every team, none naming a team.
    assert statements["OnlyRolesTaggedWithATeam"]["Condition"] == {
        "Null": {"aws:PrincipalTag/slackgate:team": "true"}
    }
    assert statements["OnlyTheTeamOfTheTag"]["Condition"] == {
        "ArnNotLike": {
            "aws:PrincipalArn": "arn:aws:iam::123456789012:role/"
            "slackgate-${aws:PrincipalTag/slackgate:team}-*"
        }
    }
    allow = statements["InvokeTheRelay"]
    assert allow["Effect"] == "Allow"
    assert allow["Action"] == "execute-api:Invoke"
    assert "Condition" not in allow
    for statement in statements.values():
        assert statement["Action"] == "execute-api:Invoke"


def test_stage_prod_throttled_with_json_access_logs(gateway: Synthesized) -> None:
    _, stage = gateway.one("AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["StageName"] == "prod"
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0
    assert settings["ThrottlingBurstLimit"] > 0
    log_format = props["AccessLogSetting"]["Format"]
    assert log_format.startswith("{") and '"requestId":"$context.requestId"' in log_format
    assert '"user":"$context.identity.user"' in log_format
    destination = props["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    log_group = gateway.template["Resources"][destination]
    assert log_group["Properties"]["RetentionInDays"] == 365
    deployment_id, _ = gateway.one("AWS::ApiGateway::Deployment")
    assert props["DeploymentId"] == {"Ref": deployment_id}


def test_base_url_is_published_with_the_stage(gateway: Synthesized) -> None:
    api_id, _ = gateway.one("AWS::ApiGateway::RestApi")
    url = next(
        p["Properties"]["Value"]
        for p in gateway.resources("AWS::SSM::Parameter").values()
        if p["Properties"]["Name"] == "/slackgate/api/url"
    )
    assert resolve_join(url) == (
        f"https://${{{api_id}}}.execute-api.eu-west-1.${{AWS::URLSuffix}}/prod"
    )


def test_all_log_groups_have_retention_and_encryption(gateway: Synthesized) -> None:
    groups = gateway.resources("AWS::Logs::LogGroup")
    assert len(groups) == 4  # flow logs, relay function, API access logs, DNS query logs
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == 365, name
        assert "KmsKeyId" in group["Properties"], name


def deployed_resource_policy(gateway: Synthesized) -> dict[str, Any]:
    """The API's resource policy as API Gateway stores it: `execute-api:/...` expanded to the
    API's ARN, CloudFormation references resolved."""
    refs = deployed_refs(gateway)
    _, api = gateway.one("AWS::ApiGateway::RestApi")
    policy = resolve_cfn(api["Properties"]["Policy"], refs)
    prefix = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/"
    for statement in policy["Statement"]:
        statement["Resource"] = statement["Resource"].replace("execute-api:/", prefix, 1)
    return policy


def caller(
    role: str = "slackgate-payments-nightly",
    tags: dict[str, str] | None = None,
    vpc: str | None = "vpc-gateway",
    path: str = "/",
    account: str = ACCOUNT,
) -> Request:
    """A team function's call through the endpoint: its session, as AWS describes it."""
    session = RoleSession(
        account, role, path=path, tags={"slackgate:team": "payments"} if tags is None else tags
    )
    context = {} if vpc is None else {"aws:SourceVpc": vpc}
    return session.request("execute-api:Invoke", RELAY_ROUTE, **context)


RELAY_ROUTE = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod/POST/v1/messages"
SOURCES = {
    "a team role through the gateway's VPC": (caller(), True),
    "a team role from another VPC": (caller(vpc="vpc-elsewhere"), False),
    "a team role not through a VPC endpoint": (caller(vpc=None), False),
}


@pytest.mark.parametrize(("request_", "expected"), SOURCES.values(), ids=SOURCES.keys())
def test_resource_policy_admits_the_gateway_vpc_only(
    gateway: Synthesized, request_: Request, expected: bool
) -> None:
    result = evaluate(deployed_resource_policy(gateway), request_, principal_required=True)
    assert result.allowed is expected, result


# Team impersonation: the role's name says a team, its tag (which only the team's own deploy
# principal can set) must say the same team.
PAYMENTS, SEARCH = {"slackgate:team": "payments"}, {"slackgate:team": "search"}
CALLERS = {
    "role slackgate-payments-x tagged payments": (caller("slackgate-payments-x", PAYMENTS), True),
    "role slackgate-payments-x tagged search": (caller("slackgate-payments-x", SEARCH), False),
    "role slackgate-payments-x untagged": (caller("slackgate-payments-x", {}), False),
    "role slackgate-search-x tagged payments": (caller("slackgate-search-x", PAYMENTS), False),
    "role slackgate-search-x tagged search": (caller("slackgate-search-x", SEARCH), True),
    "tag payments, role slackgate-paymentsx-x": (caller("slackgate-paymentsx-x", PAYMENTS), False),
    "tag with another key only": (caller("slackgate-payments-x", {"team": "payments"}), False),
    "tag payments, role with a path": (
        caller("slackgate-payments-x", PAYMENTS, path="/apps/"),
        False,
    ),
    "tag payments, role not slackgate-*": (caller("payments-x", PAYMENTS), False),
    "tag payments, role of another account": (
        caller("slackgate-payments-x", PAYMENTS, account="210987654321"),
        False,
    ),
}


@pytest.mark.parametrize(("request_", "expected"), CALLERS.values(), ids=CALLERS.keys())
def test_resource_policy_binds_a_role_to_the_team_of_its_tag(
    gateway: Synthesized, request_: Request, expected: bool
) -> None:
    result = evaluate(deployed_resource_policy(gateway), request_, principal_required=True)
    assert result.allowed is expected, result


def test_the_untagged_role_is_denied_by_the_null_statement(gateway: Synthesized) -> None:
    """Without its Null companion the tag statement would deny nothing for an untagged role:
    a Deny whose variable has no value is invalid."""
    policy = deployed_resource_policy(gateway)
    untagged = caller("slackgate-payments-x", {})
    assert evaluate(policy, untagged, principal_required=True).sid == "OnlyRolesTaggedWithATeam"
    without_null = {
        **policy,
        "Statement": [s for s in policy["Statement"] if s["Sid"] != "OnlyRolesTaggedWithATeam"],
    }
    assert evaluate(without_null, untagged, principal_required=True).allowed
