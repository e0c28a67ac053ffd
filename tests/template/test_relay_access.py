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
# The gateway's account when the team deploys in a member account of the organisation.
HUB = "210987654321"


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


def route(account: str = ACCOUNT) -> str:
    return f"arn:aws:execute-api:{REGION}:{account}:{API_ID}/prod/POST/v1/messages"


def test_the_route_comes_from_the_published_api_id_and_account(baked: Synthesized) -> None:
    parameters = baked.template["Parameters"]
    for name, published in (("SlackgateApiId", "api/id"), ("SlackgateApiAccount", "api/account")):
        assert parameters[name]["Type"] == "AWS::SSM::Parameter::Value<String>"
        assert parameters[name]["Default"] == f"/slackgate/{published}"  # the published contract


@pytest.mark.parametrize("api_account", [ACCOUNT, HUB], ids=["gateway-account", "member-account"])
def test_the_role_may_invoke_exactly_the_relay_route(baked: Synthesized, api_account: str) -> None:
    """Its own identity policy, evaluated: needed as soon as caller and API are in two accounts
    (both sides must then allow), and the role takes no policy updates after synthesis. In a
    member account of the organisation the API is the hub's: the ARN names the published
    account, not the one deployed to."""
    policies = role_policies(baked.template, SlackgateApiId=API_ID, SlackgateApiAccount=api_account)
    session = RoleSession(
        ACCOUNT, "slackgate-payments-nightly", tags={"slackgate:team": "payments"}
    )

    def may(resource: str, action: str = "execute-api:Invoke") -> bool:
        # AWS puts the resource's account in the context (the data policies condition on it).
        request = session.request(
            action, resource, **{"aws:ResourceAccount": resource.split(":")[4]}
        )
        # The identity side alone (the resource side is the next test).
        return allowed(request, identity=policies, same_account=True)

    relay = route(api_account)
    other_account = ACCOUNT if api_account == HUB else HUB
    api = f"arn:aws:execute-api:{REGION}:{api_account}"
    assert may(relay)
    for other in (
        f"{api}:otherapi99/prod/POST/v1/messages",  # another API
        f"{api}:{API_ID}/test/POST/v1/messages",  # another stage
        f"{api}:{API_ID}/prod/GET/v1/messages",  # another method
        f"{api}:{API_ID}/prod/POST/v1/admin",  # another path
        f"{api}:{API_ID}/prod/POST/v1/messages/x",
        route(other_account),  # the same id in the other account
        route("999999999999"),
        f"arn:aws:execute-api:us-east-1:{api_account}:{API_ID}/prod/POST/v1/messages",
    ):
        assert not may(other), other
    assert not may(relay, action="execute-api:ManageConnections")


def test_a_member_accounts_role_reaches_the_hubs_relay_with_both_sides_allowing(
    baked: Synthesized,
) -> None:
    """Cross-account, as AWS decides it: the team's role in its own account (registered for
    the team in the hub's registry) calls the hub's API; the role's identity policy names the
    hub's route (from api/account) and the hub's resource policy admits the account."""
    policies = role_policies(baked.template, SlackgateApiId=API_ID, SlackgateApiAccount=HUB)
    statements = resource_policy(VPC, HUB, team_accounts=[ACCOUNT]).to_json()["Statement"]
    for statement in statements:
        statement["Resource"] = statement["Resource"].replace(
            "execute-api:/", f"arn:aws:execute-api:{REGION}:{HUB}:{API_ID}/", 1
        )
    api_policy = {"Version": "2012-10-17", "Statement": statements}
    role = the_role(baked)

    def decide(identity: list[dict[str, Any]], session: RoleSession) -> bool:
        request = session.request(
            "execute-api:Invoke", route(HUB), **{"aws:SourceVpc": VPC, "aws:ResourceAccount": HUB}
        )
        return allowed(request, identity=identity, resource=api_policy)

    assert decide(policies, session_of(role))
    # Built with the deploying account (the template before api/account): the hub's resource
    # policy alone does not do across accounts, so the call is refused.
    own_account = role_policies(baked.template, SlackgateApiId=API_ID, SlackgateApiAccount=ACCOUNT)
    assert not decide(own_account, session_of(role))
    assert not decide(policies, session_of(role, tags={"slackgate:team": "search"}))
