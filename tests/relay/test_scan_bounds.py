"""The scanner's rule attempts per message are bounded whatever the body (counted, not timed).

Each hostile family repeats one unit up to about a body at the relay's limit; the attempts the
scanner charges (pattern matches it examined, windows it searched) stay under its bound, and
what the bound left unread is reported as a finding, never passed.
"""

from __future__ import annotations

import pytest

from shared_gateway.relay import decoders, scanner

SIZE = 200_000
# One unit per family: keyword repeats, refused matches, findings, windows (e-mail @).
FAMILIES = {
    "refused-key-value": "password = hunter2x; ",
    "findings": "AKIA" + "Q3EGRT5EXAMPLEZ7 ",
    "email-windows": "a@b.",
    "phone-numbers": "+81 90-1234-5678, ",
    "glued-token-prefix": "ghp_",
}


@pytest.mark.parametrize("unit", FAMILIES.values(), ids=FAMILIES.keys())
def test_attempts_stay_under_the_bound_and_the_rest_is_reported(unit: str) -> None:
    text = unit * (SIZE // len(unit))
    decoders.WORK.clear()
    findings = scanner.scan_many([text, text[:1000]])
    attempts = decoders.WORK["attempts"]
    # Each attempt is charged at least 1 and at most the dearest weight.
    assert attempts <= scanner.MAX_CHARGE + len(scanner.RULES)
    crowded = [f for f in findings[0] if f.rule == "too-many-candidates"]
    if crowded:  # what the bound left unread reaches the end of the string
        assert max(f.end for f in crowded) == len(text)
        assert "more than" in crowded[0].description


def test_a_real_sized_message_is_far_from_the_bounds() -> None:
    log = "\n".join(
        f"2026-11-26T06:00:{n % 60:02d}Z INFO worker-{n} see https://status.example.com/i/{n} "
        f"token refreshed for user {n}, key rotated"
        for n in range(600)
    )
    findings = scanner.scan(log)
    assert [f for f in findings if f.rule == "too-many-candidates"] == []


@pytest.mark.parametrize(
    ("unit", "rule", "found"),
    [
        ("password = hunter2x; ", "generic-secret", scanner.MAX_KEPT_PER_RULE),
        ("a@b.", None, 0),  # every @ a window searched in vain
    ],
)
def test_past_a_bound_the_rest_is_reported_not_passed(
    unit: str, rule: str | None, found: int
) -> None:
    text = unit * (SIZE // len(unit))
    findings = scanner.scan(text)
    # The last finding before the bound may lie where the rest is reported from (another
    # rule, tried at the same keyword, meets the bound there): found once, not twice.
    count = sum(f.rule == rule for f in findings)
    assert count == found or (found > 0 and count == found - 1)
    (crowded,) = [f for f in findings if f.rule == "too-many-candidates"]
    assert crowded.end == len(text) and crowded.start < len(text) // 2


def test_a_run_of_dashes_is_skipped_whole_not_tried_at_every_double_dash() -> None:
    # A separator line repeated to the body limit: "--" (the command-line flag rule's keyword)
    # is at every other character; the rule's guard refuses a dash before it, so each run
    # costs one attempt at most, and nothing is left unread.
    lines = 2_000
    text = ("-" * 64 + "\n") * lines
    decoders.WORK.clear()
    findings = scanner.scan(text)
    assert decoders.WORK["attempts"] <= lines
    assert findings == []
    assert [f.rule for f in scanner.scan("---password Zx9Qw3Rt7Yp2")] == []
    assert "cli-secret-flag" in {f.rule for f in scanner.scan("--password Zx9Qw3Rt7Yp2")}
