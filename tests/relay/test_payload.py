"""Body decoding, limits and the allowed top-level fields."""

from __future__ import annotations

import base64
import json

import pytest

from shared_gateway.relay.payload import (
    MAX_ATTACHMENTS,
    MAX_BLOCKS,
    MAX_BODY_BYTES,
    MAX_DEPTH,
    MAX_TEXT_CHARS,
    PayloadRejected,
    check_message,
    decode_body,
    parse_json,
)


def rejected(fn, *args) -> PayloadRejected:  # type: ignore[no-untyped-def]
    with pytest.raises(PayloadRejected) as caught:
        fn(*args)
    return caught.value


def message(**fields: object) -> dict[str, object]:
    return {"channel": "payments-alerts", **fields}


def test_plain_and_base64_bodies_decode() -> None:
    text = json.dumps(message(text="こんにちは"), ensure_ascii=False)
    assert decode_body(text, False) == (text, text.encode())
    encoded = base64.b64encode(text.encode()).decode()
    assert decode_body(encoded, True)[0] == text


@pytest.mark.parametrize(
    ("body", "is_base64", "error", "words"),
    [
        (None, False, "invalid_json", "empty"),
        ("", False, "invalid_json", "empty"),
        ("not base64!", True, "invalid_json", "base64"),
        (base64.b64encode(b'{"text": "\xff"}').decode(), True, "invalid_json", "UTF-8"),
        ("\ud800", False, "invalid_json", "UTF-8"),
        ("x" * (MAX_BODY_BYTES + 1), False, "payload_too_large", f"limit is {MAX_BODY_BYTES}"),
    ],
    ids=["none", "empty", "bad-base64", "invalid-utf8", "lone-surrogate", "too-large"],
)
def test_bad_bodies(body: object, is_base64: bool, error: str, words: str) -> None:
    problem = rejected(decode_body, body, is_base64)
    assert problem.error == error
    assert words in problem.reasons[0].message


def test_body_limit_counts_bytes_not_characters() -> None:
    just_over = "é" * (MAX_BODY_BYTES // 2 + 1)  # two bytes each
    assert rejected(decode_body, just_over, False).error == "payload_too_large"


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("{", "invalid_json", "not valid JSON"),
        ("[1, 2]", "invalid_payload", "not list"),
        ('"text"', "invalid_payload", "not str"),
        ('{"text": "a", "text": "b"}', "invalid_json", "'text' appears twice"),
        ('{"blocks": [{"a": 1, "a": 2}]}', "invalid_json", "'a' appears twice"),
        ("[" * 100_000 + "]" * 100_000, "invalid_payload", "nests deeper"),
    ],
    ids=["truncated", "array", "string", "duplicate-key", "nested-duplicate", "very-deep"],
)
def test_bad_json(text: str, error: str, words: str) -> None:
    problem = rejected(parse_json, text)
    assert problem.error == error
    assert words in problem.reasons[0].message


def test_allowed_fields_pass_and_unfurling_is_forced_off() -> None:
    checked = check_message(
        message(
            text="hi",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
            attachments=[{"fallback": "f"}],
            thread_ts="1712345678.123456",
            reply_broadcast=False,
            mrkdwn=True,
            unfurl_links=True,
            unfurl_media=True,
            metadata={"event_type": "report", "event_payload": {"n": 1}},
        )
    )
    assert checked.channel == "payments-alerts"
    assert "channel" not in checked.fields  # the alias is the relay's, not Slack's
    assert checked.fields["unfurl_links"] is False
    assert checked.fields["unfurl_media"] is False
    assert checked.fields["text"] == "hi"
    assert checked.fields["thread_ts"] == "1712345678.123456"


def test_unfurling_is_off_even_when_not_asked() -> None:
    fields = check_message(message(text="hi")).fields
    assert fields["unfurl_links"] is False and fields["unfurl_media"] is False


@pytest.mark.parametrize("field", ["username", "icon_url", "icon_emoji", "as_user"])
def test_impersonation_fields_are_rejected(field: str) -> None:
    problem = rejected(check_message, message(text="hi", **{field: "CEO"}))
    assert problem.error == "invalid_payload"
    assert problem.reasons[0].rule == "impersonation"
    assert problem.reasons[0].path == field


@pytest.mark.parametrize(
    "field", ["response_url", "token", "link_names", "parse", "replace_original"]
)
def test_unknown_fields_are_rejected_with_the_allowed_list(field: str) -> None:
    problem = rejected(check_message, message(text="hi", **{field: "x"}))
    assert problem.reasons[0].rule == "unknown_field"
    assert "allowed: " in problem.reasons[0].message


@pytest.mark.parametrize(
    ("payload", "rule"),
    [
        ({"text": "hi"}, "channel"),
        (message(channel="#general", text="hi"), "channel"),
        (message(channel="C0123ABC", text="hi"), "channel"),
        (message(channel=["payments-alerts"], text="hi"), "channel"),
        (message(text=7), "field_type"),
        (message(blocks={"type": "section"}), "field_type"),
        (message(blocks=["section"]), "field_type"),
        (message(attachments="x"), "field_type"),
        (message(text="x", thread_ts="yesterday"), "field_type"),
        (message(text="x", thread_ts=1712345678.1), "field_type"),
        (message(text="x", mrkdwn="yes"), "field_type"),
        (message(text="x", unfurl_links="false"), "field_type"),
        (message(text="x", metadata={"event_type": "a"}), "field_type"),
        (message(), "empty"),
        (message(text="", blocks=[]), "empty"),
        (message(text="x" * (MAX_TEXT_CHARS + 1)), "text_length"),
        (message(blocks=[{"type": "divider"}] * (MAX_BLOCKS + 1)), "block_count"),
        (message(attachments=[{"text": "a"}] * (MAX_ATTACHMENTS + 1)), "attachment_count"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_shape_and_limits(payload: dict[str, object], rule: str) -> None:
    problem = rejected(check_message, payload)
    assert problem.error == "invalid_payload"
    assert rule in {r.rule for r in problem.reasons}


def test_limits_at_the_edge_pass() -> None:
    check_message(message(text="x" * MAX_TEXT_CHARS, blocks=[{"type": "divider"}] * MAX_BLOCKS))


def test_depth_limit() -> None:
    nested: dict[str, object] = {"type": "x"}
    for _ in range(MAX_DEPTH):
        nested = {"type": "x", "elements": [nested]}
    problem = rejected(check_message, message(blocks=[nested]))
    assert "depth" in {r.rule for r in problem.reasons}
