"""Every condition operator, with present, absent and multivalued keys."""

from __future__ import annotations

from typing import Any

import pytest

from shared_gateway.iampolicy import Decision, PolicyError, Request, evaluate

ACCOUNT = "111122223333"


def holds(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    """Whether an Allow statement with this condition allows a request with this context."""
    policy = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition},
    }
    result = evaluate(policy, Request("s3:GetObject", "arn:aws:s3:::b/k", context=context))
    return result.decision is Decision.ALLOW


K = "aws:PrincipalAccount"
CASES = [
    # (operator, policy values, request context value or None for a missing key, expected)
    ("StringEquals", ACCOUNT, ACCOUNT, True),
    ("StringEquals", ACCOUNT, "444455556666", False),
    ("StringEquals", [ACCOUNT, "444455556666"], "444455556666", True),  # values are ORed
    ("StringEquals", "Abc", "abc", False),
    ("StringEquals", "a*", "abc", False),  # no wildcards in StringEquals
    ("StringEquals", ACCOUNT, None, False),
    ("StringNotEquals", ACCOUNT, ACCOUNT, False),
    ("StringNotEquals", ACCOUNT, "444455556666", True),
    ("StringNotEquals", [ACCOUNT, "444455556666"], "444455556666", False),  # NOR
    ("StringNotEquals", ACCOUNT, None, True),  # negated operator: missing key is true
    ("StringEqualsIgnoreCase", "Abc", "aBC", True),
    ("StringEqualsIgnoreCase", "Abc", "abd", False),
    ("StringEqualsIgnoreCase", "Abc", None, False),
    ("StringNotEqualsIgnoreCase", "Abc", "aBC", False),
    ("StringNotEqualsIgnoreCase", "Abc", "abd", True),
    ("StringNotEqualsIgnoreCase", "Abc", None, True),
    ("StringLike", "daily/*", "daily/2024/x", True),
    ("StringLike", "daily/?", "daily/a", True),
    ("StringLike", "daily/?", "daily/ab", False),
    ("StringLike", "daily/*", "Daily/x", False),  # case-sensitive
    ("StringLike", "daily/*", None, False),
    ("StringNotLike", "daily/*", "daily/x", False),
    ("StringNotLike", "daily/*", "weekly/x", True),
    ("StringNotLike", "daily/*", None, True),
    ("StringEqualsIfExists", ACCOUNT, None, True),
    ("StringEqualsIfExists", ACCOUNT, "444455556666", False),
    ("StringNotEqualsIfExists", ACCOUNT, ACCOUNT, False),
    ("StringLikeIfExists", "a*", None, True),
    ("Bool", "true", True, True),
    ("Bool", "true", "true", True),
    ("Bool", True, "TRUE", True),
    ("Bool", "true", False, False),
    ("Bool", "false", None, False),  # a missing key never equals false
    ("BoolIfExists", "false", None, True),
    ("NumericEquals", "10", "10", True),
    ("NumericEquals", 10, "10.0", True),
    ("NumericEquals", "10", "11", False),
    ("NumericEquals", "10", "ten", False),
    ("NumericEquals", "10", None, False),
    ("NumericNotEquals", "10", "11", True),
    ("NumericNotEquals", "10", "10", False),
    ("NumericNotEquals", "10", None, True),
    ("NumericLessThan", "10", "9", True),
    ("NumericLessThan", "10", "10", False),
    ("NumericLessThan", "10", None, False),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericLessThanEquals", "10", "11", False),
    ("NumericGreaterThan", "10", "11", True),
    ("NumericGreaterThan", "10", "10", False),
    ("NumericGreaterThanEquals", "10", "10", True),
    ("NumericGreaterThanEquals", "10", "9", False),
    ("NumericGreaterThanIfExists", "10", None, True),
]


@pytest.mark.parametrize(("operator", "values", "actual", "expected"), CASES)
def test_operator(operator: str, values: Any, actual: Any, expected: bool) -> None:
    context = {} if actual is None else {K: actual}
    assert holds({operator: {K: values}}, context) is expected


