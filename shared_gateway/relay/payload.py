"""From raw request body to a checked Slack message: encoding, limits, and the allowed fields.

Decisions (documented in the README, "What the relay lets through"):

* Only these top-level fields pass: ``channel`` (the alias, consumed here and never
  forwarded), ``text``, ``blocks``, ``attachments``, ``thread_ts``, ``reply_broadcast``,
  ``mrkdwn``, ``metadata``, and ``unfurl_links``/``unfurl_media`` (accepted, but always
  forwarded as false).
* Impersonation fields (``username``, ``icon_url``, ``icon_emoji``, ``as_user``) and any
  other unknown field are REJECTED, not silently stripped: a team that sets them expects
  them to work, and a silent drop hides the reason from the developer.
* Inside blocks and attachments the structure is Slack's to validate; the relay checks
  what matters for leaks: every string (scanner), every link (URL policy), and the limits.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re

from .lean_typing import TYPE_CHECKING, NamedTuple
from .reasons import Reason

if TYPE_CHECKING:
    from typing import Any

# Slack truncates text past 40,000 characters and refuses more than 50 blocks. The body
# limit leaves room for 40,000 non-ASCII characters JSON-escaped as \uXXXX plus blocks.
MAX_BODY_BYTES = 256 * 1024
MAX_TEXT_CHARS = 40_000
MAX_BLOCKS = 50
MAX_ATTACHMENTS = 20  # Slack's documented recommendation for a single message
MAX_DEPTH = 20  # deepest real Block Kit (rich_text lists) is about 10 levels

FORWARDED_FIELDS = frozenset(
    {"text", "blocks", "attachments", "thread_ts", "reply_broadcast", "mrkdwn", "metadata"}
)
FORCED_FALSE_FIELDS = ("unfurl_links", "unfurl_media")
IMPERSONATION_FIELDS = frozenset({"username", "icon_url", "icon_emoji", "as_user"})
CHANNEL_ALIAS = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# ASCII digits only: in Python's re, \d also matches other scripts' digits.
THREAD_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")


class PayloadRejected(Exception):
    """The request cannot be forwarded as it is; `error` is the contract's error code."""

    def __init__(self, error: str, reasons: list[Reason]) -> None:
        super().__init__(f"{error}: " + "; ".join(r.message for r in reasons))
        self.error = error
        self.reasons = reasons


class Message(NamedTuple):
    channel: str
    fields: dict[str, Any]  # what goes to Slack, before content checks


def decode_body(body: object, is_base64: bool) -> tuple[str, bytes]:
    """Returns the body as text and as bytes; enforces encoding and the size limit."""
    if body is None or body == "":
        raise PayloadRejected(
            "invalid_json", [Reason("json", "", "the request body is empty — send a JSON object")]
        )
    if not isinstance(body, str):
        raise PayloadRejected("invalid_json", [Reason("json", "", "the body is not text")])
    if is_base64:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise PayloadRejected(
                "invalid_json", [Reason("json", "", "the body is not valid base64")]
            ) from None
    else:
        # Lone surrogates cannot be encoded; they are not valid text either.
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadRejected(
            "payload_too_large",
            [
                Reason(
                    "body_size",
                    "",
                    f"the body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES} — "
                    "send less text or split the message",
                )
            ],
        )
    try:
        return raw.decode("utf-8"), raw
    except UnicodeDecodeError as exc:
        raise PayloadRejected(
            "invalid_json",
            [Reason("encoding", "", f"the body is not valid UTF-8 (byte {exc.start})")],
        ) from None


def parse_json(text: str) -> dict[str, Any]:
    """The body as a JSON object, accepting strict JSON (RFC 8259) only.

    Python's parser also takes `NaN`, `Infinity` and numbers that overflow a double (`1e400`),
    and `json.dumps` writes them back as `NaN`/`Infinity`, which Slack refuses as invalid
    JSON: the relay would answer 502 and drop a good cached webhook. Escaped lone
    surrogates (`"\\ud800"`) parse too but cannot be sent as UTF-8. All are refused here.
    """
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except _DuplicateKey as exc:
        raise PayloadRejected(
            "invalid_json",
            [Reason("json", "", f"the key {exc.key!r} appears twice in one object")],
        ) from None
    except _NotStrictJson as exc:
        raise PayloadRejected("invalid_json", [Reason("json", "", str(exc))]) from None
    except RecursionError:
        raise PayloadRejected(
            "invalid_payload",
            [Reason("depth", "", f"the JSON nests deeper than {MAX_DEPTH} levels")],
        ) from None
    except ValueError as exc:
        raise PayloadRejected(
            "invalid_json", [Reason("json", "", f"the body is not valid JSON: {exc}")]
        ) from None
    if not isinstance(value, dict):
        raise PayloadRejected(
            "invalid_payload",
            [Reason("shape", "", f"the body must be a JSON object, not {type(value).__name__}")],
        )
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise PayloadRejected(
            "invalid_json",
            [
                Reason(
                    "json",
                    "",
                    "the body escapes an unpaired UTF-16 surrogate (like \\ud800), which is "
                    "not text — send the character itself or a pair of escapes",
                )
            ],
        )
    return value


