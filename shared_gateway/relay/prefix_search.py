"""Many literal words searched at C speed: one regex per leading character, compiled on first
use, and tried only on a text that holds that character.

Why this shape: a regex with a literal prefix (`a(?:ws_secret|ccess_key)`) lets the engine
skip through the text to each occurrence of its first character, where one alternation of
every word would test a character class at every position (slower). Compiling those regexes
was most of a cold start's first request (about 90 of them, some 8 ms on a 2-core machine,
`bench/relay_bench.py`), and most are never needed by a short message: a group whose first
character is absent from the text is skipped without being compiled or run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .rule import LazyPattern

__all__ = ["PrefixGroup", "prefix_groups", "present_groups"]


class PrefixGroup:
    """Words sharing a first character: `pattern` finds any of them, longest first."""

    __slots__ = ("first", "pattern", "words")

    def __init__(self, first: str, words: Iterable[str]) -> None:
        self.first = first
        self.words = tuple(sorted(set(words), key=lambda word: (-len(word), word)))
        rest = "|".join(re.escape(word[1:]) for word in self.words)
        self.pattern = LazyPattern(f"{re.escape(first)}(?:{rest})")

    def __repr__(self) -> str:
        return f"PrefixGroup({self.first!r}, {self.words!r})"


def prefix_groups(words: Iterable[str]) -> list[PrefixGroup]:
    """`words` (non-empty strings) grouped by first character, in character order."""
    by_first: dict[str, list[str]] = {}
    for word in words:
        if not word:
            raise ValueError("an empty word would match everywhere")
        by_first.setdefault(word[0], []).append(word)
    return [PrefixGroup(first, group) for first, group in sorted(by_first.items())]


def present_groups(groups: list[PrefixGroup], text: str) -> Iterator[PrefixGroup]:
    """The groups whose first character occurs in `text` (a C-speed check each)."""
    return (group for group in groups if group.first in text)
