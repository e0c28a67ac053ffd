"""Every rule proves itself with the evidence it carries (`Rule.examples`, `Rule.near_misses`).

Each example must be found, and found by that rule alone (no other rule reports the same
text, so one secret makes one finding); each near miss must not be found by that rule.
"""

from __future__ import annotations

import pytest

from shared_gateway.relay.rules import RULES, Rule
from shared_gateway.relay.scanner import scan


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_rule_evidence(rule: Rule) -> None:
    assert rule.examples, f"{rule.id}: add at least one example it must find"
    assert rule.near_misses, f"{rule.id}: add at least one near miss it must leave alone"
    for example in rule.examples:
        found = {finding.rule for finding in scan(example)}
        assert found == {rule.id}, f"{rule.id}: example {example!r} was found by {found}"
    for near_miss in rule.near_misses:
        found = {finding.rule for finding in scan(near_miss)}
        assert rule.id not in found, f"{rule.id}: near miss {near_miss!r} was found"


def test_rule_ids_are_unique() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
