"""Identity: the team comes from the authenticated role ARN and from nothing else."""

from __future__ import annotations

import pytest

from shared_gateway.relay.identity import CallerRejected, team_of_caller
from shared_gateway.relay.registry import parse_registry

REGISTRY = parse_registry(
    """
[teams.payments]
channels = ["payments-alerts"]
[teams.search]
channels = ["search-reports"]
[channels.payments-alerts]
secret = "s/payments"
[channels.search-reports]
secret = "s/search"
"""
)
ACCOUNT = "123456789012"


def event(user_arn: object = None, **extra: object) -> dict[str, object]:
    identity = {} if user_arn is None else {"userArn": user_arn}
    return {"requestContext": {"identity": identity}, **extra}


def arn(role: str, account: str = ACCOUNT, session: str = "fn") -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role}/{session}"


@pytest.mark.parametrize(
    ("role", "team"),
    [
        ("slackgate-payments-nightly", "payments"),
        ("slackgate-search-weekly-report", "search"),
        ("slackgate-payments-a", "payments"),
    ],
)
def test_team_from_role_name(role: str, team: str) -> None:
    assert team_of_caller(event(arn(role)), REGISTRY, ACCOUNT).slug == team


def test_other_partitions_are_accepted() -> None:
    caller = "arn:aws-cn:sts::123456789012:assumed-role/slackgate-search-x/fn"
    assert team_of_caller(event(caller), REGISTRY).slug == "search"


@pytest.mark.parametrize(
    "caller",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param(42, id="not-a-string"),
        pytest.param("arn:aws:iam::123456789012:user/slackgate-payments-x", id="iam-user"),
        pytest.param("arn:aws:iam::123456789012:role/slackgate-payments-x", id="role-not-session"),
        pytest.param(arn("slackgate-unknown-x"), id="unregistered-team"),
        pytest.param(arn("slackgate-payments"), id="no-function-part"),
        pytest.param(arn("slackgate-payments-"), id="empty-function-part"),
        pytest.param(arn("Slackgate-payments-x"), id="wrong-case-prefix"),
        pytest.param(arn("xslackgate-payments-x"), id="prefix-not-at-start"),
        pytest.param(arn("other-slackgate-payments-x"), id="prefix-in-the-middle"),
        pytest.param(arn("slackgate-PAYMENTS-x"), id="uppercase-team"),
        pytest.param(arn("slackgate-payments-x", account="12345678901"), id="short-account"),
        pytest.param(arn("slackgate-payments-x", account="999999999999"), id="other-account"),
        # \d in Python's re matches these; an account id is ASCII digits only.
        pytest.param(arn("slackgate-payments-x", account="١٢٣٤٥٦٧٨٩٠١٢"), id="arabic-indic"),
        pytest.param(arn("slackgate-payments-x", account="۱۲۳۴۵۶۷۸۹۰۱۲"), id="persian-digits"),
        pytest.param(arn("slackgate-payments-x", account="１２３４５６７８９０１２"), id="wide"),
        pytest.param(arn("slackgate-payments-x", account="12345678901२"), id="one-devanagari"),
        pytest.param(arn("slackgate-payments-x") + "/extra", id="extra-path"),
        pytest.param(arn("slackgate-payments-x") + "\n", id="trailing-newline"),
        pytest.param(" " + arn("slackgate-payments-x"), id="leading-space"),
        pytest.param(arn("slackgate-payments-" + "x" * 60), id="role-name-too-long"),
        pytest.param(arn("slackgate-search-x").replace("search", "sеarch"), id="cyrillic-letter"),
        pytest.param(
            "arn:evil:sts::123456789012:assumed-role/slackgate-payments-x/f", id="bad-partition"
        ),
    ],
)
def test_unknown_or_malformed_callers_are_rejected(caller: object) -> None:
    with pytest.raises(CallerRejected):
        team_of_caller(event(caller), REGISTRY, ACCOUNT)


@pytest.mark.parametrize(
    "spoof",
    [
        {
            "headers": {
                "X-Slackgate-Team": "payments",
                "X-Amz-User-Arn": arn("slackgate-payments-x"),
            }
        },
        {"body": '{"team": "payments", "channel": "payments-alerts"}'},
        {"queryStringParameters": {"team": "payments"}},
        {
            "requestContext": {
                "identity": {"caller": arn("slackgate-payments-x"), "user": "payments"}
            }
        },
        {"requestContext": {"authorizer": {"principalId": arn("slackgate-payments-x")}}},
        {"multiValueHeaders": {"userArn": [arn("slackgate-payments-x")]}},
    ],
    ids=["headers", "body", "query", "other-identity-fields", "authorizer", "multi-value-headers"],
)
def test_nothing_but_user_arn_can_claim_a_team(spoof: dict[str, object]) -> None:
    request = {"requestContext": {"identity": {}}, **spoof}
    with pytest.raises(CallerRejected):
        team_of_caller(request, REGISTRY)


def test_rejection_message_names_the_fix() -> None:
    with pytest.raises(CallerRejected) as caught:
        team_of_caller(event(arn("slackgate-billing-x")), REGISTRY)
    assert "'billing' is not in the relay's registry" in caught.value.reason.message


@pytest.mark.parametrize("account", ["١٢٣٤٥٦٧٨٩٠١٢", "１２３４５６７８９０１２", "𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗𝟎𝟏𝟐"])
def test_non_ascii_digits_are_refused_even_without_an_expected_account(account: str) -> None:
    # Without SLACKGATE_ACCOUNT_ID nothing compares the account; the shape alone must refuse.
    with pytest.raises(CallerRejected, match="not a slackgate function role"):
        team_of_caller(event(arn("slackgate-payments-x", account=account)), REGISTRY)


# --- teams in several accounts (an organisation's team accounts) -------------------------------

MEMBERS = parse_registry(
    """
[teams.payments]
channels = ["payments-alerts"]
accounts = ["111111111111", "222222222222"]
[teams.search]
channels = ["search-reports"]
[channels.payments-alerts]
secret = "s/payments"
[channels.search-reports]
secret = "s/search"
"""
)


@pytest.mark.parametrize("account", ["111111111111", "222222222222"])
def test_a_team_is_its_roles_in_its_registered_accounts(account: str) -> None:
    caller = event(arn("slackgate-payments-nightly", account))
    assert team_of_caller(caller, MEMBERS, ACCOUNT).slug == "payments"


@pytest.mark.parametrize(
    ("role", "account"),
    [
        pytest.param("slackgate-payments-x", ACCOUNT, id="the-gateway-account-not-listed"),
        pytest.param("slackgate-payments-x", "333333333333", id="an-unlisted-account"),
        pytest.param("slackgate-search-x", "111111111111", id="another-teams-account"),
    ],
)
def test_a_role_of_the_teams_name_in_any_other_account_is_refused(role: str, account: str) -> None:
    with pytest.raises(CallerRejected, match="not one of team"):
        team_of_caller(event(arn(role, account)), MEMBERS, ACCOUNT)


def test_a_team_without_accounts_stays_in_the_gateway_account() -> None:
    assert team_of_caller(event(arn("slackgate-search-x")), MEMBERS, ACCOUNT).slug == "search"
    with pytest.raises(CallerRejected, match=r"teams\.search\.accounts"):
        team_of_caller(event(arn("slackgate-search-x", "111111111111")), MEMBERS, ACCOUNT)
