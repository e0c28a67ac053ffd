"""prefix_search: many literal words found by one literal-prefix regex per first character,
compiled only when a text holds that character."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_gateway.relay.prefix_search import prefix_groups, present_groups


def test_words_are_grouped_by_first_character_longest_first() -> None:
    groups = prefix_groups(["token", "tok", "secret", "ab", "abc"])
    assert [(g.first, g.words) for g in groups] == [
        ("a", ("abc", "ab")),
        ("s", ("secret",)),
        ("t", ("token", "tok")),
    ]
    (tokens,) = [g for g in groups if g.first == "t"]
    assert tokens.pattern.findall("tok token tokens") == ["tok", "token", "token"]


def test_a_group_whose_first_character_is_absent_is_neither_run_nor_compiled() -> None:
    groups = prefix_groups(["password", "zebra", "quux"])
    text = "the password rotated"
    found = [m for g in present_groups(groups, text) for m in g.pattern.findall(text)]
    assert found == ["password"]
    compiled = {g.first: g.pattern._compiled is not None for g in groups}
    assert compiled == {"p": True, "q": False, "z": False}


def test_an_empty_word_is_refused() -> None:
    with pytest.raises(ValueError, match="empty word"):
        prefix_groups(["a", ""])


@given(
    st.lists(st.text("abc.*(", min_size=1, max_size=4), min_size=1, max_size=8),
    st.text("abc.*( ", max_size=40),
)
def test_every_occurrence_of_a_word_is_found_or_inside_a_find_of_its_group(
    words: list[str], text: str
) -> None:
    # Regex metacharacters in the words are literals; each group scans the text left to
    # right, so an occurrence it does not report lies inside one it does (same first letter).
    found = [
        (m.start(), m.group())
        for g in present_groups(prefix_groups(words), text)
        for m in g.pattern.finditer(text)
    ]
    assert all(text.startswith(word, start) and word in words for start, word in found)
    for word in set(words):
        for start in (i for i in range(len(text)) if text.startswith(word, i)):
            assert any(
                s <= start < s + len(w) and w[0] == word[0] and (s < start or len(w) >= len(word))
                for s, w in found
            ), (word, start, found)
