"""The content policy's own limits: how many strings a message may hold, how many reasons
a refusal lists."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from shared_gateway.relay.payload import Message, PayloadRejected
from shared_gateway.relay.policy import MAX_REASONS, MAX_STRINGS, evaluate
from shared_gateway.relay.registry import parse_registry

REGISTRY = parse_registry(
    '[teams.payments]\nchannels = ["a"]\n[teams.search]\nchannels = ["b"]\naction = "redact"\n'
    '[channels.a]\nsecret = "s/a"\n[channels.b]\nsecret = "s/b"\n'
)
KEY = "AKIA" + "Q3EGRT5EXAMPLEZ7"


def refusal(fields: dict[str, object], team: str = "payments") -> PayloadRejected:
    with pytest.raises(PayloadRejected) as caught:
        evaluate(Message("a", fields), REGISTRY.teams[team])
    return caught.value


def test_too_many_strings_is_invalid_not_slow() -> None:
    fields = {"blocks": [{"type": "context", "elements": ["x"] * (MAX_STRINGS + 1)}]}
    problem = refusal(fields)
    assert problem.error == "invalid_payload"
    assert problem.reasons[0].rule == "string_count"


def test_reasons_are_capped_with_a_summary() -> None:
    fields = {"blocks": [{"type": "section", "text": f"id {KEY}"} for _ in range(MAX_REASONS + 9)]}
    problem = refusal(fields)
    assert problem.error == "content_blocked"
    assert len(problem.reasons) == MAX_REASONS
    assert problem.reasons[-1].rule == "more"
    assert "and 10 more finding(s) of: aws-access-key-id" in problem.reasons[-1].message


def test_redaction_keeps_every_finding_for_the_count() -> None:
    fields = {"text": " ".join(f"id{i} {KEY}" for i in range(MAX_REASONS + 5))}
    verdict = evaluate(Message("b", fields), REGISTRY.teams["search"])
    assert len(verdict.redactions) == MAX_REASONS + 5
    assert KEY not in str(verdict.payload["text"])


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode().hex(),
        lambda text: base64.b64encode(text.encode()).decode(),
        lambda text: base64.b64encode(base64.b64encode(text.encode())).decode(),
    ],
    ids=["hex", "base64", "base64-twice"],
)
def test_an_encoded_secret_repeated_is_redacted_everywhere(encode: Callable[[str], str]) -> None:
    # Each decoded text is scanned once; every place it came from must still be redacted.
    once = base64.b64encode(f"key {KEY}".encode()).decode()
    encoded = encode(f"key {KEY}")
    texts = [f"again {encoded} or {encoded}", f"plain {once}"]
    fields = {
        "text": f"first {encoded}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts],
    }
    verdict = evaluate(Message("b", fields), REGISTRY.teams["search"])
    forwarded = repr(verdict.payload)
    assert encoded not in forwarded and once not in forwarded
    assert forwarded.count("[redacted:aws-access-key-id]") == 4


def test_a_secret_in_an_object_key_blocks_even_when_redacting() -> None:
    fields = {"metadata": {"event_type": "x", "event_payload": {KEY: {"note": "hello"}}}}
    reasons = refusal(fields, "search").reasons
    assert reasons[0].path == "metadata.event_payload.AKIA************LEZ7"
    # Nor does the key appear raw in any other reason's path or message.
    assert KEY not in repr(reasons)
