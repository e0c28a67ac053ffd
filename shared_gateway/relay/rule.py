"""The `Rule` record, its lazily compiled pattern, and builders for the common rule shapes.

A relay with hundreds of rules must not compile them all at every cold start: a
`LazyPattern` compiles on its first use, which the scanner's keyword prefilter makes rare
(a rule's regex runs only where one of its keywords occurs).
"""

from __future__ import annotations

import binascii
import re
import sys
from collections.abc import Iterator, Mapping

from .lean_typing import TYPE_CHECKING, NamedTuple
from .validators import Validator, random_looking

if TYPE_CHECKING:
    from typing import Any


class _SecretGroupName(Mapping[str, int]):
    """A pattern's group names, answerable from its source without compiling it."""

    def __init__(self, owner: LazyPattern) -> None:
        self._owner = owner

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and f"(?P<{name}>" in self._owner.pattern

    def __getitem__(self, name: str) -> int:
        return self._owner.compiled().groupindex[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._owner.compiled().groupindex)

    def __len__(self) -> int:
        return len(self._owner.compiled().groupindex)


class LazyPattern:
    """A regex compiled on first use; afterwards its methods are the compiled pattern's own."""

    def __init__(self, source: str) -> None:
        self.pattern = source
        self.groupindex: Mapping[str, int] = _SecretGroupName(self)
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = compiled = re.compile(self.pattern)
            # Instance attributes shadow the methods below: later calls cost nothing extra.
            self.match = compiled.match  # type: ignore[method-assign]
            self.finditer = compiled.finditer  # type: ignore[method-assign]
            self.search = compiled.search  # type: ignore[method-assign]
            self.findall = compiled.findall  # type: ignore[method-assign]
        return self._compiled

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().match(string, pos, endpos)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().search(string, pos, endpos)

    def finditer(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.compiled().findall(string, pos, endpos)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"


Pattern = re.Pattern[str] | LazyPattern


class Rule(NamedTuple):
    id: str
    description: str
    pattern: Pattern
    keywords: tuple[str, ...] = ()  # empty: a digit rule (see rules.py)
    token: bool = False  # keywords sit inside runs of 16+ base64-alphabet characters
    validator: Validator | None = None  # a final say on a match, e.g. Luhn or entropy
    context: tuple[str, ...] = ()  # one of these (lower case) must appear near the match
    context_window: int = 48  # characters either side of the match searched for `context`
    reveal: int = 4  # characters kept at each end of the masked excerpt; 0 masks it all
    generic: bool = False  # yields to a specific rule that found the same text
    # What the rule is about: "secret", or the personal-data class a team's policy names
    # ("email", "phone", "iban", "ssn", "card", "my-number", ...).
    category: str = "secret"
    # Its evidence, beside it: texts it must find, and look-alikes it must leave alone
    # (tests/relay/test_rule_evidence.py runs every rule over its own).
    examples: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()
    # A keyword rule whose keyword sits inside its match (the @ of an e-mail address): how
    # far before the keyword the match may start.
    lookback: int = 0
    # A digit rule: the fewest digits its match holds (default: 12 with `context`, else 13).
    min_digits: int = 0
    # Words (lower case) that veto a match when they appear within `context_window`
    # characters before it, in the text as written: "order" before a number makes it an
    # order number.
    exclude: tuple[str, ...] = ()


# --- builders ----------------------------------------------------------------------------

_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
# Characters that continue a token: a match must not start or stop in the middle of one.
_EDGE = "A-Za-z0-9_-"
# Key names and their operator in configuration: `name = value`, `name: value`, `"name": "value"`
# (aligned with many spaces too), `name := value`, `name => value`.
ASSIGN = r"[\"']?[ \t]{0,40}(?::=|=>|[:=])[ \t]{0,8}[\"'`]?"


def lazy(source: str) -> LazyPattern:
    return LazyPattern(source)


def bare_token(
    id: str,
    description: str,
    prefixes: tuple[str, ...],
    body: str,
    *,
    examples: tuple[str, ...],
    near_misses: tuple[str, ...] = (),
    validator: Validator | None = None,
    **extra: Any,
) -> Rule:
    """A token recognised by its fixed prefix and the shape of what follows, with no key name.

    A body with a long repeat writes it ``(?:(?G)[...]){m,n}+`` (see below). The keywords are
    the prefixes; when they and the body sit in base64-alphabet runs, the
    scanner looks for them only in such runs. The default validator rejects bodies that are
    not random (``glpat-xxxxxxxxxxxxxxxxxxxx``): a placeholder in docs is not a leak.
    """
    alternatives = "|".join(re.escape(prefix) for prefix in prefixes)
    # A long body stops where its own prefix starts again ("(?G)" in `body`): without this,
    # a prefix repeated thousands of times would cost a full-length read at each one.
    body = body.replace("(?G)", f"(?!{alternatives})")
    pattern = rf"(?<![{_EDGE}])(?:{alternatives}){body}(?![{_EDGE}])"
    token = all(set(prefix) <= _TOKEN_ALPHABET for prefix in prefixes) and "\\." not in body
    placeholder = prefixes[0] + "x" * 40
    return Rule(
        id=id,
        description=description,
        pattern=lazy(pattern),
        keywords=prefixes,
        token=extra.pop("token", token),
        validator=validator if validator is not None else random_looking(3.0),
        examples=examples,
        near_misses=(*near_misses, placeholder),
        **extra,
    )


def named_token(
    id: str,
    description: str,
    names: tuple[str, ...],
    value: str,
    *,
    examples: tuple[str, ...],
    near_misses: tuple[str, ...] = (),
    validator: Validator | None = None,
    **extra: Any,
) -> Rule:
    """A value with no prefix of its own, found by its vendor's name in the key before it
    (``DATADOG_API_KEY = <32 hex>``): the name is the keyword, the value's shape the proof."""
    alternatives = "|".join(re.escape(name) for name in names)
    pattern = rf"(?i:{alternatives})[\w.-]{{0,30}}?{ASSIGN}(?P<secret>{value})(?![{_EDGE}])"
    return Rule(
        id=id,
        description=description,
        pattern=lazy(pattern),
        keywords=tuple(name.lower() for name in names),
        validator=validator if validator is not None else random_looking(3.0),
        examples=examples,
        near_misses=(*near_misses, f"{names[0]}_api_key = {'x' * 40}"),
        **extra,
    )


# --- obviously fake, format-valid evidence ------------------------------------------------
# Values are the hex or base64 of consecutive bytes (0x80, 0x81, ...): they have the shape and
# variety of a random key, and plainly are not one. Built with C-speed calls: cheap at import.


def _progression(length: int, start: int, step: int) -> bytes:
    """bytes((start + step * i) % 256 for i in range(length)), without a Python loop: the
    progression from 0 repeats every 256 bytes, and `translate` adds `start` to each."""
    period = _PERIODS.get(step)
    if period is None:
        period = _PERIODS[step] = bytes((step * i) % 256 for i in range(256))
    shift = _BYTES[start % 256 :] + _BYTES[: start % 256]
    return (period * (length // 256 + 1))[:length].translate(shift)


_BYTES = bytes(range(256))
_PERIODS: dict[int, bytes] = {}


def fake_hex(length: int, start: int = 0xA0, upper: bool = False) -> str:
    text = _progression(length // 2 + 1, start, 37).hex()[:length]
    return text.upper() if upper else text


def fake_alnum(length: int, start: int = 0x80) -> str:
    raw = _progression(length, start, 7)
    # Three replaces, not a translate table: a hundred examples are built at every import.
    text = binascii.b2a_base64(raw, newline=False).decode()
    text = text.replace("+", "").replace("/", "").replace("=", "")
    return (text * (length // max(len(text), 1) + 1))[:length]


def fake_base64(length: int, start: int = 0x80, urlsafe: bool = False) -> str:
    raw = _progression(length, start, 5)
    text = binascii.b2a_base64(raw, newline=False).decode()[:length]
    return text.translate(_URLSAFE) if urlsafe else text


_URLSAFE = str.maketrans("+/", "-_")
