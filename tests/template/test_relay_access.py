"""The generated team role is one the relay's API admits, and only for its own team: the role
synthesized from a baked project, with its name and its `slackgate:team` tag, evaluated
(shared_gateway.iampolicy) against the gateway's API resource policy."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import RoleSession, allowed, evaluate
from shared_gateway.infra.relay_api import resource_policy

from .conftest import Baker
from .test_data_policy import ACCOUNT, REGION, Synthesized, role_policies, synthesize

pytestmark = pytest.mark.slow

API_ID, VPC = "relayapi01", "vpc-gateway"
RELAY_ROUTE = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod/POST/v1/messages"


@pytest.fixture(scope="module")
def baked(cookies_session, tmp_path_factory) -> Synthesized:
    return synthesize(Baker(cookies_session), tmp_path_factory.mktemp("relay"), trigger="none")


def the_role(synthesized: Synthesized) -> dict[str, Any]:
    [role] = [
        r["Properties"]
        for r in synthesized.template["Resources"].values()
        if r["Type"] == "AWS::IAM::Role"
    ]
    return role


def gateway_api_policy() -> dict[str, Any]:
    """The gateway's resource policy for this account, as API Gateway stores it."""
    statements = resource_policy(VPC, ACCOUNT).to_json()["Statement"]
    prefix = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/"
    for statement in statements:
        statement["Resource"] = statement["Resource"].replace("execute-api:/", prefix, 1)
    return {"Version": "2012-10-17", "Statement": statements}


def session_of(role: dict[str, Any], tags: dict[str, str] | None = None) -> RoleSession:
    if tags is None:
        tags = {tag["Key"]: tag["Value"] for tag in role.get("Tags", [])}
    return RoleSession(ACCOUNT, role["RoleName"], path=role.get("Path", "/"), tags=tags)


def test_the_role_is_tagged_with_its_team(baked: Synthesized) -> None:
    role = the_role(baked)
    assert role["RoleName"] == "slackgate-payments-nightly"
    assert "Path" not in role  # the API's pattern reads role/slackgate-<team>-*: no path
    assert {tag["Key"]: tag["Value"] for tag in role["Tags"]}["slackgate:team"] == "payments"


def test_the_gateway_admits_the_generated_role_and_only_as_its_team(baked: Synthesized) -> None:
    role, policy = the_role(baked), gateway_api_policy()

    def decide(session: RoleSession) -> bool:
        request = session.request("execute-api:Invoke", RELAY_ROUTE, **{"aws:SourceVpc": VPC})
        return evaluate(policy, request, principal_required=True).allowed

    assert decide(session_of(role))
    assert not decide(session_of(role, tags={}))
    assert not decide(session_of(role, tags={"slackgate:team": "search"}))
    renamed = {**role, "RoleName": "slackgate-search-nightly"}
    assert not decide(session_of(renamed))


def test_the_role_may_invoke_exactly_the_relay_route(baked: Synthesized) -> None:
    """Its own identity policy, evaluated: needed as soon as caller and API are in two accounts
    (both sides must then allow), and the role takes no policy updates after synthesis."""
    policies = role_policies(baked.template, SlackgateApiId=API_ID)
    parameter = baked.template["Parameters"]["SlackgateApiId"]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert parameter["Default"] == "/slackgate/api/id"  # the published contract
    session = RoleSession(
        ACCOUNT, "slackgate-payments-nightly", tags={"slackgate:team": "payments"}
    )

    def may(resource: str, action: str = "execute-api:Invoke") -> bool:
        # AWS puts the resource's account in the context (the data policies condition on it).
        request = session.request(
            action, resource, **{"aws:ResourceAccount": resource.split(":")[4]}
        )
        return allowed(request, identity=policies)

    api = f"arn:aws:execute-api:{REGION}:{ACCOUNT}"
    assert may(RELAY_ROUTE)
    for other in (
        f"{api}:otherapi99/prod/POST/v1/messages",  # another API
        f"{api}:{API_ID}/test/POST/v1/messages",  # another stage
        f"{api}:{API_ID}/prod/GET/v1/messages",  # another method
        f"{api}:{API_ID}/prod/POST/v1/admin",  # another path
        f"{api}:{API_ID}/prod/POST/v1/messages/x",
        f"arn:aws:execute-api:{REGION}:210987654321:{API_ID}/prod/POST/v1/messages",
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/prod/POST/v1/messages",
    ):
        assert not may(other), other
    assert not may(RELAY_ROUTE, action="execute-api:ManageConnections")
