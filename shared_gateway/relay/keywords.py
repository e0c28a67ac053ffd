"""The scanner's keyword prefilter: which regexes find the rules' keywords, and which rules
each found keyword serves.

A rule's pattern is tried only where one of its keywords occurs; finding those places is one
literal-prefix regex per (view, case, leading character, guard) of all keywords (see
prefix_search.py), each compiled on its first use. The layout of those groups is plain data
derived from the rules: the bundling ships it as constants beside the relay's code, so a
cold start loads it from bytecode instead of laying it out (about 2 ms).
"""

from __future__ import annotations

import binascii
import re
from functools import cache

from .prefix_search import PrefixGroup, prefix_groups
from .rule import LazyPattern
from .rules import RULES, Rule

__all__ = ["Finder", "keyword_finders", "keyword_layout", "layout_module_source"]


class _Found:
    """What `LiteralFinder.search` found: the part of a match the scanner reads."""

    __slots__ = ("_end", "_literal", "_start")

    def __init__(self, start: int, literal: str) -> None:
        self._start, self._end, self._literal = start, start + len(literal), literal

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self) -> str:
        return self._literal


class LiteralFinder:
    """A finder for one keyword: `str.find` is as fast as a literal regex, and compiling the
    regex (tens of them) is a good part of a cold start's first scan."""

    __slots__ = ("_literal", "pattern")

    def __init__(self, literal: str) -> None:
        self._literal = literal
        self.pattern = re.escape(literal)  # what a regex finder would search for

    def search(self, text: str, position: int = 0) -> _Found | None:
        found = text.find(self._literal, position)
        return None if found < 0 else _Found(found, self._literal)


# (searches the long-token view instead of the whole text, searches the text as written
# instead of its lower-case copy, the first character of all its keywords, the regex or
# literal finder, the run of characters in which none of its keywords can start a match, or
# None)
Finder = tuple[bool, bool, str, LazyPattern | LiteralFinder, LazyPattern | None]


# The keyword layout, as plain data (what the bundling ships, see `layout_module_source`):
# the finder groups, each (view, case, first character, guard, keywords longest first), in
# search order, and which rules each keyword serves.
LayoutGroup = tuple[bool, bool, str, str, tuple[str, ...]]
Dispatch = dict[tuple[bool, bool, str], tuple[int, ...]]
Layout = tuple[list[LayoutGroup], Dispatch]
LAYOUT_MODULE = "_keyword_layout"  # written into the deployed package only, never the tree


@cache
def keyword_finders() -> tuple[list[Finder], Dispatch]:
    """The finders of the keyword layout, in search order, and the rules each keyword serves.

    One regex per (view, case, leading character, guard) of all keywords, or a `str.find`
    for a group of one keyword: each has a literal prefix, so the search skips through the
    text fast instead of trying every position (one alternation of all keywords would test a
    character set at every position, slower). Built on the first scan, each regex compiled on
    its first use; the layout comes from the deployed package when it matches the rules
    (laying it out costs a cold start about 2 ms), else it is laid out here.
    """
    groups, dispatch = shipped_layout() or keyword_layout()
    finders: list[Finder] = []
    dead_runs: dict[str, LazyPattern] = {}
    for in_tokens, exact, first, guard, words in groups:
        if guard and guard not in dead_runs:  # one pattern per guard, shared by its groups
            dead_runs[guard] = LazyPattern(f"[{re.escape(guard)}]*")
        dead = dead_runs.get(guard) if guard else None
        # A group of one keyword: `str.find` is as fast, and there is nothing to compile.
        finder = LiteralFinder(words[0]) if len(words) == 1 else PrefixGroup(first, words).pattern
        finders.append((in_tokens, exact, first, finder, dead))
    return finders, dispatch