ROLE = f"arn:aws:iam::{ACCOUNT}:role/slackgate-payments-alerts"
ARN_CASES = [
    ("ArnEquals", ROLE, ROLE, True),
    ("ArnEquals", f"arn:aws:iam::{ACCOUNT}:role/slackgate-*", ROLE, True),
    ("ArnLike", f"arn:aws:iam::{ACCOUNT}:role/slackgate-*", ROLE, True),
    ("ArnLike", "arn:aws:iam::*:role/slackgate-*", ROLE, True),
    ("ArnLike", "arn:aws:iam::444455556666:role/*", ROLE, False),
    ("ArnLike", "arn:aws:iam::*:role/other", ROLE, False),
    # A wildcard matches within its own colon-separated part only (StringLike would match).
    ("ArnLike", f"arn:*:iam::{ACCOUNT}:role/x", f"arn:aws:x:iam::{ACCOUNT}:role/x", False),
    ("ArnLike", "arn:aws:iam::*:*", "not-an-arn", False),
    ("ArnLike", "arn:aws:iam::*:*", None, False),
    ("ArnNotEquals", ROLE, ROLE, False),
    ("ArnNotEquals", ROLE, f"arn:aws:iam::{ACCOUNT}:role/other", True),
    ("ArnNotLike", "arn:aws:iam::*:role/slackgate-*", ROLE, False),
    ("ArnNotLike", "arn:aws:iam::*:role/slackgate-*", f"arn:aws:iam::{ACCOUNT}:role/x", True),
    ("ArnNotLike", "arn:aws:iam::*:role/slackgate-*", None, True),
    ("ArnLikeIfExists", "arn:aws:iam::*:role/slackgate-*", None, True),
]


@pytest.mark.parametrize(("operator", "values", "actual", "expected"), ARN_CASES)
def test_arn_operator(operator: str, values: Any, actual: Any, expected: bool) -> None:
    context = {} if actual is None else {"aws:PrincipalArn": actual}
    assert holds({operator: {"aws:PrincipalArn": values}}, context) is expected


@pytest.mark.parametrize(
    ("value", "context", "expected"),
    [
        ("true", {}, True),
        ("true", {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}, False),
        ("false", {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}, True),
        ("false", {}, False),
        ("false", {"aws:TokenIssueTime": []}, False),  # an empty list counts as absent
    ],
)
def test_null(value: str, context: dict[str, Any], expected: bool) -> None:
    assert holds({"Null": {"aws:TokenIssueTime": value}}, context) is expected


TAGS = "aws:TagKeys"
SET_CASES = [
    ("ForAllValues:StringEquals", ["a", "b"], ["a"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
    ("ForAllValues:StringEquals", ["a", "b"], None, True),  # missing key: true
    ("ForAllValues:StringEquals", ["a", "b"], [], True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "d"], False),
    ("ForAnyValue:StringEquals", ["a", "b"], None, False),  # missing key: false
    ("ForAnyValue:StringLike", ["o-1/*"], ["o-2/r", "o-1/r/ou"], True),
    ("ForAllValues:StringLike", ["o-1/*"], ["o-2/r", "o-1/r/ou"], False),
    ("ForAnyValue:StringNotEquals", ["a"], ["a", "b"], True),
    ("ForAnyValue:StringNotEquals", ["a"], ["a"], False),
    ("ForAnyValue:StringNotEquals", ["a"], None, False),
    ("ForAllValues:StringNotEquals", ["a"], ["b", "c"], True),
    ("ForAllValues:StringNotEquals", ["a"], ["a", "c"], False),
    ("ForAllValues:StringNotEquals", ["a"], None, True),
    ("ForAnyValue:StringEquals", ["a"], "a", True),  # a single value is a set of one
]


@pytest.mark.parametrize(("operator", "values", "actual", "expected"), SET_CASES)
def test_set_operator(operator: str, values: Any, actual: Any, expected: bool) -> None:
    context = {} if actual is None else {TAGS: actual}
    assert holds({operator: {TAGS: values}}, context) is expected


def test_several_keys_and_operators_are_anded() -> None:
    condition = {
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT},
        "Bool": {"aws:SecureTransport": "true"},
    }
    both = {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}
    assert holds(condition, {**both, "aws:SecureTransport": True})
    assert not holds(condition, {**both, "aws:SecureTransport": False})
    assert not holds(condition, {"aws:PrincipalAccount": ACCOUNT, "aws:SecureTransport": True})


