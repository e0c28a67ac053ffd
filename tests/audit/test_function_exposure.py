"""`caller_conditions`: may code running as a function's role change that function with *some*
request? Proven by evaluating each role policy, rewritten by `worst_case` and given the
function's `resource_context`, with `shared_gateway.iampolicy`, against a table of policies
that must and must not let the role change its function."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.audit import function_checks as fc
from shared_gateway.audit.caller_conditions import (
    caller_chosen,
    resource_context,
    worst_case,
)
from shared_gateway.iampolicy import RoleSession, allowed

from .conftest import ACCOUNT_ID, REGION

NAME = "slackgate-payments-nightly"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{NAME}"
TAGS = {"slackgate:team": "payments"}
SESSION = RoleSession(ACCOUNT_ID, NAME, tags=TAGS)
UPDATE = "lambda:UpdateFunctionConfiguration"
ALLOW = {"Effect": "Allow", "Action": UPDATE, "Resource": "*"}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def deny(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "lambda:*", "Resource": "*", "Condition": condition}


def can_change(document: dict[str, Any], tags: dict[str, str] = TAGS) -> bool:
    request = SESSION.request(UPDATE, FUNCTION, **resource_context(ACCOUNT_ID, tags))
    return allowed(request, identity=worst_case(document))


# (what, the role's policy, may the role change its function with some request?)
TABLE = [
    (
        "no statement on Lambda",
        policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        False,
    ),
    ("unconditional", policy(ALLOW), True),
    ("another function only", policy({**ALLOW, "Resource": FUNCTION + "-other"}), False),
    (
        "the function's own tag",
        policy(
            {**ALLOW, "Condition": {"StringEquals": {"aws:ResourceTag/slackgate:team": "payments"}}}
        ),
        True,
    ),
    (
        "another team's tag",
        policy(
            {**ALLOW, "Condition": {"StringEquals": {"aws:ResourceTag/slackgate:team": "search"}}}
        ),
        False,
    ),
    (
        "this account's resources",
        policy({**ALLOW, "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT_ID}}}),
        True,
    ),
    (
        "a VPC the caller names",
        policy({**ALLOW, "Condition": {"StringEquals": {"lambda:VpcIds": "vpc-0theirs"}}}),
        True,
    ),
    (
        "a layer the caller names, key in other case",
        policy(
            {
                **ALLOW,
                "Condition": {"ArnLike": {"LAMBDA:Layer": "arn:aws:lambda:*:999999999999:layer:*"}},
            }
        ),
        True,
    ),
    (
        "a request tag and the function's tag: only the chosen half is met",
        policy(
            {
                **ALLOW,
                "Condition": {
                    "StringEquals": {
                        "aws:RequestTag/x": "y",
                        "aws:ResourceTag/slackgate:team": "search",
                    }
                },
            }
        ),
        False,
    ),
    (
        "denied unless the gateway's VPC: the caller names it, or avoids the deny",
        policy(ALLOW, deny({"StringNotEquals": {"lambda:VpcIds": "vpc-0gateway"}})),
        True,
    ),
    (
        "denied on the team's functions: a fixed key, the deny holds",
        policy(ALLOW, deny({"StringEquals": {"aws:ResourceTag/slackgate:team": "payments"}})),
        False,
    ),
    (
        "denied outright",
        policy(ALLOW, {"Effect": "Deny", "Action": "lambda:*", "Resource": "*"}),
        False,
    ),
]


@pytest.mark.parametrize(("what", "document", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_can_the_role_change_its_function(
    what: str, document: dict[str, Any], expected: bool
) -> None:
    assert can_change(document) is expected, what


@pytest.mark.parametrize(
    ("key", "chosen"),
    [
        ("lambda:VpcIds", True),
        ("lambda:FunctionUrlAuthType", True),
        ("aws:RequestTag/slackgate:team", True),
        ("aws:TagKeys", True),
        ("aws:ResourceTag/slackgate:team", False),
        ("aws:ResourceAccount", False),
        ("aws:PrincipalTag/slackgate:team", False),
        ("aws:SourceVpc", False),
    ],
)
def test_which_keys_the_caller_chooses(key: str, chosen: bool) -> None:
    assert caller_chosen(key) is chosen


def test_worst_case_keeps_what_it_cannot_read_for_the_evaluator_to_refuse() -> None:
    odd = {"Effect": "Allow", "Action": UPDATE, "Resource": "*", "Condition": "not a block"}
    assert worst_case(policy(odd)) == policy(odd)
    assert worst_case([ALLOW]) == [ALLOW]
    single = {"Version": "2012-10-17", "Statement": deny({"Null": {"lambda:VpcIds": "true"}})}
    assert worst_case(single)["Statement"] == []


def test_the_role_check_sees_a_caller_chosen_condition_through_worst_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`function_checks.check_role` rewrites the role's policies with `worst_case`: the
    VPC-conditioned Allow is found; evaluated bare (the rewrite switched off) it looks
    harmless."""
    document = policy({**ALLOW, "Condition": {"StringEquals": {"lambda:VpcIds": "vpc-0theirs"}}})

    def reasons(doc: dict[str, Any]) -> list[str]:
        role = fc.RolePolicies(
            arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{NAME}", policies=(("inline p", doc),)
        )
        exposure = fc.FunctionExposure(name=NAME, arn=FUNCTION, roles=(role,), tags=TAGS)
        return [r.code for r in fc.check_roles(exposure)]

    assert "role-can-change-function" in reasons(document)
    monkeypatch.setattr(fc, "worst_case", lambda doc: doc)
    assert reasons(document) == []


def test_the_role_check_gives_the_functions_tags() -> None:
    """An Allow on the function's own team tag is found: the tags are in the context."""
    document = policy(
        {**ALLOW, "Condition": {"StringEquals": {"aws:ResourceTag/slackgate:team": "payments"}}}
    )
    role = fc.RolePolicies(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{NAME}", policies=(("inline p", document),)
    )
    tagged = fc.FunctionExposure(name=NAME, arn=FUNCTION, roles=(role,), tags=TAGS)
    other = fc.FunctionExposure(
        name=NAME, arn=FUNCTION, roles=(role,), tags={"slackgate:team": "search"}
    )
    assert [r.code for r in fc.check_roles(tagged)] == ["role-can-change-function"] * 2
    assert fc.check_roles(other) == []
