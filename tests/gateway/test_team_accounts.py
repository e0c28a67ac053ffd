"""Teams registered in other accounts (the registry's `accounts`): the API's resource policy and
the execute-api endpoint's policy admit their roles, and no other account's, evaluated."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_gateway.iampolicy import Request, RoleSession, evaluate

from .conftest import ACCOUNT, REGION, Synthesized, synthesize
from .test_endpoint_policy import API_ID, execute_api_policy
from .test_relay_api import deployed_resource_policy

PAYMENTS_ACCOUNT, SEARCH_ACCOUNT, STRANGER = "111111111111", "222222222222", "333333333333"
REGISTRY = f"""
[teams.payments]
channels = ["payments-alerts"]
accounts = ["{PAYMENTS_ACCOUNT}"]
[teams.search]
channels = ["search-reports"]
accounts = ["{SEARCH_ACCOUNT}", "{ACCOUNT}"]
[channels.payments-alerts]
secret = "slackgate/channels/payments-alerts"
[channels.search-reports]
secret = "slackgate/channels/search-reports"
"""
RELAY_ROUTE = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod/POST/v1/messages"


@pytest.fixture(scope="module")
def gateway_teams(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    registry = Path(tmp_path_factory.mktemp("registry")) / "registry.toml"
    registry.write_text(REGISTRY)
    # The subnets shared with both accounts, as the gateway requires of a team's account.
    return synthesize(
        tmp_path_factory,
        **{
            "slackgate:registryPath": str(registry),
            "slackgate:shareWith": [PAYMENTS_ACCOUNT, SEARCH_ACCOUNT],
        },
    )


def call(account: str, team: str, role: str | None = None) -> Request:
    session = RoleSession(
        account, role or f"slackgate-{team}-nightly", tags={"slackgate:team": team}
    )
    return session.request("execute-api:Invoke", RELAY_ROUTE, **{"aws:SourceVpc": "vpc-gateway"})


CALLS = {
    "payments in its account": (call(PAYMENTS_ACCOUNT, "payments"), True),
    "search in its account": (call(SEARCH_ACCOUNT, "search"), True),
    "search in the gateway's account": (call(ACCOUNT, "search"), True),
    "a role of an unregistered account": (call(STRANGER, "payments"), False),
    "a tagged role named for another team": (
        call(PAYMENTS_ACCOUNT, "payments", role="slackgate-search-nightly"),
        False,
    ),
}


@pytest.mark.parametrize(("request_", "expected"), CALLS.values(), ids=CALLS.keys())
def test_the_api_admits_the_teams_accounts_and_no_other(
    gateway_teams: Synthesized, request_: Request, expected: bool
) -> None:
    policy = deployed_resource_policy(gateway_teams)
    result = evaluate(policy, request_, principal_required=True)
    assert result.allowed is expected, result


def test_an_unregistered_account_is_denied_by_the_accounts_statement(
    gateway_teams: Synthesized,
) -> None:
    policy = deployed_resource_policy(gateway_teams)
    result = evaluate(policy, call(STRANGER, "payments"), principal_required=True)
    assert result.sid == "OnlyTheTeamsAccounts"


@pytest.mark.parametrize(
    ("account", "expected"),
    [(PAYMENTS_ACCOUNT, True), (SEARCH_ACCOUNT, True), (ACCOUNT, True), (STRANGER, False)],
)
def test_the_endpoint_admits_the_teams_accounts_and_no_other(
    gateway_teams: Synthesized, account: str, expected: bool
) -> None:
    principal = f"arn:aws:sts::{account}:assumed-role/slackgate-payments-nightly/fn"
    request_ = Request(
        "execute-api:Invoke", RELAY_ROUTE, principal, {"aws:PrincipalAccount": account}
    )
    result = evaluate(execute_api_policy(gateway_teams), request_, principal_required=True)
    assert result.allowed is expected, result


def test_one_account_keeps_the_single_account_policy(gateway: Synthesized) -> None:
    sids = [s["Sid"] for s in deployed_resource_policy(gateway)["Statement"]]
    assert "OnlyTheTeamsAccounts" not in sids
    assert (
        evaluate(
            deployed_resource_policy(gateway),
            call(PAYMENTS_ACCOUNT, "payments"),
            principal_required=True,
        ).allowed
        is False
    )
