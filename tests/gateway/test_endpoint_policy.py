"""The execute-api endpoint's policy, as synthesized on the endpoint itself, is the relay-only one:
evaluated (shared_gateway.iampolicy), it admits POST /v1/messages on stage prod of the relay API
by this account's principals, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import Request, evaluate, resolve_cfn

from .conftest import ACCOUNT, PSEUDO, REGION, Synthesized

pytestmark = pytest.mark.slow

API_ID, OTHER_API_ID = "relayapi01", "otherapi99"
OTHER_ACCOUNT = "210987654321"
ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/slackgate-payments-nightly/fn"
OUTSIDE_ROLE = f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/slackgate-payments-nightly/fn"


def deployed_refs(gateway: Synthesized) -> dict[str, str]:
    """The pseudo parameters, and the ids CloudFormation would give the API and the VPC."""
    (api,) = gateway.resources("AWS::ApiGateway::RestApi")
    (vpc,) = gateway.resources("AWS::EC2::VPC")
    return {**PSEUDO, api: API_ID, vpc: "vpc-gateway"}


def execute_api_policy(gateway: Synthesized) -> dict[str, Any]:
    _, props = gateway.endpoints()["execute-api"]
    return resolve_cfn(props["PolicyDocument"], deployed_refs(gateway))


def invoke(
    api: str = API_ID,
    stage: str = "prod",
    method: str = "POST",
    path: str = "v1/messages",
    principal: str = ROLE,
    account: str = ACCOUNT,
    api_account: str = ACCOUNT,
) -> Request:
    resource = f"arn:aws:execute-api:{REGION}:{api_account}:{api}/{stage}/{method}/{path}"
    return Request("execute-api:Invoke", resource, principal, {"aws:PrincipalAccount": account})


REQUESTS = {
    "the relay route": (invoke(), True),
    "another API of this account": (invoke(api=OTHER_API_ID), False),
    "another account's API": (invoke(api=OTHER_API_ID, api_account=OTHER_ACCOUNT), False),
    "the relay API id in another account": (invoke(api_account=OTHER_ACCOUNT), False),
    "another stage": (invoke(stage="test"), False),
    "another method": (invoke(method="GET"), False),
    "every method": (invoke(method="*"), False),
    "another path": (invoke(path="v1/admin"), False),
    "a path below the route": (invoke(path="v1/messages/x"), False),
    "a principal of another account": (
        invoke(principal=OUTSIDE_ROLE, account=OTHER_ACCOUNT),
        False,
    ),
    "another action": (
        Request(
            "execute-api:ManageConnections",
            f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod/POST/v1/messages",
            ROLE,
            {"aws:PrincipalAccount": ACCOUNT},
        ),
        False,
    ),
}


@pytest.mark.parametrize(("request_", "expected"), REQUESTS.values(), ids=REQUESTS.keys())
@pytest.mark.parametrize("configuration", ["gateway", "gateway_all", "gateway_org"])
def test_the_endpoint_admits_the_relay_route_only(
    configuration: str, request_: Request, expected: bool, request: pytest.FixtureRequest
) -> None:
    policy = execute_api_policy(request.getfixturevalue(configuration))
    result = evaluate(policy, request_, principal_required=True)
    assert result.allowed is expected, result


def test_the_policy_is_written_on_the_endpoint_with_no_custom_resource(
    gateway: Synthesized, gateway_all: Synthesized
) -> None:
    # No deny-all placeholder and no ModifyVpcEndpoint call that could leave it in place.
    (statement,) = execute_api_policy(gateway)["Statement"]
    assert statement["Effect"] == "Allow"
    for synthesized in (gateway, gateway_all):
        calls = [r["Properties"]["Create"] for r in synthesized.resources("Custom::AWS").values()]
        assert not any("modifyVpcEndpoint" in str(call) for call in calls)
        for policy in synthesized.resources("AWS::IAM::Policy").values():
            assert "ec2:ModifyVpcEndpoint" not in str(policy)


def test_the_api_does_not_name_the_endpoint(gateway: Synthesized) -> None:
    """What breaks the cycle: the endpoint names the API, never the other way round."""
    (endpoint, _) = gateway.endpoints()["execute-api"]
    _, api = gateway.one("AWS::ApiGateway::RestApi")
    assert endpoint not in str(api)
    _, props = gateway.endpoints()["execute-api"]
    (api_id,) = gateway.resources("AWS::ApiGateway::RestApi")
    assert api_id in str(props["PolicyDocument"])
