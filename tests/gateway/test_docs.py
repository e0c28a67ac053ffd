"""docs/gateway.md keeps up with the catalogue: every offered and refused service is explained."""

from __future__ import annotations

import re
from pathlib import Path

from shared_gateway.perimeter import OFFERED, REFUSED

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"


def _section(title: str) -> str:
    text = GUIDE.read_text()
    start = text.index(f"\n### {title}\n")
    end = text.index("\n#", start + 1)
    return text[start:end]


def _first_cells(section: str) -> set[str]:
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])}


def test_every_offered_service_is_in_the_guide_with_its_names() -> None:
    section = _section("What is offered, and why each is safe")
    assert _first_cells(section) == set(OFFERED)
    for service in OFFERED.values():
        (row,) = [line for line in section.splitlines() if line.startswith(f"| `{service.name}` ")]
        assert f"| {service.endpoint} |" in row
        for name in service.domains("<region>", "<account>"):
            assert f"`{name}`" in row, (service.name, name)


def test_every_refused_service_is_in_the_guide() -> None:
    assert _first_cells(_section("What is refused, and why")) == set(REFUSED)