def test_condition_keys_are_case_insensitive_values_are_not() -> None:
    assert holds({"StringEquals": {"AWS:principalaccount": ACCOUNT}}, {K: ACCOUNT})
    assert holds({"StringEquals": {K: ACCOUNT}}, {"aws:PRINCIPALACCOUNT": ACCOUNT})
    assert not holds({"StringEquals": {"s3:prefix": "Daily/"}}, {"s3:prefix": "daily/"})


def test_policy_variables_in_condition_values() -> None:
    condition = {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}
    assert holds(condition, {"aws:ResourceAccount": ACCOUNT, K: ACCOUNT})
    assert not holds(condition, {"aws:ResourceAccount": "444455556666", K: ACCOUNT})
    # The variable has no value: the condition value matches nothing.
    assert not holds(condition, {"aws:ResourceAccount": ACCOUNT})


def test_policy_variables_inside_arn_patterns() -> None:
    # The variable's own colon does not split the ARN into more parts.
    condition = {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}}
    assert holds(condition, {"aws:PrincipalArn": ROLE, K: ACCOUNT})
    assert not holds(condition, {"aws:PrincipalArn": ROLE, K: "444455556666"})
    assert not holds(condition, {"aws:PrincipalArn": ROLE})


def test_policy_variable_default_and_escapes() -> None:
    with_default = {"StringEquals": {"s3:prefix": "home/${aws:username, 'nobody'}/"}}
    assert holds(with_default, {"s3:prefix": "home/nobody/"})
    assert holds(with_default, {"s3:prefix": "home/ana/", "aws:username": "ana"})
    # ${*} is a literal star, even under StringLike.
    literal_star = {"StringLike": {"s3:prefix": "a${*}"}}
    assert holds(literal_star, {"s3:prefix": "a*"})
    assert not holds(literal_star, {"s3:prefix": "ab"})
    assert holds({"StringEquals": {"s3:prefix": "${$}{x}"}}, {"s3:prefix": "${x}"})
    assert holds({"StringLike": {"s3:prefix": "a${?}"}}, {"s3:prefix": "a?"})
    assert not holds({"StringLike": {"s3:prefix": "a${?}"}}, {"s3:prefix": "ab"})


def test_version_2008_reads_variables_as_text() -> None:
    policy = {
        "Version": "2008-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"s3:prefix": "${aws:username}"}},
        },
    }
    literal = Request("s3:ListBucket", "*", context={"s3:prefix": "${aws:username}"})
    assert evaluate(policy, literal).decision is Decision.ALLOW


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, "unsupported"),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "unsupported"),
        ({"StringEqualz": {K: ACCOUNT}}, "unsupported condition operator"),
        ({"stringequals": {K: ACCOUNT}}, "unsupported condition operator"),
        ({"ForAnyValue:StringEqualsIfExists": {K: ACCOUNT}}, "IfExists"),
        ({"ForSomeValues:StringEquals": {K: ACCOUNT}}, "unsupported"),
        ({"NullIfExists": {K: "true"}}, "Null"),
        ({"Null": {K: "yes"}}, "true or false"),
        ({"Bool": {K: "yes"}}, "true or false"),
        ({"NumericLessThan": {K: "ten"}}, "not a number"),
        ({"ArnLike": {"aws:PrincipalArn": "*"}}, "six parts"),
        ({"StringEquals": {K: []}}, "empty list"),
        ({"StringEquals": {K: {"nested": "x"}}}, "expected a string"),
        ({"StringEquals": "x"}, "must map condition keys"),
        ({"StringEquals": {K: "${aws:username"}}, "malformed policy variable"),
        ("not an object", "Condition must be an object"),
    ],
)
def test_unsupported_or_malformed_conditions_raise(condition: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        holds(condition, {K: ACCOUNT})


def test_multivalued_key_without_set_operator_raises() -> None:
    with pytest.raises(PolicyError, match="ForAnyValue"):
        holds({"StringEquals": {TAGS: "a"}}, {TAGS: ["a", "b"]})


def test_malformed_context_raises() -> None:
    with pytest.raises(PolicyError, match="twice"):
        holds({"StringEquals": {K: ACCOUNT}}, {K: ACCOUNT, K.upper(): ACCOUNT})
    with pytest.raises(PolicyError, match="list of strings"):
        holds({"StringEquals": {K: ACCOUNT}}, {K: [1, 2]})
