"""Properties that hold for every request: deny wins, order does not matter, negations negate."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared_gateway.iampolicy import Decision, Request, evaluate, resolve_cfn

names = st.text(alphabet="abcXYZ019-/", min_size=1, max_size=8)
actions = st.builds(lambda s, a: f"{s}:{a}", st.sampled_from(["s3", "kms", "execute-api"]), names)
resources = st.builds(lambda key: f"arn:aws:s3:::bucket/{key}", names)
# Patterns drawn from the same small alphabet plus wildcards, so that they sometimes match.
patterns = st.text(alphabet="abcXYZ019-/*?", min_size=1, max_size=8)
action_patterns = st.one_of(
    st.just("*"), st.builds(lambda s, a: f"{s}:{a}", st.sampled_from(["s3", "kms", "*"]), patterns)
)
contexts = st.dictionaries(st.sampled_from(["aws:PrincipalAccount", "s3:prefix"]), names)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        draw(st.sampled_from(["Action", "NotAction"])): draw(st.lists(action_patterns, min_size=1)),
        draw(st.sampled_from(["Resource", "NotResource"])): "arn:aws:s3:::bucket/" + draw(patterns),
    }
    if draw(st.booleans()):
        operator = draw(st.sampled_from(["StringEquals", "StringNotLike", "StringLikeIfExists"]))
        statement["Condition"] = {operator: {"s3:prefix": draw(patterns)}}
    return statement


requests = st.builds(Request, actions, resources, st.just(""), contexts)
DENY_ALL = {"Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}


@given(st.lists(statements(), max_size=6), requests, st.integers(min_value=0, max_value=6))
def test_a_deny_everything_statement_always_wins(
    others: list[dict[str, Any]], request: Request, position: int
) -> None:
    policy = [*others[:position], DENY_ALL, *others[position:]]
    result = evaluate(policy, request)
    assert result.decision is Decision.EXPLICIT_DENY
    assert not result.allowed


@given(st.lists(statements(), min_size=1, max_size=6), requests, st.randoms())
def test_statement_order_does_not_change_the_decision(
    policy: list[dict[str, Any]], request: Request, random: Any
) -> None:
    shuffled = list(policy)
    random.shuffle(shuffled)
    assert evaluate(policy, request).decision is evaluate(shuffled, request).decision


@given(st.lists(action_patterns, min_size=1, max_size=3), actions)
def test_not_action_is_the_complement_of_action(listed: list[str], action: str) -> None:
    request = Request(action, "*")
    positive = evaluate([{"Effect": "Allow", "Action": listed, "Resource": "*"}], request)
    negative = evaluate([{"Effect": "Allow", "NotAction": listed, "Resource": "*"}], request)
    assert positive.allowed != negative.allowed


@given(st.lists(patterns, min_size=1, max_size=3), names, st.sampled_from(["Equals", "Like"]))
def test_negated_string_operators_negate_when_the_key_is_present(
    values: list[str], actual: str, kind: str
) -> None:
    def holds(operator: str) -> bool:
        statement = {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {operator: {"s3:prefix": values}},
        }
        return evaluate(
            [statement], Request("s3:ListBucket", "*", "", {"s3:prefix": actual})
        ).allowed

    assert holds(f"String{kind}") != holds(f"StringNot{kind}")


@given(st.sets(names, max_size=4), st.sets(names, max_size=4))
def test_for_all_values_string_equals_is_a_subset_test(policy: set[str], request: set[str]) -> None:
    statement = {
        "Effect": "Allow",
        "Action": "*",
        "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": sorted(policy) or ["none"]}},
    }
    context = {"aws:TagKeys": sorted(request)}
    result = evaluate([statement], Request("s3:ListBucket", "*", "", context))
    assert result.allowed is (request <= (policy or {"none"}))


@given(names, names)
def test_a_pattern_without_wildcards_is_string_equality(pattern: str, resource: str) -> None:
    statement = {"Effect": "Allow", "Action": "*", "Resource": f"arn:aws:s3:::{pattern}"}
    result = evaluate([statement], Request("s3:GetObject", f"arn:aws:s3:::{resource}"))
    assert result.allowed is (pattern == resource)


plain_json = st.recursive(
    st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(alphabet="abc", min_size=2, max_size=4), inner, max_size=3),
    ),
    max_leaves=10,
)


@given(plain_json)
def test_resolve_cfn_leaves_data_without_intrinsics_unchanged(value: Any) -> None:
    assert resolve_cfn(value, {}) == value
