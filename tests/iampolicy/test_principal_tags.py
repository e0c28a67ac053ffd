"""Principal tags as condition keys and as policy variables, the role session's request context,
and a policy variable without a value: its statement is invalid (neither allows nor denies)."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import Decision, PolicyError, Request, RoleSession, evaluate

ACCOUNT = "111122223333"
API = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:api/prod/POST/v1/messages"
NAME_MATCHES_TAG = {
    "ArnNotLike": {
        "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/team-${{aws:PrincipalTag/team}}-*"
    }
}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [*statements, allow]}


def deny(sid: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "*",
        "Condition": condition,
    }


def decide(document: dict[str, Any], session: RoleSession) -> Decision:
    request = session.request("execute-api:Invoke", API)
    return evaluate(document, request, principal_required=True).decision


def test_role_session_context_is_what_aws_puts_in_the_request() -> None:
    session = RoleSession(ACCOUNT, "team-a-x", path="/apps/", tags={"team": "a"}, session="fn")
    assert session.principal == f"arn:aws:sts::{ACCOUNT}:assumed-role/team-a-x/fn"
    assert session.context() == {
        "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/apps/team-a-x",  # the path is kept
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalTag/team": "a",
    }
    request = session.request("s3:GetObject", "arn:aws:s3:::b/k", **{"aws:SourceVpc": "vpc-1"})
    assert request.context["aws:SourceVpc"] == "vpc-1"
    assert request.principal == session.principal


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(("12345", "r"), "12-digit"), ((ACCOUNT, "r", "apps/"), "path"), ((ACCOUNT, "r", ""), "path")],
)
def test_role_session_refuses_what_iam_cannot_hold(
    arguments: tuple[str, ...], message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        RoleSession(*arguments)


def test_principal_tag_condition_keys_are_case_insensitive() -> None:
    document = policy(deny("NotTeamA", {"StringNotEquals": {"AWS:PrincipalTag/Team": "a"}}))
    assert decide(document, RoleSession(ACCOUNT, "r", tags={"team": "a"})) is Decision.ALLOW
    assert decide(document, RoleSession(ACCOUNT, "r", tags={"team": "b"})) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("name", "tags", "expected"),
    [
        ("team-a-x", {"team": "a"}, Decision.ALLOW),
        ("team-a-x", {"team": "b"}, Decision.EXPLICIT_DENY),
        ("team-b-x", {"team": "a"}, Decision.EXPLICIT_DENY),
        ("team-ab-x", {"team": "a"}, Decision.EXPLICIT_DENY),  # "team-a-*" is not "team-ab-x"
        ("team-a-x", {"team": "*"}, Decision.EXPLICIT_DENY),  # a substituted * is literal
        ("team-a-x", {"team": "?"}, Decision.EXPLICIT_DENY),
    ],
)
def test_the_tag_is_substituted_into_the_arn_pattern(
    name: str, tags: dict[str, str], expected: Decision
) -> None:
    document = policy(deny("NameMatchesTag", NAME_MATCHES_TAG))
    assert decide(document, RoleSession(ACCOUNT, name, tags=tags)) is expected


def test_a_variable_without_a_value_makes_its_deny_do_nothing() -> None:
    """The IAM User Guide: matching a variable that is not present 'fails and causes the
    statement to be invalid'. A negated operator must not turn that into a match."""
    untagged = RoleSession(ACCOUNT, "team-a-x")
    assert decide(policy(deny("NameMatchesTag", NAME_MATCHES_TAG)), untagged) is Decision.ALLOW
    # Hence the companion Null Deny: it alone refuses the untagged caller.
    with_null = policy(
        deny("NameMatchesTag", NAME_MATCHES_TAG),
        deny("Tagged", {"Null": {"aws:PrincipalTag/team": "true"}}),
    )
    request = untagged.request("execute-api:Invoke", API)
    result = evaluate(with_null, request, principal_required=True)
    assert (result.decision, result.sid) == (Decision.EXPLICIT_DENY, "Tagged")


def test_an_invalid_statement_allows_nothing_either() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "NotResource": "arn:aws:s3:::${aws:PrincipalTag/bucket}/*",
            }
        ],
    }
    request = Request("s3:GetObject", "arn:aws:s3:::other/k", context={})
    assert evaluate(document, request).decision is Decision.IMPLICIT_DENY
    tagged = Request(
        "s3:GetObject", "arn:aws:s3:::other/k", context={"aws:PrincipalTag/bucket": "b"}
    )
    assert evaluate(document, tagged).decision is Decision.ALLOW


def test_an_unresolved_variable_never_hides_a_policy_error_elsewhere() -> None:
    statement = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {
            "StringNotEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/other}"},
            "StringEquals": {"aws:CalledVia": "x"},
        },
    }
    request = Request(
        "s3:GetObject", "*", context={"aws:PrincipalTag/team": "a", "aws:CalledVia": ["x", "y"]}
    )
    with pytest.raises(PolicyError, match="several values"):
        evaluate({"Version": "2012-10-17", "Statement": [statement]}, request)
