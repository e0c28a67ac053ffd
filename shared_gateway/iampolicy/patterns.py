"""Wildcards, policy variables and ARN comparison, shared by Action, Resource and Condition.

A policy string is read once into a compiled pattern. Policy variables (``${aws:username}``,
``${aws:PrincipalTag/team}``, ``${key, 'default'}``) take their value from the request context;
``${*}``, ``${?}`` and ``${$}`` stand for the literal characters. A variable whose key is missing
(or multivalued) and has no default cannot be resolved, and matching it raises
``UnresolvedVariable``: the IAM User Guide ("Policy variables") says such an attempt "fails and
causes the statement to be invalid", so the statement neither allows nor denies (evaluate.py).
That is the cautious reading for both effects, and it is why a Deny whose condition names a
variable needs a companion ``Null`` Deny for the missing key: without it, the Deny does nothing.
A substituted value is literal text: ``*`` and ``?`` in it are not wildcards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from .model import ContextValue, PolicyError

Context = Mapping[str, tuple[str, ...]]
T = TypeVar("T")

_ESCAPES = {"*": "*", "?": "?", "$": "$"}
# ${name} or ${name, 'default'}; a quote inside the default is written ''.
_VARIABLE = re.compile(r"\$\{\s*([^\s,}']+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}")


class UnresolvedVariable(Exception):
    """A policy variable had no value: the statement that holds it is invalid (applies to none)."""


def normalize_context(context: Mapping[str, ContextValue]) -> Context:
    """Condition keys are case-insensitive: key them by lower case, every value a tuple of str."""
    normalized: dict[str, tuple[str, ...]] = {}
    for key, value in context.items():
        folded = key.lower()
        if folded in normalized:
            raise PolicyError(f"request context names {key!r} twice (keys are case-insensitive)")
        normalized[folded] = _context_values(key, value)
    return normalized


def _context_values(key: str, value: ContextValue) -> tuple[str, ...]:
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, str | int):
        return (str(value),)
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise PolicyError(
        f"request context key {key!r} has value {value!r}: "
        "use a string, a bool or a list of strings"
    )


def policy_string(value: object, where: str) -> str:
    """A policy value as AWS reads it: JSON booleans and numbers stand for their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise PolicyError(f"{where}: expected a string, got {value!r}")


def policy_strings(value: object, where: str) -> list[str]:
    """A policy element that may be one value or a list of them."""
    if isinstance(value, list):
        if not value:
            raise PolicyError(f"{where}: empty list")
        return [policy_string(item, where) for item in value]
    return [policy_string(value, where)]


def _tokens(text: str, variables: bool) -> list[tuple[str, str]]:
    """Split a policy string into ("lit", text), ("wild", "*" or "?") and ("var", key) tokens."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        char = text[position]
        if variables and text.startswith("${", position):
            found = _VARIABLE.match(text, position)
            if found is None:
                raise PolicyError(
                    f"malformed policy variable in {text!r}: write ${{key}} or ${{key, 'default'}}"
                )
            name, default = found.group(1), found.group(2)
            if name in _ESCAPES and default is None:
                tokens.append(("lit", _ESCAPES[name]))
            else:
                tokens.append(("var", name))
                if default is not None:
                    tokens.append(("default", default.replace("''", "'")))
            position = found.end()
        elif char in "*?":
            tokens.append(("wild", char))
            position += 1
        else:
            tokens.append(("lit", char))
            position += 1
    return tokens


def _resolve(tokens: list[tuple[str, str]], context: Context) -> list[tuple[str, str]] | None:
    """Replace variables by their context value (as literals); None when one has no value."""
    resolved: list[tuple[str, str]] = []
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        has_default = index + 1 < len(tokens) and tokens[index + 1][0] == "default"
        if kind == "var":
            values = context.get(text.lower())
            if values is not None and len(values) == 1:
                resolved.append(("lit", values[0]))
            elif has_default:
                resolved.append(("lit", tokens[index + 1][1]))
            else:
                return None
            index += 2 if has_default else 1
            continue
        resolved.append((kind, text))
        index += 1
    return resolved


class Pattern:
    """A policy string with ``*``/``?`` wildcards (when ``wildcards``) and policy variables."""

    def __init__(self, text: str, *, wildcards: bool, variables: bool, ignore_case: bool = False):
        self.text = text
        self._tokens = _tokens(text, variables)
        self._wildcards = wildcards
        self._flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
        self._static = None if any(k == "var" for k, _ in self._tokens) else self._compile({})

    def _compile(self, context: Context) -> re.Pattern[str] | None:
        tokens = _resolve(self._tokens, context)
        if tokens is None:
            return None
        parts = []
        for kind, text in tokens:
            if kind == "wild" and self._wildcards:
                parts.append(".*" if text == "*" else ".")
            else:
                parts.append(re.escape(text))
        return re.compile("".join(parts), self._flags)

    def matches(self, value: str, context: Context) -> bool:
        compiled = self._static if self._static is not None else self._compile(context)
        if compiled is None:
            raise UnresolvedVariable(self.text)
        return compiled.fullmatch(value) is not None


def _split_arn(text: str) -> list[str]:
    """Split on the first five colons that are not inside a ``${...}`` variable."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if text.startswith("${", index):
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == ":" and not depth and len(parts) < 5:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


class ArnPattern:
    """ArnEquals/ArnLike: each of the six colon-separated parts is matched on its own."""

    def __init__(self, text: str, where: str, variables: bool):
        segments = _split_arn(text) if variables else text.split(":", 5)
        if len(segments) != 6 or segments[0] != "arn":
            raise PolicyError(
                f"{where}: {text!r} is not an ARN pattern of six parts "
                "(arn:partition:service:region:account:resource)"
            )
        self.text = text
        self._segments = [Pattern(s, wildcards=True, variables=variables) for s in segments]

    def matches(self, value: str, context: Context) -> bool:
        parts = value.split(":", 5)
        if len(parts) != 6:
            return False
        # Every segment is matched (no short circuit), so an unresolved variable in a later
        # segment always makes the statement invalid rather than depending on earlier ones.
        hits = every(
            lambda pair: pair[0].matches(pair[1], context), zip(self._segments, parts, strict=True)
        )
        return all(hits)


def every(match: Callable[[T], bool], items: Iterable[T]) -> list[bool]:
    """``match`` over every item, none skipped; UnresolvedVariable once all were tried."""
    results, unresolved = [], None
    for item in items:
        try:
            results.append(match(item))
        except UnresolvedVariable as error:
            unresolved = error
    if unresolved is not None:
        raise unresolved
    return results
