"""The content policy: a pure function from a checked message and its team to a verdict.

Every string in what would reach Slack is visited once — values and object keys, in text,
blocks, attachments and metadata — for two checks:

* links: values under URL-valued keys must be allowed URLs, and every link written in any
  string (mrkdwn ``<url|label>``, bare URLs) must be too;
* secrets and personal data: the scanner, over all strings in one batch (a string whose
  object key names a secret also as `key: value`, labelled.py), then over the message as a
  reader sees it rendered (rendered.py: a secret split across strings, spaces or mrkdwn
  markers).

A team's ``action`` decides what a secret does: ``block`` refuses the message,
``redact`` replaces each finding with ``[redacted:<rule>]`` and forwards the rest. A
personal-data finding does what the team's policy for its class says (``Team.decision``):
``block``, ``redact`` or ``allow`` (left as it is). Whole numbers of 12 digits or more are
checked as their decimal text (after their key), so a card number or My Number sent as a
JSON number is found too; redacting one replaces the number with the marker string.
Links are never redacted: a message with a forbidden link is always refused.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import labelled, rendered, scanner, urls
from .lean_typing import TYPE_CHECKING, NamedTuple
from .payload import Message, PayloadRejected
from .reasons import Reason, mask
from .registry import Team
from .rules import RULES

if TYPE_CHECKING:
    from typing import Any

# A real message has hundreds of strings; tens of thousands of tiny ones only cost time.
MAX_STRINGS = 10_000
# Reasons shown in one response: enough to fix a message, small enough for any response.
MAX_REASONS = 50
# Numbers this large can hold a card number or My Number; smaller ones are left out of the
# batch (no digit rule matches fewer than 12 digits without separators).
_MIN_SCANNED_NUMBER = 10**11
_CATEGORY = {rule.id: rule.category for rule in RULES}


class StringSite(NamedTuple):
    """Where a string value sits in the payload, so it can be reported and replaced."""

    path: str
    container: dict[str, Any] | list[Any]
    slot: str | int  # key or index of the value
    under_url_key: bool


class Verdict(NamedTuple):
    payload: dict[str, Any]  # what to forward (redactions applied)
    redactions: list[Reason]


def evaluate(message: Message, team: Team) -> Verdict:
    """Returns what to forward, or raises PayloadRejected (`content_blocked`/`invalid_payload`)."""
    payload = message.fields
    sites, keys = _walk(payload)
    texts = [_as_text(site) for site in sites]
    # Object keys reach Slack too (metadata is stored as sent) but are never links or
    # redactable; each distinct key is scanned once.
    key_texts = sorted(keys)

    encoding_reasons = [
        Reason("encoding", site.path, "the string contains an unpaired UTF-16 surrogate")
        for site, text in zip(sites, texts, strict=True)
        if _has_surrogate(text)
    ] + [
        Reason("encoding", key_path, "the key contains an unpaired UTF-16 surrogate")
        for key, key_path in keys.items()
        if _has_surrogate(key)
    ]
    if encoding_reasons:
        raise PayloadRejected("invalid_payload", encoding_reasons)
    link_reasons = [
        reason
        for site, text in zip(sites, texts, strict=True)
        for reason in _link_problems(site, text, team)
    ]

    # A string under a name that says it is a secret ("db_password", or the title of an
    # attachment field) is scanned as `name: value` too (labelled.py), in the same batch.
    relabelled = labelled.relabelled(sites, keys)
    scanned = scanner.scan_many(
        texts + key_texts + [label + texts[index] for index, label in relabelled]
    )
    own = scanned[: len(texts) + len(key_texts)]
    for (index, label), found in zip(relabelled, scanned[len(own) :], strict=True):
        own[index] = labelled.merged(own[index], found, len(label))
    findings_per_text = [
        [f for f in findings if team.decision(_CATEGORY.get(f.rule, "secret")) != "allow"]
        for findings in own
    ]
    blocking = any(
        team.decision(_CATEGORY.get(f.rule, "secret")) == "block"
        for findings in findings_per_text
        for f in findings
    )
    # A key holding a secret would show up raw in every path through it: mask it there.
    flagged_keys = {
        key: mask(key)
        for key, findings in zip(key_texts, findings_per_text[len(sites) :], strict=True)
        if findings
    }
    secret_reasons: list[Reason] = []
    for index, findings in enumerate(findings_per_text):
        if not findings:
            continue
        path = sites[index].path if index < len(sites) else keys[key_texts[index - len(sites)]]
        secret_reasons.extend(
            Reason(f.rule, _masked_path(path, flagged_keys), f"{f.description} found ({f.masked})")
            for f in findings
        )
    if flagged_keys:
        link_reasons = [
            Reason(r.rule, _masked_path(r.path, flagged_keys), r.message) for r in link_reasons
        ]
    key_found = bool(flagged_keys)
    # What only the message as rendered shows (a token split over strings, spaces or mrkdwn
    # markers) cannot be redacted in place: it always blocks (rendered.py).
    found = {
        sites[index].path: [(f.start, f.end, f.rule) for f in findings]
        for index, findings in enumerate(findings_per_text[: len(sites)])
        if findings
    }
    split_reasons = [
        Reason(r.rule, _masked_path(r.path, flagged_keys), r.message)
        for r in rendered.split_findings(payload, found)
        if team.decision(_CATEGORY.get(r.rule, "secret")) != "allow"
    ]
    # A key cannot be redacted without changing what the message means: block instead.
    if link_reasons or split_reasons or (secret_reasons and (blocking or key_found)):
        raise PayloadRejected(
            "content_blocked", cap_reasons(link_reasons + secret_reasons + split_reasons)
        )
    for site, text, findings in zip(sites, texts, findings_per_text, strict=False):
        if findings:
            redacted = scanner.redact(text, findings)
            if not isinstance(site.container[site.slot], str):  # type: ignore[index]
                redacted = f"[redacted:{findings[0].rule}]"  # a number is replaced whole
            # Redaction forwards the normalised text, in which full-width look-alikes have
            # become ASCII: a link can appear that the raw string did not show. Check again.
            link_reasons.extend(_link_problems(site, redacted, team))
            site.container[site.slot] = redacted  # type: ignore[index]
    if link_reasons:
        raise PayloadRejected("content_blocked", cap_reasons(link_reasons))
    return Verdict(payload=payload, redactions=secret_reasons)


def _masked_path(path: str, flagged_keys: dict[str, str]) -> str:
    for key, masked in flagged_keys.items():
        path = path.replace(key, masked)
    return path


def cap_reasons(reasons: list[Reason]) -> list[Reason]:
    """At most MAX_REASONS, the last one saying how many more there were and of which rules."""
    if len(reasons) <= MAX_REASONS:
        return reasons
    more = len(reasons) - MAX_REASONS + 1
    rules = sorted({reason.rule for reason in reasons[MAX_REASONS - 1 :]})
    summary = Reason("more", "", f"and {more} more finding(s) of: {', '.join(rules)}")
    return [*reasons[: MAX_REASONS - 1], summary]


def _walk(payload: dict[str, Any]) -> tuple[list[StringSite], dict[str, str]]:
    """Every string value (with its site) and every distinct object key (with a path where it
    first appears), depth first, without recursion."""
    sites: list[StringSite] = []
    keys: dict[str, str] = {}
    url_keys = urls.URL_KEYS
    stack: list[tuple[Any, str, bool]] = [(payload, "", False)]
    while stack:
        node, path, under_url_key = stack.pop()
        if len(sites) + len(keys) > MAX_STRINGS:
            break  # stop early; reported below
        if isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}" if path else key
                keys.setdefault(key, child)
                if isinstance(value, str):
                    sites.append(StringSite(child, node, key, key in url_keys))
                elif _scanned_number(value):
                    sites.append(StringSite(child, node, key, False))
                elif isinstance(value, dict | list):
                    stack.append((value, child, key in url_keys))
        else:
            for index, value in enumerate(node):
                if isinstance(value, str):
                    sites.append(StringSite(f"{path}[{index}]", node, index, under_url_key))
                elif _scanned_number(value):
                    sites.append(StringSite(f"{path}[{index}]", node, index, False))
                elif isinstance(value, dict | list):
                    stack.append((value, f"{path}[{index}]", under_url_key))
    if len(sites) + len(keys) > MAX_STRINGS:
        raise PayloadRejected(
            "invalid_payload",
            [Reason("string_count", "", f"more than {MAX_STRINGS} strings in one message")],
        )
    return sites, keys


def _scanned_number(value: object) -> bool:
    # bool is an int subclass; a float holds a whole number past 2**53 only approximately,
    # but one written as 4111111111111111.0 is still that number.
    if isinstance(value, float):
        return value.is_integer() and _MIN_SCANNED_NUMBER <= abs(value) < 1e20
    return (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _MIN_SCANNED_NUMBER
    )


def _as_text(site: StringSite) -> str:
    value = site.container[site.slot]  # type: ignore[index]
    if isinstance(value, str):
        return value
    # A number's key is its label, as the words before a number in text are: "order_id"
    # makes it an order number, "my_number" a My Number.
    digits = str(int(value))
    return f"{site.slot}: {digits}" if isinstance(site.slot, str) else digits


def _link_problems(site: StringSite, text: str, team: Team) -> Iterator[Reason]:
    if site.under_url_key:
        problem = urls.check_url(text, team.link_domains)
        if problem:
            yield Reason("link_not_allowed", site.path, problem)
        return
    text_format = urls.text_format(site.container, site.slot)
    if text_format != urls.MARKDOWN and ":" not in text and "." not in text and "<" not in text:
        return  # no scheme, host name or angle link: most strings of a message ("section")
    for url in urls.urls_in_text(text, text_format):
        problem = urls.check_url(url, team.link_domains)
        if problem:
            yield Reason("link_not_allowed", site.path, problem)


def _has_surrogate(text: str) -> bool:
    # Fast path: pure ASCII strings (the common case) cannot hold surrogates.
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
