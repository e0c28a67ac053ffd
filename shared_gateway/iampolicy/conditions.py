"""The Condition element: operators, ``...IfExists``, ``ForAnyValue:``/``ForAllValues:``.

How a block is decided (IAM User Guide, "Condition operators" and "Conditions with multiple
context keys or values"):

* several operators, and several keys under one operator, are ANDed;
* several policy values for one key are ORed; for a negated operator (``StringNotEquals``, ...)
  the request value must match none of them (NOR);
* a key missing from the request makes a positive operator false and a negated one true;
  ``...IfExists`` makes any operator true when its key is missing; ``Null`` tests presence;
* ``ForAllValues:`` is true when every request value passes (and when the key is missing),
  ``ForAnyValue:`` when at least one does (false when the key is missing).

A key with several request values under an operator without a set prefix raises PolicyError:
AWS asks for a set operator there, and the answer would be a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .model import PolicyError
from .patterns import ArnPattern, Context, Pattern, every, policy_strings

Matcher = Callable[[str, Context], bool]
# Builds the matcher for one policy value: (value, where, read policy variables?) -> Matcher.
Builder = Callable[[str, str, bool], Matcher]


def _string(ignore_case: bool = False, wildcards: bool = False) -> Builder:
    def build(value: str, where: str, variables: bool) -> Matcher:
        pattern = Pattern(value, wildcards=wildcards, variables=variables, ignore_case=ignore_case)
        return pattern.matches

    return build


def _arn(value: str, where: str, variables: bool) -> Matcher:
    return ArnPattern(value, where, variables).matches


def _bool(value: str, where: str, variables: bool) -> Matcher:
    expected = value.lower()
    if expected not in ("true", "false"):
        raise PolicyError(f"{where}: Bool takes true or false, not {value!r}")
    return lambda actual, _context: actual.lower() == expected


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _numeric(compare: Callable[[Decimal, Decimal], bool]) -> Builder:
    def build(value: str, where: str, variables: bool) -> Matcher:
        expected = _number(value)
        if expected is None:
            raise PolicyError(f"{where}: {value!r} is not a number")

        def matches(actual: str, _context: Context) -> bool:
            number = _number(actual)
            return number is not None and compare(number, expected)

        return matches

    return build


# operator name -> (builder of a matcher for one policy value, negated?)
_OPERATORS: dict[str, tuple[Builder, bool]] = {
    "StringEquals": (_string(), False),
    "StringNotEquals": (_string(), True),
    "StringEqualsIgnoreCase": (_string(ignore_case=True), False),
    "StringNotEqualsIgnoreCase": (_string(ignore_case=True), True),
    "StringLike": (_string(wildcards=True), False),
    "StringNotLike": (_string(wildcards=True), True),
    # AWS documents ArnEquals and ArnLike as the same test, wildcards included.
    "ArnEquals": (_arn, False),
    "ArnLike": (_arn, False),
    "ArnNotEquals": (_arn, True),
    "ArnNotLike": (_arn, True),
    "Bool": (_bool, False),
    "NumericEquals": (_numeric(lambda a, b: a == b), False),
    "NumericNotEquals": (_numeric(lambda a, b: a == b), True),
    "NumericLessThan": (_numeric(lambda a, b: a < b), False),
    "NumericLessThanEquals": (_numeric(lambda a, b: a <= b), False),
    "NumericGreaterThan": (_numeric(lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, b: a >= b), False),
}
SUPPORTED_OPERATORS = (*_OPERATORS, "Null")
_SET_PREFIXES = ("ForAnyValue:", "ForAllValues:")


@dataclass(frozen=True)
class _Test:
    """One operator applied to one key: ``operator: {key: values}``."""

    key: str
    operator: str
    matchers: tuple[Matcher, ...]
    negated: bool
    if_exists: bool
    qualifier: str  # "", "ForAnyValue:" or "ForAllValues:"
    null_expected: tuple[bool, ...] = ()  # for Null: each policy value, "true" meaning absent

    def holds(self, context: Context) -> bool:
        values = context.get(self.key.lower(), ())
        if self.operator == "Null":
            return any(absent == (not values) for absent in self.null_expected)
        if not values:
            if self.qualifier == "ForAllValues:":
                return True
            if self.qualifier == "ForAnyValue:":
                return False
            return self.if_exists or self.negated
        if self.qualifier == "ForAllValues:":
            return all(self._one(value, context) for value in values)
        if self.qualifier == "ForAnyValue:":
            return any(self._one(value, context) for value in values)
        if len(values) > 1:
            raise PolicyError(
                f"condition key {self.key!r} has several values in the request but "
                f"{self.operator} has no ForAnyValue:/ForAllValues: prefix"
            )
        return self._one(values[0], context)

    def _one(self, value: str, context: Context) -> bool:
        hit = any(every(lambda matches: matches(value, context), self.matchers))
        return not hit if self.negated else hit


def _parse_operator(name: str) -> tuple[str, str, bool]:
    """Split ``ForAnyValue:StringLikeIfExists`` into ("ForAnyValue:", "StringLike", True)."""
    qualifier = next((p for p in _SET_PREFIXES if name.startswith(p)), "")
    base = name[len(qualifier) :]
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base[: -len("IfExists")]
    if base not in SUPPORTED_OPERATORS:
        raise PolicyError(
            f"unsupported condition operator {name!r}; supported: {', '.join(SUPPORTED_OPERATORS)}"
            " with optional IfExists suffix and ForAnyValue:/ForAllValues: prefix"
        )
    if base == "Null" and (qualifier or if_exists):
        raise PolicyError(f"condition operator {name!r}: Null takes no prefix or IfExists")
    if qualifier and if_exists:
        # AWS documents neither combination clearly; refuse rather than guess.
        raise PolicyError(f"condition operator {name!r}: set prefix with IfExists is not supported")
    return qualifier, base, if_exists


def parse_condition(block: Any, where: str, variables: bool) -> tuple[_Test, ...]:
    """Read a Condition element into tests that must all hold."""
    if not isinstance(block, dict):
        raise PolicyError(f"{where}: Condition must be an object of operators")
    tests = []
    for operator_name, keys in block.items():
        qualifier, base, if_exists = _parse_operator(operator_name)
        if not isinstance(keys, dict) or not keys:
            raise PolicyError(f"{where}: {operator_name} must map condition keys to values")
        for key, raw in keys.items():
            place = f"{where}, {operator_name} {key}"
            values = policy_strings(raw, place)
            if base == "Null":
                expected = []
                for value in values:
                    if value.lower() not in ("true", "false"):
                        raise PolicyError(f"{place}: Null takes true or false, not {value!r}")
                    expected.append(value.lower() == "true")
                tests.append(_Test(key, base, (), False, False, "", tuple(expected)))
                continue
            build, negated = _OPERATORS[base]
            matchers = tuple(build(value, place, variables) for value in values)
            tests.append(_Test(key, base, matchers, negated, if_exists, qualifier))
    return tuple(tests)


def conditions_hold(tests: tuple[_Test, ...], context: Context) -> bool:
    # Evaluate every test (no short circuit) so that a request error is never hidden; an
    # unresolved policy variable in any of them is raised once all were evaluated.
    return all(every(lambda test: test.holds(context), tests))
