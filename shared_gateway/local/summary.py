"""What the local relay shows a developer: each message's decision, its reasons, and what Slack
would have received, as lines a person can read at a glance.

Pure functions over plain data (the relay's answer, the payload the Slack stand-in got); the
team loop (`team_loop`) collects one `Exchange` per message and prints `describe_exchange`::

    #1 delivered -> billing-alerts (200; id 3f2a...9c1e; signed by slackgate-billing-digest)
       Slack received:
         text     Billing digest - 2026-01-31: 1,263 settled, 2 failed
         blocks   3: header, section, context
           [0] header   Billing digest - 2026-01-31
           [1] section  *Settled* 1,263 | *Failed* 2
           [2] context  Generated 06:00 UTC
         links    none
         unfurl   links false, media false (the relay always sends false)
    #2 blocked -> billing-alerts (422 content_blocked; signed by slackgate-billing-digest)
       reasons:
         text  [aws-access-key-id] ... AKIA************Z7XX ...
       Slack received nothing.

Reasons are shown as the relay gave them: it masks every secret, so nothing here repeats one.
Links are found the way the relay finds them (`relay.urls`): values of URL-valued keys, and
links written in any text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from ..relay.urls import URL_KEYS, text_format, urls_in_text

MAX_GIST_CHARS = 110  # one block on one line of a terminal, after the indentation
MAX_LINKS_SHOWN = 20
MAX_DEPTH = 25  # payloads that reach Slack nest 20 levels at most (the relay's limit)
TEXT_KEYS = ("text", "alt_text", "title", "fallback", "pretext")
_SPACE = re.compile(r"\s+")
_ROLE = re.compile(r"assumed-role/([^/]+)/")


class Exchange(NamedTuple):
    """One request the relay handled, as the report shows it.

    `reasons` and `redacted` are the relay's (`{"rule", "path", "message"}`, masked);
    `slack` is the payload the Slack stand-in received last for this request (None: nothing
    reached it), `slack_attempts` how many requests it got (retries after a 429 or 5xx).
    """

    number: int
    caller: str
    channel: str | None
    status: int
    decision: str
    error: str | None = None
    reasons: Sequence[Mapping[str, Any]] = ()
    redacted: Sequence[Mapping[str, Any]] = ()
    message_id: str | None = None
    slack: Mapping[str, Any] | None = None
    slack_attempts: int = 0

    @property
    def delivered(self) -> bool:
        return self.decision == "delivered"

    def describe(self) -> str:
        return describe_exchange(self)


def describe_exchange(exchange: Exchange) -> str:
    """The report of one message: a headline, the reasons, and what reached Slack."""
    details = [str(exchange.status)]
    if exchange.error:
        details[0] += f" {exchange.error}"
    if exchange.message_id:
        details.append(f"id {exchange.message_id}")
    if exchange.slack_attempts > 1:
        details.append(f"{exchange.slack_attempts} attempts")
    details.append(f"signed by {role_name(exchange.caller)}")
    lines = [
        f"#{exchange.number} {exchange.decision} -> {exchange.channel or '(no channel)'} "
        f"({'; '.join(details)})"
    ]
    for title, reasons in (("reasons", exchange.reasons), ("redacted", exchange.redacted)):
        if reasons:
            lines.append(f"   {title}:")
            lines += [f"     {describe_reason(reason)}" for reason in reasons]
    if exchange.slack is None:
        lines.append("   Slack received nothing.")
    else:
        lines.append("   Slack received:")
        lines += [f"     {line}" for line in describe_payload(exchange.slack)]
    return "\n".join(lines)


def describe_reason(reason: Mapping[str, Any]) -> str:
    path = reason.get("path") or "(message)"
    return f"{path}  [{reason.get('rule', '?')}] {reason.get('message', '')}"


def role_name(caller: str) -> str:
    """`slackgate-billing-digest` from an assumed-role ARN; anything else as it is."""
    match = _ROLE.search(caller)
    return match.group(1) if match else caller


def describe_payload(payload: Mapping[str, Any]) -> list[str]:
    """A Slack message as a few lines: text, blocks by type, attachments, links, switches."""
    lines: list[str] = []
    text = payload.get("text")
    if isinstance(text, str):
        lines.append(f"text     {gist(text)}")
    blocks = _objects(payload.get("blocks"))
    if blocks:
        lines.append(f"blocks   {len(blocks)}: {', '.join(_type(block) for block in blocks)}")
        lines += [f"  {line}" for line in _describe_blocks(blocks)]
    attachments = _objects(payload.get("attachments"))
    if attachments:
        lines.append(f"attachments {len(attachments)}")
        for index, attachment in enumerate(attachments):
            colour = attachment.get("color")
            head = f"  [{index}]{f' color {colour}' if isinstance(colour, str) else ''}"
            lines.append(f"{head}  {gist(' | '.join(texts_in(attachment, skip=('blocks',))))}")
            lines += [
                f"    {line}" for line in _describe_blocks(_objects(attachment.get("blocks")))
            ]
    for key in ("thread_ts", "reply_broadcast", "mrkdwn"):
        if key in payload:
            lines.append(f"{key} {_json_scalar(payload[key])}")
    metadata = payload.get("metadata")
    if isinstance(metadata, Mapping):
        lines.append(f"metadata event_type {metadata.get('event_type')!r}")
    found = links_in(payload)
    shown = ", ".join(found[:MAX_LINKS_SHOWN])
    more = f" and {len(found) - MAX_LINKS_SHOWN} more" if len(found) > MAX_LINKS_SHOWN else ""
    lines.append(f"links    {shown + more if found else 'none'}")
    if "unfurl_links" in payload or "unfurl_media" in payload:
        lines.append(
            f"unfurl   links {_json_scalar(payload.get('unfurl_links'))}, media "
            f"{_json_scalar(payload.get('unfurl_media'))} (the relay always sends false)"
        )
    return lines


def _describe_blocks(blocks: list[Mapping[str, Any]]) -> list[str]:
    width = max((len(_type(block)) for block in blocks), default=0)
    return [
        f"[{index}] {_type(block):<{width}}  {gist(' | '.join(texts_in(block)))}".rstrip()
        for index, block in enumerate(blocks)
    ]


def texts_in(node: Any, skip: Sequence[str] = ()) -> list[str]:
    """The human-readable strings of a block or attachment, in reading order."""
    return [text for _, key, text in _strings(node, skip) if key in TEXT_KEYS]


def links_in(payload: Mapping[str, Any]) -> list[str]:
    """Every link in the message, in order, each once: as the relay's URL policy sees them."""
    found: dict[str, None] = {}
    for node, key, text in _strings(payload):
        # Each string read in its own format, as the relay does (a markdown block's text as
        # Markdown, a plain_text object's without <...> links).
        urls = [text] if key in URL_KEYS else urls_in_text(text, text_format(node, key))
        for url in urls:
            found.setdefault(url, None)
    return list(found)


def gist(text: str, limit: int = MAX_GIST_CHARS) -> str:
    """One line: runs of whitespace (line breaks too) as one space, cut at `limit`."""
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _strings(
    node: Any, skip: Sequence[str] = (), depth: int = 0
) -> Iterator[tuple[Mapping[str, Any], str, str]]:
    """(object, key, string) for every string value under `node`, depth first in document
    order; strings in lists carry the object and key of the list."""
    if depth > MAX_DEPTH:
        return
    items = node.items() if isinstance(node, Mapping) else ()
    for key, value in items:
        if key in skip:
            continue
        if isinstance(value, str):
            yield node, key, value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    yield node, key, item
                else:
                    yield from _strings(item, skip, depth + 1)
        else:
            yield from _strings(value, skip, depth + 1)


def _objects(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _type(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    return kind if isinstance(kind, str) else "?"


def _json_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "absent" if value is None else str(value)
