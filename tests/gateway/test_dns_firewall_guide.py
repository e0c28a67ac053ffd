"""The DNS firewall association keeps mutation protection, and docs/gateway.md says how to change
or delete it: the commands name the association the template creates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import Synthesized

pytestmark = pytest.mark.slow

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"


def _section(title: str) -> str:
    text = GUIDE.read_text()
    start = text.index(f"\n{title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def test_the_guide_gives_the_steps_for_the_protected_association(gateway: Synthesized) -> None:
    _, association = gateway.one("AWS::Route53Resolver::FirewallRuleGroupAssociation")
    props = association["Properties"]
    assert props["MutationProtection"] == "ENABLED"
    section = _section("### Mutation protection: changing or removing the association")
    assert f"Name=='{props['Name']}'" in section  # the name the stack gives it
    commands = re.findall(r"--mutation-protection (\w+)", section)
    assert commands == ["DISABLED", "ENABLED"]  # lifted, then put back
    assert section.index("DISABLED") < section.index("make gateway-deploy")
    assert section.index("make gateway-deploy") < section.index("ENABLED")
    assert "cdk destroy" in section


def test_deleting_the_stack_starts_by_lifting_the_protection() -> None:
    section = _section("## Deleting the stack")
    assert "(#mutation-protection-changing-or-removing-the-association)" in section
    assert section.index("mutation protection") < section.index("go with the stack")
