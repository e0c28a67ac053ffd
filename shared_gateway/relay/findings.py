"""Findings: what the scanner reports of its hits, deduplicated and masked.

A hit is a raw match (its span, its rule, the secret's value, how its text was encoded); a
`Finding` is what a reason or a log line may show of it. Besides the rule table's rules,
two reports stand for text the scanner did not read: `encoded-content` (the decoders'
bounds) and `too-many-candidates` (the bounds on rule attempts).
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .lean_typing import NamedTuple
from .reasons import mask
from .rules import RULES, Rule

__all__ = ["ALL_RULES", "CROWDED", "UNINSPECTED", "Finding", "Hit", "findings_of"]


class Finding(NamedTuple):
    rule: str  # rule id, e.g. "aws-access-key-id"
    masked: str  # masked excerpt of the secret, safe to show and log
    start: int  # span in the normalised text; for a secret inside an encoded run,
    end: int  # the span of that whole run
    description: str  # short human text, e.g. "AWS access key id (base64 → gzip)"
    encoding: str = ""  # how the text holding it was encoded, e.g. "base64 → gzip"; "" if not


# (start, end, rule index, secret value, how its text was encoded: "" when it was not)
Hit = tuple[int, int, int, str, str]
_MASK_MAX = 40  # a masked excerpt never grows past this, however long the secret


def findings_of(hits: list[Hit]) -> list[Finding]:
    """Hits of one text, deduplicated, as findings in order of position.

    A rule reports overlapping text once (text found directly wins over its decoded
    variant), and a generic rule yields to a specific one that found the same text.
    """
    if not hits:
        return []
    # Interval bookkeeping with bisect, not pairwise comparisons: a text can hold
    # thousands of hits (a key pattern repeated), and quadratic work here is a way to
    # stall the relay.
    ordered = sorted(hits, key=lambda hit: (hit[4], hit[0], -hit[1], hit[2]))
    kept: list[Hit] = []
    # Per rule, the kept spans: pairwise disjoint, so sorted by start they are sorted by end.
    kept_starts: dict[int, list[int]] = {}
    kept_ends: dict[int, list[int]] = {}
    for hit in ordered:
        start, end, rule_index = hit[0], hit[1], hit[2]
        starts = kept_starts.setdefault(rule_index, [])
        ends = kept_ends.setdefault(rule_index, [])
        before = bisect_left(starts, end)  # kept spans starting before this one ends
        if before and ends[before - 1] > start:
            continue
        kept.append(hit)
        starts.insert(before, start)
        ends.insert(before, end)
    specific = sorted((k[0], k[1]) for k in kept if not ALL_RULES[k[2]].generic)
    if specific and len(specific) < len(kept):
        specific_starts = [s for s, _ in specific]
        reach: list[int] = []  # furthest end among the specific spans up to each index
        furthest = -1
        for _, end in specific:
            furthest = max(furthest, end)
            reach.append(furthest)
        kept = [
            k
            for k in kept
            if not ALL_RULES[k[2]].generic
            or not ((before := bisect_left(specific_starts, k[1])) and reach[before - 1] > k[0])
        ]
    kept.sort(key=lambda hit: (hit[0], hit[1], hit[2]))
    return [_finding(*hit) for hit in kept]


def _finding(start: int, end: int, rule_index: int, value: str, encoding: str) -> Finding:
    rule = ALL_RULES[rule_index]
    return Finding(
        rule=rule.id,
        masked=_masked(value, rule.reveal) if value else "",
        start=start,
        end=end,
        description=f"{rule.description} ({encoding})" if encoding else rule.description,
        encoding=encoding,
    )


# Not a rule of the table: what the decoders' bounds kept from being read (too many layers,
# over the decoding budget, a compressed run inflating past its limit). Reported like a
# finding, so that the relay refuses (or redacts) what it could not inspect.
_UNINSPECTED_RULE = Rule(
    id="encoded-content",
    description="encoded content the relay could not inspect",
    pattern=re.compile("(?!)"),
    reveal=0,
)
# What the bounds on rule attempts kept from being read (see MAX_CHARGE).
_CROWDED_RULE = Rule(
    id="too-many-candidates",
    description="text the relay did not inspect",
    pattern=re.compile("(?!)"),
    reveal=0,
)
ALL_RULES = (*RULES, _UNINSPECTED_RULE, _CROWDED_RULE)
UNINSPECTED = len(RULES)
CROWDED = len(RULES) + 1


def _masked(value: str, reveal: int) -> str:
    if reveal <= 0:
        return "*" * min(len(value), _MASK_MAX)
    masked = mask(value, reveal)
    if len(masked) > _MASK_MAX:  # a private key block would otherwise mask to kilobytes
        masked = masked[:reveal] + "*" * (_MASK_MAX - 2 * reveal) + masked[-reveal:]
    return masked
