"""The benign corpus through the relay's real content policy: which scanner rules fire.

Used by tests/relay/test_benign_corpus.py (which expects none) and bench/relay_bench.py
(which reports the rate per rule). The team is the strictest one: every secret and every
personal-data class blocks. Links are a separate concern (a team allows its own domains;
the corpus links to many), so `link_not_allowed` reasons are not counted here.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from shared_gateway.relay.payload import PayloadRejected, check_message
from shared_gateway.relay.policy import evaluate
from shared_gateway.relay.registry import Team
from shared_gateway.relay.rules import RULES

CORPUS = Path(__file__).resolve().parent / "benign.jsonl.gz"
LINK_REASON = "link_not_allowed"
SUMMARY_REASON = "more"  # policy.cap_reasons' last reason: "and N more finding(s) of: a, b"


class Hit(NamedTuple):
    source: str
    rule: str
    path: str
    message: str


def strictest_team() -> Team:
    categories = sorted({rule.category for rule in RULES} - {"secret"})
    return Team(
        slug="corpus",
        channels=frozenset({"corpus"}),
        link_domains=(),
        action="block",
        personal_data=tuple((category, "block") for category in categories),
    )


def records() -> Iterator[dict[str, Any]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def hits(record: dict[str, Any], team: Team) -> list[Hit]:
    """What the scanner found in one corpus message, through the full content policy."""
    try:
        evaluate(check_message(record["payload"]), team)
    except PayloadRejected as rejected:
        found = []
        for reason in rejected.reasons:
            if reason.rule == SUMMARY_REASON:
                rules = re.sub(r"^.*finding\(s\) of: ", "", reason.message).split(", ")
                found += [Hit(record["source"], r, "", "(beyond the reason cap)") for r in rules]
            elif reason.rule != LINK_REASON:
                found.append(Hit(record["source"], reason.rule, reason.path, reason.message))
        return [hit for hit in found if hit.rule != LINK_REASON]
    except Exception as exc:  # the handler answers 500 relay_misconfigured: refused too
        return [Hit(record["source"], f"exception:{type(exc).__name__}", "", str(exc)[:200])]
    return []


def scan_corpus() -> tuple[int, list[Hit]]:
    """(messages scanned, every scanner hit)."""
    team, count, found = strictest_team(), 0, []
    for record in records():
        count += 1
        found += hits(record, team)
    return count, found
