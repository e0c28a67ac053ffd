"""Sends a checked message to a Slack incoming webhook, within one deadline.

One plain POST (webhook_post.py, socket and ssl only) on purpose: no proxy taken from the
environment, no redirect followed, no header beyond the few set here — the request carries the
message and nothing else. Retries 429 (honouring Retry-After) and 5xx with exponential
backoff, and a dropped connection once per attempt budget, but never past the deadline. The
webhook URL is never put into an exception message or a log line: it is a credential.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from .lean_typing import TYPE_CHECKING, NamedTuple
from .webhook_post import MalformedAnswer, Webhook, post

if TYPE_CHECKING:
    import ssl
    from typing import Any

USER_AGENT = "slackgate-relay/1"
MAX_ATTEMPTS = 4
BASE_BACKOFF_SECONDS = 0.25
MAX_RESPONSE_BYTES = 4096  # Slack answers "ok" or a short error code


class UpstreamError(Exception):
    """Slack refused the message or could not be reached (502 `upstream_error`)."""


class UpstreamTimeout(UpstreamError):
    """No answer from Slack within the deadline (504 `upstream_timeout`)."""


class UpstreamRateLimited(UpstreamError):
    """Slack kept answering 429 past the deadline (429 `rate_limited`, Retry-After passed on)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Delivery(NamedTuple):
    status: int
    attempts: int


class Forwarder(NamedTuple):
    """Posts JSON to webhooks. `deadline_seconds` bounds all attempts together."""

    deadline_seconds: float = 8.0
    attempt_timeout_seconds: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def send(self, webhook_url: str, payload: dict[str, Any]) -> Delivery:
        body = json.dumps(
            payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
        target = _parse(webhook_url)
        deadline = self.clock() + self.deadline_seconds
        problem, timed_out, slack_retry_after = "no attempt was made", False, None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            remaining = deadline - self.clock()
            if remaining <= 0:
                break
            retry_after = None
            try:
                status, retry_after, answer = _post(
                    target, body, timeout=min(self.attempt_timeout_seconds, remaining)
                )
            except TimeoutError:
                problem, timed_out = "no answer in time", True
            except (OSError, MalformedAnswer) as exc:
                # Refused or dropped before an answer: worth another try.
                problem, timed_out = f"connection failed ({type(exc).__name__})", False
            else:
                if 200 <= status < 300:
                    return Delivery(status=status, attempts=attempt)
                if status != 429 and status < 500:
                    # Slack's answer is a short code such as invalid_blocks or no_service.
                    raise UpstreamError(f"Slack refused the message: HTTP {status} {answer}")
                problem, timed_out = f"HTTP {status} {answer}".strip(), False
                slack_retry_after = retry_after if status == 429 else None
            wait = BASE_BACKOFF_SECONDS * 2 ** (attempt - 1) if retry_after is None else retry_after
            if attempt == MAX_ATTEMPTS or self.clock() + wait >= deadline:
                break
            self.sleep(wait)
        if timed_out:
            raise UpstreamTimeout(f"Slack did not answer within {self.deadline_seconds:g} s")
        if slack_retry_after is not None:
            raise UpstreamRateLimited(
                f"Slack is rate limiting this channel; retry in {slack_retry_after:g} s",
                slack_retry_after,
            )
        raise UpstreamError(f"Slack could not take the message ({problem})")


def _parse(url: str) -> Webhook:
    """The webhook's parts, read by hand: urllib.parse costs about 3 ms of a cold start and a
    webhook URL has one plain shape, scheme://host[:port][/path][?query]."""
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in ("http", "https"):
        raise UpstreamError("the channel's webhook is not an http(s) URL")
    rest = rest.partition("#")[0]
    ends = [at for at in (rest.find("/"), rest.find("?")) if at >= 0]
    authority, target = rest[: min(ends, default=len(rest))], rest[min(ends, default=len(rest)) :]
    if "@" in authority:
        raise UpstreamError("the channel's webhook holds a user name: a webhook URL has none")
    host, port_text = _host_and_port(authority)
    if not host:
        raise UpstreamError("the channel's webhook is not an http(s) URL")
    if port_text and not (port_text.isascii() and port_text.isdigit() and int(port_text) < 65536):
        raise UpstreamError("the channel's webhook has an invalid port")
    path = target if target.startswith("/") else "/" + target
    # The request line and Host header are written as they are: nothing but visible ASCII.
    if not all("!" <= ch <= "~" for ch in path + host):
        raise UpstreamError("the channel's webhook holds spaces or characters URLs cannot")
    return Webhook(scheme == "https", host.lower(), int(port_text) if port_text else None, path)


def _host_and_port(authority: str) -> tuple[str, str]:
    if authority.startswith("["):  # an IPv6 literal: [::1]:8443
        literal, bracket, after = authority[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise UpstreamError("the channel's webhook has an invalid IPv6 host")
        return literal, after[1:]
    host, _, port_text = authority.partition(":")
    return host, port_text


def _post(target: Webhook, body: bytes, timeout: float) -> tuple[int, float | None, str]:
    answer = post(
        target,
        body,
        {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
        timeout=timeout,
        limit=MAX_RESPONSE_BYTES,
        tls=_tls_context() if target.https else None,
    )
    text = answer.body.decode("utf-8", "replace")
    return answer.status, _retry_after(answer.headers.get("retry-after")), _short(text)


_TLS: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    global _TLS  # built once per container: loading the CA bundle costs milliseconds
    if _TLS is None:
        import ssl

        _TLS = ssl.create_default_context()
    return _TLS


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date is legal but Slack sends seconds; fall back to backoff
    return max(0.0, min(seconds, 60.0))


def _short(answer: str) -> str:
    # Only a code-like first line of Slack's answer is ever repeated.
    first = answer.strip().splitlines()[0] if answer.strip() else ""
    return "".join(ch for ch in first[:80] if ch.isalnum() or ch in "_-. ")
