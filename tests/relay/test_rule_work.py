"""The rules' work is bounded by the size of the text, whatever the text (no timing involved).

Work is counted, not timed: every pattern of `scanner.RULES` is swapped for a counting proxy,
and each attempt is charged the characters it read: the furthest of its match's end and the
end of the pattern's greedy path through the text (followed on the parsed pattern, look-aheads
included). The static test below makes that charge honest: all repeats are bounded, no
required part can span more than 2,000 characters (a long read never ends in a failure), and
no repeat nests a repeat that can match the same characters unless one is possessive, so an
attempt does not backtrack through combinations (the cause of catastrophic regexes).

The old private-key pattern, which scanned 16,000 characters ahead of every BEGIN line
looking for its END line, is the regression this catches: 16,000 charged per header.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_gateway.relay import scanner
from shared_gateway.relay.rules import RULES, Rule

_parser: Any = re._parser  # type: ignore[attr-defined]
_constants: Any = re._constants  # type: ignore[attr-defined]
REPEATS = {_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT}
WORK_PER_CHARACTER = 64  # the budget: characters charged per character of input
# One long match (a private key) may be read once in full, and a rule whose keyword sits
# inside its match (the @ of an e-mail address) searches a window around each keyword, up to
# MAX_FAILED_LOOKBACK windows a message: 210 "@" in a row cost 33,515 characters of work.
WORK_CONSTANT = 20_000 + scanner.MAX_FAILED_LOOKBACK * (
    max(rule.lookback for rule in RULES) + scanner.LOOKBACK_REACH
)


def _source(rule: Rule) -> str:
    return rule.pattern.pattern


def _failure_reach(items: Any) -> int:
    """Max width of the items up to the last one that can fail (min width > 0, or a test)."""
    items = list(items)
    while items:
        op, av = items[-1]
        if op in REPEATS and av[0] == 0:  # an optional tail: never the reason to fail
            items.pop()
            continue
        break
    if items and items[-1][0] in REPEATS:
        # A repeat last fails only when its run is shorter than its minimum: it read no more.
        low, _, body = items[-1][1]
        head = _parser.SubPattern(_parser.State(), items[:-1]).getwidth()[1]
        each = _parser.SubPattern(_parser.State(), list(body)).getwidth()[1]
        return min(head + (low + 1) * each, _constants.MAXREPEAT)
    if items and items[-1][0] is _constants.SUBPATTERN:  # a group last: its own reach counts
        head = _parser.SubPattern(_parser.State(), items[:-1]).getwidth()[1]
        return min(head + _failure_reach(items[-1][1][3]), _constants.MAXREPEAT)
    sub = _parser.SubPattern(_parser.State(), items)
    return min(sub.getwidth()[1], _constants.MAXREPEAT)


def _walk(items: Any, inside_repeat: bool, problems: list[str]) -> None:
    for op, av in items:
        if op in REPEATS:
            _, high, body = av
            if high == _constants.MAXREPEAT:
                problems.append("an unbounded repeat")
            nested_variable = any(
                inner_op in REPEATS and inner_av[0] != inner_av[1]
                for inner_op, inner_av in _flatten(body)
            )
            # A variable repeat inside a repeat: fine only if the iterations cannot trade
            # characters (see _separated).
            if (
                nested_variable
                and op is not _constants.POSSESSIVE_REPEAT
                and high > 1
                and not _separated(body, high)
            ):
                problems.append(f"nested variable repeats in {body}")
            _walk(body, True, problems)
        elif op is _constants.SUBPATTERN:
            _walk(av[3], inside_repeat, problems)
        elif op is _constants.BRANCH:
            for branch in av[1]:
                _walk(branch, inside_repeat, problems)
        elif op in (_constants.ASSERT, _constants.ASSERT_NOT, _constants.ATOMIC_GROUP):
            _walk(av[1] if op is not _constants.ATOMIC_GROUP else av, inside_repeat, problems)


def _flatten(items: Any) -> Iterator[tuple[Any, Any]]:
    for op, av in items:
        yield op, av
        if op is _constants.SUBPATTERN:
            yield from _flatten(av[3])
        elif op is _constants.BRANCH:
            for branch in av[1]:
                yield from _flatten(branch)


def _separated(body: Any, outer_high: int) -> bool:
    """Whether the iterations of a repeat cannot trade characters with each other: a
    literal at the body's top level that no inner repeat can match delimits them; possessive
    inner repeats never give characters back; a small outer count times inner length bounds
    the ways to split (a phone number's few digit groups)."""
    items = list(body)
    if len(items) == 1 and items[0][0] is _constants.SUBPATTERN:
        items = list(items[0][1][3])
    inner = [(op, av) for op, av in _flatten(items) if op in REPEATS]
    if all(op is _constants.POSSESSIVE_REPEAT for op, _ in inner):
        return True
    literals = [av for op, av in items if op is _constants.LITERAL]
    if any(all(not _can_match(av[2], lit) for _, av in inner) for lit in literals):
        return True
    widest = max((min(av[1], _constants.MAXREPEAT) for _, av in inner), default=0)
    return outer_high * widest <= 64


def _can_match(body: Any, literal: int) -> bool:
    pattern = _parser.SubPattern(_parser.State(), list(body))
    try:
        compiled = re.compile(_unparse_probe(pattern))
    except re.error:
        return True
    return compiled.fullmatch(chr(literal)) is not None


def _unparse_probe(pattern: Any) -> str:
    # Enough for character classes and literals, the bodies that occur here.
    parts = []
    for op, av in pattern:
        if op is _constants.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is _constants.IN:
            parts.append(_class(av))
        else:
            raise re.error("not a simple body")
    return "".join(parts)


def _class(items: Any) -> str:
    out = []
    negate = False
    for op, av in items:
        if op is _constants.NEGATE:
            negate = True
        elif op is _constants.LITERAL:
            out.append(re.escape(chr(av)))
        elif op is _constants.RANGE:
            out.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is _constants.CATEGORY:
            out.append(
                {"CATEGORY_DIGIT": r"\d", "CATEGORY_SPACE": r"\s", "CATEGORY_WORD": r"\w"}.get(
                    str(av), r"\w"
                )
            )
    return "[" + ("^" if negate else "") + "".join(out) + "]"


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_pattern_is_bounded_and_free_of_overlapping_nested_repeats(rule: Rule) -> None:
    problems: list[str] = []
    _walk(_parser.parse(_source(rule)), False, problems)
    assert problems == [], f"{rule.id}: {problems}"
    assert _failure_reach(_parser.parse(_source(rule))) <= 2_000, rule.id


_ONE_CHARACTER = {_constants.LITERAL, _constants.NOT_LITERAL, _constants.IN, _constants.ANY}


def _accepts(op: Any, av: Any, char: str) -> bool:
    if op is _constants.LITERAL:
        return ord(char) == av
    if op is _constants.NOT_LITERAL:
        return ord(char) != av
    if op is _constants.ANY:
        return char != "\n"
    return re.fullmatch(_class(av), char) is not None


_RETRIES = 64  # counts a repeat gives back when what follows fails (as the engine backtracks)


def _read(items: Any, text: str, i: int, end: int) -> tuple[int, int | None]:
    """Follows parsed `items` from `i` as the engine does, greedy first and giving back up to
    _RETRIES counts of a repeat when the rest fails: (furthest character read, where the match
    ends or None if it fails). Look-aheads are read and obeyed; look-behinds read nothing ahead.
    """
    return _read_from(list(items), 0, text, i, end)


def _read_from(items: list[Any], index: int, text: str, i: int, end: int) -> tuple[int, int | None]:
    furthest = i
    position = i
    while index < len(items):
        op, av = items[index]
        index += 1
        if op in _ONE_CHARACTER:
            if position < end and _accepts(op, av, text[position]):
                position += 1
                furthest = max(furthest, position)
                continue
            return max(furthest, position + 1), None
        if op in REPEATS:
            low, high, body = av
            stops = [position]
            while len(stops) - 1 < high:
                reached, after = _read(body, text, stops[-1], end)
                furthest = max(furthest, reached)
                if after is None or after == stops[-1]:
                    break
                stops.append(after)
            if len(stops) - 1 < low:
                return furthest, None
            tries = stops[low:] if op is _constants.MIN_REPEAT else stops[low:][::-1]
            if op is _constants.POSSESSIVE_REPEAT:
                tries = stops[-1:]
            for stop in tries[:_RETRIES]:
                reached, after = _read_from(items, index, text, stop, end)
                furthest = max(furthest, reached)
                if after is not None:
                    return furthest, after
            return furthest, None
        if op in (_constants.SUBPATTERN, _constants.ATOMIC_GROUP, _constants.BRANCH):
            branches = (
                av[1]
                if op is _constants.BRANCH
                else [av[3]]
                if op is _constants.SUBPATTERN
                else [av]
            )
            for branch in branches:
                reached, after = _read(branch, text, position, end)
                furthest = max(furthest, reached)
                if after is None:
                    continue
                reached, rest = _read_from(items, index, text, after, end)
                furthest = max(furthest, reached)
                if rest is not None:
                    return furthest, rest
            return furthest, None
        if op in (_constants.ASSERT, _constants.ASSERT_NOT) and av[0] == 1:  # look-ahead
            reached, after = _read(av[1], text, position, end)
            furthest = max(furthest, reached)
            if (after is None) == (op is _constants.ASSERT):
                return furthest, None
        # look-behinds, anchors, group references: read nothing ahead
    return furthest, position


class _Counting:
    """A pattern that charges every attempt to a shared counter: the characters it read."""

    def __init__(self, rule: Rule, counter: list[int]) -> None:
        self._pattern = rule.pattern
        self._parsed = _parser.parse(_source(rule))
        self._counter = counter
        self.groupindex = rule.pattern.groupindex
        self.pattern = rule.pattern.pattern

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        found = self._pattern.match(text, pos, endpos)
        end = min(endpos, len(text))
        read, _ = _read(self._parsed, text, pos, end)
        self._counter[0] += max(found.end() if found else pos, read) - pos
        return found

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[Any]:
        self._counter[0] += min(endpos, len(text)) - pos  # one left-to-right pass
        yield from self._pattern.finditer(text, pos, endpos)


def _work(text: str) -> int:
    counter = [0]
    counting = tuple(rule._replace(pattern=_Counting(rule, counter)) for rule in RULES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scanner, "RULES", counting)
        scanner.scan(text)
    return counter[0]


# What adversarial text is made of: every rule's keywords and evidence, and the characters
# that end or continue a token. Repeating them is what made patterns re-read the text.
_PIECES = sorted(
    {keyword for rule in RULES for keyword in rule.keywords}
    | {example[:40] for rule in RULES for example in rule.examples}
    | {"=", ": ", " ", "\n", "-----", "a", "0", "x" * 20, "-", ".", "_", "/", '"', ";"}
)


@settings(max_examples=40, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8),
    repeat=st.integers(min_value=1, max_value=4_000),
)
def test_work_grows_linearly_with_the_text(pieces: list[str], repeat: int) -> None:
    text = ("".join(pieces) * repeat)[:60_000]
    work = _work(text)
    assert work <= WORK_PER_CHARACTER * len(text) + WORK_CONSTANT, (pieces, len(text), work)


@pytest.mark.parametrize(
    "unit",
    [
        "-----BEGIN PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----!",
        "eyJ",
        "sk-proj-",
        "xoxb-1-",
        "glpat-",
        "MII",
        "secret=",
        "password=",
        "--password ",
        "basic ",
        "SK",
        "Q~",
    ],
)
def test_repeated_keyword_costs_linear_work(unit: str) -> None:
    text = unit * (60_000 // len(unit))
    work = _work(text)
    assert work <= WORK_PER_CHARACTER * len(text) + WORK_CONSTANT, (unit, work)
