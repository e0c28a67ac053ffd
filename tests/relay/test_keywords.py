"""The keyword layout: laid out from the rules in the source tree, shipped as constants in the
deployed package, and used from there only when it was made from the very same rules."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_gateway.relay import keywords, scanner
from shared_gateway.relay.rules import RULES

SHIPPED = f"{keywords.__package__}.{keywords.LAYOUT_MODULE}"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_finders() -> Iterator[None]:
    keywords.keyword_finders.cache_clear()
    yield
    keywords.keyword_finders.cache_clear()


def ship(monkeypatch: pytest.MonkeyPatch, source: str) -> types.ModuleType:
    module = types.ModuleType(SHIPPED)
    exec(compile(source, "<layout>", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, SHIPPED, module)
    return module


def described(finders: list[keywords.Finder]) -> list[tuple[object, ...]]:
    """Finders as comparable data: views, case, first character, what each searches for."""
    return [
        (tokens, exact, first, finder.pattern, dead.pattern if dead else None)
        for tokens, exact, first, finder, dead in finders
    ]


def test_the_shipped_module_holds_the_layout_of_these_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shipped = ship(monkeypatch, keywords.layout_module_source())
    assert keywords.keyword_layout() == shipped.LAYOUT
    assert keywords.shipped_layout() is shipped.LAYOUT
    from_shipped = keywords.keyword_finders()
    monkeypatch.delitem(sys.modules, SHIPPED)
    keywords.keyword_finders.cache_clear()
    assert keywords.shipped_layout() is None  # the source tree has no such module
    laid_out = keywords.keyword_finders()
    assert described(from_shipped[0]) == described(laid_out[0])
    assert from_shipped[1] == laid_out[1]


def test_a_layout_made_from_other_rules_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    # A layout naming no rule at all would make the scanner blind: it must not be used.
    ship(monkeypatch, f"FINGERPRINT = {keywords.rules_fingerprint() ^ 1}\nLAYOUT = ([], {{}})\n")
    assert keywords.shipped_layout() is None
    assert scanner.scan("key AKIA" + "Q3EGRT5EXAMPLEZ7")  # laid out from the rules instead
    ship(monkeypatch, "LAYOUT = ([], {})\n")  # no fingerprint at all
    assert keywords.shipped_layout() is None


def _changed(rule_index: int, **fields: object) -> tuple[object, ...]:
    rules = list(RULES)
    rules[rule_index] = rules[rule_index]._replace(**fields)
    return tuple(rules)


@pytest.mark.parametrize(
    "other_rules",
    [
        pytest.param(lambda: _changed(0, keywords=(*RULES[0].keywords, "zz9")), id="a keyword"),
        pytest.param(lambda: _changed(0, token=not RULES[0].token), id="the view"),
        pytest.param(lambda: _changed(0, lookback=RULES[0].lookback + 1), id="lookback"),
        pytest.param(
            lambda: _changed(0, pattern=RULES[1].pattern), id="a pattern (its leading guard)"
        ),
        pytest.param(lambda: (RULES[1], RULES[0], *RULES[2:]), id="the order (rule indexes)"),
        pytest.param(lambda: RULES[:-1], id="a rule fewer"),
    ],
)
def test_the_fingerprint_changes_with_whatever_the_layout_is_made_of(
    monkeypatch: pytest.MonkeyPatch, other_rules: object
) -> None:
    ours = keywords.rules_fingerprint()
    monkeypatch.setattr(keywords, "RULES", other_rules())  # type: ignore[operator]
    assert keywords.rules_fingerprint() != ours


def test_the_layout_module_is_the_same_whatever_the_hash_seed() -> None:
    # The asset's hash (hence a deployment) changes only when the rules do: the layout is
    # built from sets, so it must not depend on the order a process happens to hash in.
    write = "from shared_gateway.relay import keywords; print(keywords.layout_module_source())"
    sources = {
        subprocess.run(
            [sys.executable, "-c", write],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert sources == {keywords.layout_module_source() + "\n"}
