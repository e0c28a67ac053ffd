"""The content policy: a pure function from a checked message and its team to a verdict.

Every string in what would reach Slack is visited once — values and object keys, in text,
blocks, attachments and metadata — for two checks:

* links: values under URL-valued keys must be allowed URLs, and every link written in any
  string (mrkdwn ``<url|label>``, bare URLs) must be too;
* secrets and personal data: the scanner, over all strings in one batch.

A team's ``action`` decides what a finding does: ``block`` refuses the message,
``redact`` replaces each finding with ``[redacted:<rule>]`` and forwards the rest.
Links are never redacted: a message with a forbidden link is always refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import scanner, urls
from .payload import Message, PayloadRejected
from .reasons import Reason
from .registry import Team


@dataclass(frozen=True, slots=True)
class StringSite:
    """Where a string sits in the payload, so it can be reported and replaced."""

    path: str
    container: dict[str, Any] | list[Any]
    slot: str | int  # key or index of the value; for an object key, the key itself
    is_key: bool
    under_url_key: bool


@dataclass(slots=True)
class Verdict:
    payload: dict[str, Any]  # what to forward (redactions applied)
    redactions: list[Reason] = field(default_factory=list)


def evaluate(message: Message, team: Team) -> Verdict:
    """Returns what to forward, or raises PayloadRejected (`content_blocked`/`invalid_payload`)."""
    payload = message.fields
    sites = list(_string_sites(payload))
    texts = [site.slot if site.is_key else site.container[site.slot] for site in sites]

    link_reasons: list[Reason] = []
    encoding_reasons: list[Reason] = []
    for site, text in zip(sites, texts, strict=True):
        if _has_surrogate(text):
            encoding_reasons.append(
                Reason("encoding", site.path, "the string contains an unpaired UTF-16 surrogate")
            )
            continue
        link_reasons.extend(_link_problems(site, text, team))
    if encoding_reasons:
        raise PayloadRejected("invalid_payload", encoding_reasons)

    findings_per_text = scanner.scan_many(texts)
    secret_reasons: list[Reason] = []
    for site, findings in zip(sites, findings_per_text, strict=True):
        secret_reasons.extend(
            Reason(f.rule, site.path, f"{f.description} found ({f.masked})") for f in findings
        )
    # An object key cannot be redacted without changing the message's meaning.
    must_block = team.action != "redact" or any(
        site.is_key for site, found in zip(sites, findings_per_text, strict=True) if found
    )
    if link_reasons or (secret_reasons and must_block):
        raise PayloadRejected("content_blocked", link_reasons + secret_reasons)
    for site, text, findings in zip(sites, texts, findings_per_text, strict=True):
        if findings:
            redacted = scanner.redact(text, findings)
            # Redaction forwards the normalised text, in which full-width look-alikes have
            # become ASCII: a link can appear that the raw string did not show. Check again.
            link_reasons.extend(_link_problems(site, redacted, team))
            site.container[site.slot] = redacted  # type: ignore[index]
    if link_reasons:
        raise PayloadRejected("content_blocked", link_reasons)
    return Verdict(payload=payload, redactions=secret_reasons)


def _string_sites(payload: dict[str, Any]) -> Iterator[StringSite]:
    """Every string value and object key, depth first, without recursion."""
    stack: list[tuple[Any, str, bool]] = [(payload, "", False)]
    while stack:
        node, path, under_url_key = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}" if path else key
                yield StringSite(child, node, key, is_key=True, under_url_key=False)
                if isinstance(value, str):
                    yield StringSite(child, node, key, False, key in urls.URL_KEYS)
                elif isinstance(value, dict | list):
                    stack.append((value, child, key in urls.URL_KEYS))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                child = f"{path}[{index}]"
                if isinstance(value, str):
                    yield StringSite(child, node, index, False, under_url_key)
                elif isinstance(value, dict | list):
                    stack.append((value, child, under_url_key))


def _link_problems(site: StringSite, text: str, team: Team) -> Iterator[Reason]:
    if site.under_url_key:
        problem = urls.check_url(text, team.link_domains)
        if problem:
            yield Reason("link_not_allowed", site.path, problem)
        return
    for url in urls.urls_in_text(text):
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