# Only a body that escapes a surrogate can hold a lone one (raw ones fail UTF-8 decoding).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _NotStrictJson(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _NotStrictJson(
        f"`{name}` is not JSON (RFC 8259 has no NaN or infinity) — send null or a string"
    )


def _finite_float(literal: str) -> float:
    number = float(literal)
    if number in (math.inf, -math.inf):
        shown = literal if len(literal) <= 24 else literal[:21] + "..."
        raise _NotStrictJson(
            f"the number {shown} is too large for a JSON double (it overflows to infinity) "
            "— send it as a string"
        )
    return number


def _has_lone_surrogate(value: object) -> bool:
    stack: list[object] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers reading the same object differently is a classic way around a filter.
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def check_message(payload: dict[str, Any]) -> Message:
    """Checks the top-level shape and the limits; returns the fields to forward."""
    channel = payload.get("channel")
    if not isinstance(channel, str) or not CHANNEL_ALIAS.fullmatch(channel):
        raise PayloadRejected(
            "invalid_payload",
            [
                Reason(
                    "channel",
                    "channel",
                    "`channel` must be one of your team's channel aliases, like "
                    '"payments-alerts" (not a Slack channel id or #name)',
                )
            ],
        )
    reasons: list[Reason] = []
    for key in payload:
        if key in IMPERSONATION_FIELDS:
            reasons.append(
                Reason(
                    "impersonation",
                    key,
                    f"`{key}` is not allowed — messages always show the relay's app identity",
                )
            )
        elif key not in FORWARDED_FIELDS and key not in FORCED_FALSE_FIELDS and key != "channel":
            reasons.append(
                Reason(
                    "unknown_field",
                    key,
                    f"`{key}` is not a field the relay forwards — allowed: "
                    + ", ".join(sorted(FORWARDED_FIELDS | {"channel", *FORCED_FALSE_FIELDS})),
                )
            )
    reasons.extend(_type_problems(payload))
    depth = _depth(payload)
    if depth > MAX_DEPTH:
        reasons.append(
            Reason("depth", "", f"the JSON nests {depth} levels; the limit is {MAX_DEPTH}")
        )
    if reasons:
        raise PayloadRejected("invalid_payload", reasons)
    fields = {key: payload[key] for key in FORWARDED_FIELDS if key in payload}
    for key in FORCED_FALSE_FIELDS:
        # Slack fetching a link on its own would reach the link's host with no reader involved.
        fields[key] = False
    return Message(channel=channel, fields=fields)


def _type_problems(payload: dict[str, Any]) -> list[Reason]:
    problems: list[Reason] = []

    def expect(key: str, ok: bool, what: str) -> None:
        if key in payload and not ok:
            problems.append(Reason("field_type", key, f"`{key}` must be {what}"))

    text, blocks, attachments = (
        payload.get("text"),
        payload.get("blocks"),
        payload.get("attachments"),
    )
    expect("text", isinstance(text, str), "a string")
    expect("blocks", _list_of_objects(blocks), "a list of block objects")
    expect("attachments", _list_of_objects(attachments), "a list of attachment objects")
    expect(
        "thread_ts",
        _is_thread_ts(payload.get("thread_ts")),
        'a message timestamp like "1712345678.123456"',
    )
    for key in ("reply_broadcast", "mrkdwn", *FORCED_FALSE_FIELDS):
        expect(key, isinstance(payload.get(key), bool), "true or false")
    metadata = payload.get("metadata")
    expect(
        "metadata",
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict),
        "an object with `event_type` (string) and `event_payload` (object)",
    )
    if problems:
        return problems
    if isinstance(text, str) and len(text) > MAX_TEXT_CHARS:
        problems.append(
            Reason(
                "text_length",
                "text",
                f"`text` has {len(text)} characters; the limit is {MAX_TEXT_CHARS}",
            )
        )
    if isinstance(blocks, list) and len(blocks) > MAX_BLOCKS:
        problems.append(
            Reason(
                "block_count", "blocks", f"{len(blocks)} blocks; Slack accepts at most {MAX_BLOCKS}"
            )
        )
    if isinstance(attachments, list) and len(attachments) > MAX_ATTACHMENTS:
        problems.append(
            Reason(
                "attachment_count",
                "attachments",
                f"{len(attachments)} attachments; the limit is {MAX_ATTACHMENTS}",
            )
        )
    if not (text or blocks or attachments):
        problems.append(
            Reason("empty", "", "the message has no `text`, `blocks` or `attachments` to send")
        )
    return problems


def _list_of_objects(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _is_thread_ts(value: object) -> bool:
    return isinstance(value, str) and THREAD_TS.fullmatch(value) is not None


def _depth(value: object) -> int:
    """Nesting depth, iteratively (a recursive walk is what deep input is built to break)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node)
    return deepest