def keyword_layout() -> Layout:
    """Lays the rules' keywords out in finder groups (see `keyword_finders`). Keywords whose
    rules share a leading guard (see _dead_class) are searched apart from the others, so that
    a run of refused characters can be skipped for all of them."""
    # Which rules each keyword starts: (view, case, keyword) -> rule indexes, in rule order.
    owners: dict[tuple[bool, bool, str], list[int]] = {}
    for index, rule in enumerate(RULES):
        for keyword in rule.keywords:
            served = owners.setdefault((rule.token, keyword != keyword.lower(), keyword), [])
            if index not in served:
                served.append(index)
    dispatch: Dispatch = {}
    for in_tokens, exact, keyword in owners:
        # A found keyword also serves every rule whose keyword is a prefix of it: its
        # prefixes are looked up, rather than every rule's keywords compared with it.
        served = {
            index
            for length in range(1, len(keyword) + 1)
            for index in owners.get((in_tokens, exact, keyword[:length]), ())
        }
        dispatch[(in_tokens, exact, keyword)] = tuple(sorted(served))
    by_guard: dict[tuple[bool, bool, str], set[str]] = {}
    for (in_tokens, exact, keyword), served in dispatch.items():
        guard = _dead_class([RULES[index] for index in served], keyword)
        by_guard.setdefault((in_tokens, exact, guard), set()).add(keyword)
    groups = [
        (in_tokens, exact, group.first, guard, group.words)
        for (in_tokens, exact, guard), keywords in by_guard.items()
        for group in prefix_groups(keywords)
    ]
    groups.sort(key=lambda group: group[:4])
    return groups, dispatch


def rules_fingerprint() -> int:
    """A checksum of everything the layout is derived from: each rule's id, view, lookback,
    keywords and pattern, in rule order (a layout names rules by their index)."""
    fields = []
    for rule in RULES:
        fields += [
            rule.id,
            str(rule.token),
            str(rule.lookback),
            *rule.keywords,
            rule.pattern.pattern,
        ]
        fields.append("\x00")  # ends the rule: no two rule sets join into the same text
    return binascii.crc32("\x01".join(fields).encode("utf-8", "surrogatepass"))


def layout_module_source() -> str:
    """The module the bundling writes beside the relay's code (`LAYOUT_MODULE`): the layout of
    these rules, as constants a cold start loads from bytecode instead of laying it out."""
    return (
        '"""Generated when the relay is bundled (keywords.layout_module_source): the keyword\n'
        'layout of these rules. Ignored unless FINGERPRINT matches them."""\n\n'
        f"FINGERPRINT = {rules_fingerprint()}\n"
        f"LAYOUT = {keyword_layout()!r}\n"
    )


def shipped_layout() -> Layout | None:
    """The layout the deployed package holds, if it was made from these very rules."""
    try:
        from . import _keyword_layout as shipped  # type: ignore[attr-defined]  # LAYOUT_MODULE
    except ImportError:
        return None  # the source tree: laid out on the first scan
    if getattr(shipped, "FINGERPRINT", None) != rules_fingerprint():
        return None
    return shipped.LAYOUT  # type: ignore[no-any-return]


# Read only when the layout is laid out (never in a deployed relay): LazyPattern, compiled then.
_LEADING_GUARD = LazyPattern(r"\(\?<!\[([^\]]*)\]\)")  # (?<![A-Za-z0-9_-]) first in a pattern
_ASCII = "".join(map(chr, range(128)))


def _dead_class(rules: list[Rule], keyword: str) -> str:
    """The characters after which none of these rules can match (each pattern begins with a
    look-behind refusing them: a token must not start inside another); "" when one rule has
    no such guard. A keyword glued to itself thousands of times (AKIAAKIA...) is then
    skipped run by run instead of tried at each copy."""
    common: set[str] | None = None
    for rule in rules:
        members = None if rule.lookback else _guard_of(rule.pattern.pattern, keyword)
        if members is None:
            return ""
        refused = set(_guard_class(members))
        common = refused if common is None else common & refused
    return "".join(sorted(common or ()))


# A pattern opening with two branches, the second guarded:
# (?:(?i:secret)...|(?<![..])(?:AKIA|ASIA)...)
_FIRST_BRANCH = LazyPattern(r"\(\?:(?:\(\?i:)?([A-Za-z])")
_BRANCH_GUARD = LazyPattern(r"\|\(\?<!\[([^\]]*)\]\)\(\?:([A-Za-z0-9_|]+)\)")


def _guard_of(pattern: str, keyword: str) -> str | None:
    """The look-behind class that guards every match starting at `keyword`, or None: the
    pattern's leading guard, or, for a pattern opening with an alternation whose first branch
    starts with a letter other than the keyword's and whose second is guarded and starts with
    the keyword itself (the AKIA branch of the AWS secret), that branch's guard."""
    guard = _LEADING_GUARD.match(pattern)
    if guard is not None:
        return guard.group(1)
    first = _FIRST_BRANCH.match(pattern)
    if first is None or first.group(1).lower() == keyword[0].lower():
        return None
    branch = _BRANCH_GUARD.search(pattern)
    if branch is None or keyword not in branch.group(2).split("|"):
        return None
    return branch.group(1)


@cache
def _guard_class(members: str) -> str:
    return "".join(re.findall(f"[{members}]", _ASCII))
