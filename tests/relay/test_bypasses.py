"""Inputs that once got past the relay's checks, or stalled them: each must now be refused, and
fast. Fake secrets are built by concatenation so that this file holds none."""

from __future__ import annotations

import time
from typing import Any

import pytest

from shared_gateway.relay.payload import PayloadRejected, check_message
from shared_gateway.relay.policy import evaluate
from shared_gateway.relay.registry import Team
from shared_gateway.relay.scanner import scan
from shared_gateway.relay.urls import check_url, urls_in_text

BLOCK = Team("payments", frozenset({"alerts"}), ("example.com",), "block")
REDACT = Team("payments", frozenset({"alerts"}), ("example.com",), "redact")

AWS_KEY_ID = "AK" + "IA" + "IEQH746YNG7BY3A4"
AWS_PREFIX, AWS_REST = AWS_KEY_ID[:4], AWS_KEY_ID[4:]


def refusal(payload: dict[str, Any], team: Team = BLOCK) -> PayloadRejected:
    with pytest.raises(PayloadRejected) as raised:
        evaluate(check_message({"channel": "alerts", **payload}), team)
    return raised.value


# --- invisible characters that are not Cf -----------------------------------------------------

INVISIBLE = {
    "variation-selector-16": "\ufe0f",
    "variation-selector-1": "\ufe00",
    "variation-selector-supplement": "\U000e0100",
    "combining-grapheme-joiner": "\u034f",
    "hangul-filler": "\u3164",
    "hangul-choseong-filler": "\u115f",
    "hangul-jungseong-filler": "\u1160",
    "halfwidth-hangul-filler": "\uffa0",
    "mongolian-variation-selector": "\u180b",
    "khmer-inherent-vowel": "\u17b4",
}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_invisible_character_inside_a_key_is_removed_before_scanning(char: str) -> None:
    assert [f.rule for f in scan(AWS_PREFIX + char + AWS_REST)] == ["aws-access-key-id"]
    rejected = refusal({"text": f"key {AWS_PREFIX}{char}{AWS_REST} {char * 3}"})
    assert rejected.error == "content_blocked"


def test_emoji_with_variation_selector_stays_clean() -> None:
    assert scan("deploy done \u2764\ufe0f \u2705 1\ufe0f\u20e3") == []


# --- inputs that made the checks take seconds --------------------------------------------------
#
# Each is a body near the 256 KiB limit. Before the fixes they took from 0.6 s to over a minute
# (quadratic work); now each takes tens of milliseconds. The bound leaves room for slow machines.

SLOW = {
    "nested-www-links": ("www." * 60_000, "content_blocked"),
    "nested-markdown-targets": ("](" * 120_000, None),  # mrkdwn renders no [text](dest)
    "nested-scheme-links": ("a://" * 60_000, "content_blocked"),
    "private-key-header-repeated": ("-----BEGIN " + "PRIVATE KEY-----" * 14_000, "content_blocked"),
    "secret-keyword-repeated": ("secret=" * 35_000, "content_blocked"),
    "access-key-ids-repeated": ((AWS_KEY_ID + " ") * 11_000, "content_blocked"),
    "key-prefix-glued": (AWS_PREFIX * 60_000, None),
    "percent-escapes-spaced": ("%41 " * 60_000, None),
}


@pytest.mark.parametrize(("text", "outcome"), SLOW.values(), ids=SLOW.keys())
def test_pathological_body_is_checked_quickly(text: str, outcome: str | None) -> None:
    payload = {"text": "x", "metadata": {"event_type": "e", "event_payload": {"a": text}}}
    started = time.perf_counter()
    try:
        evaluate(check_message({"channel": "alerts", **payload}), BLOCK)
        result = None
    except PayloadRejected as rejected:
        result = rejected.error
    elapsed = time.perf_counter() - started
    assert result == outcome
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def test_too_many_nested_links_are_refused_with_a_reason() -> None:
    found = urls_in_text("www." * 10_000)
    problems = {check_url(url, ("example.com",)) for url in found}
    assert None not in problems
    assert any(problem and "too many links" in problem for problem in problems)


def test_ordinary_links_stay_under_the_budget() -> None:
    text = " ".join(f"see https://example.com/{i} and www.example.com/{i}" for i in range(200))
    found = urls_in_text(text)
    assert len(found) == 400
    assert all(check_url(url, ("example.com",)) is None for url in found)


def test_many_findings_are_all_redacted() -> None:
    text = " ".join([AWS_KEY_ID] * 1500)
    findings = scan(text)
    assert len(findings) == 1500
    payload = {"text": text}
    message = check_message({"channel": "alerts", **payload})
    verdict = evaluate(message, REDACT)
    assert AWS_KEY_ID not in verdict.payload["text"]
    assert len(verdict.redactions) == 1500


def test_private_key_blocks_are_still_redacted_whole() -> None:
    block = "-----BEGIN " + "PRIVATE KEY-----\n" + "QUJD" * 50 + "\n-----END " + "PRIVATE KEY-----"
    text = f"{block}\nand again:\n{block}"
    message = check_message({"channel": "alerts", "text": text})
    redacted = evaluate(message, REDACT).payload["text"]
    assert "QUJD" not in redacted
    assert "BEGIN" not in redacted


def test_percent_encoded_key_among_many_escapes_is_found() -> None:
    encoded = "".join(f"%{ord(c):02X}" for c in AWS_KEY_ID)
    text = "%41 " * 500 + encoded
    assert [f.rule for f in scan(text)] == ["aws-access-key-id"]
