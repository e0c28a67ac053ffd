"""The forwarder against a real HTTP Slack stand-in on 127.0.0.1."""

from __future__ import annotations

import re
import time

import pytest

from shared_gateway.local.slack_standin import SlackStandin
from shared_gateway.relay.forwarder import (
    Forwarder,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamTimeout,
    _parse,
)
from shared_gateway.relay.webhook_post import Webhook

MESSAGE = {"text": "nightly report: 12 batches", "unfurl_links": False}


def quick(deadline: float = 3.0, attempt: float = 1.0) -> Forwarder:
    return Forwarder(deadline_seconds=deadline, attempt_timeout_seconds=attempt)


def test_delivers_the_message_and_nothing_else() -> None:
    with SlackStandin() as slack:
        delivery = quick().send(slack.url, MESSAGE)
    assert delivery.status == 200 and delivery.attempts == 1
    assert slack.payloads == [MESSAGE]
    headers = {k.lower(): v for k, v in slack.received[0].headers.items()}
    # Nothing rides along: no cookies, no proxy or auth headers, a fixed user agent.
    assert set(headers) == {"host", "content-type", "content-length", "user-agent", "connection"}
    assert headers["user-agent"] == "slackgate-relay/1"
    assert headers["host"] == f"127.0.0.1:{slack.port}" and headers["connection"] == "close"


def test_retries_429_honouring_retry_after() -> None:
    with SlackStandin(script=["rate_limited:1", "ok"]) as slack:
        started = time.monotonic()
        delivery = quick().send(slack.url, MESSAGE)
        elapsed = time.monotonic() - started
    assert delivery.attempts == 2
    assert elapsed >= 0.95  # waited as Slack asked, not the shorter backoff
    assert len(slack.payloads) == 2


def test_retries_5xx_with_backoff() -> None:
    with SlackStandin(script=["server_error", "server_error", "ok"]) as slack:
        delivery = quick().send(slack.url, MESSAGE)
    assert delivery.attempts == 3


def test_dropped_connection_is_retried() -> None:
    with SlackStandin(script=["drop", "ok"]) as slack:
        assert quick().send(slack.url, MESSAGE).attempts == 2


@pytest.mark.parametrize(
    ("behaviour", "answer"),
    [("invalid_payload", "HTTP 400 invalid_payload"), ("not_found", "HTTP 404 no_service")],
)
def test_client_errors_are_not_retried(behaviour: str, answer: str) -> None:
    with SlackStandin(script=[behaviour]) as slack:
        with pytest.raises(UpstreamError) as caught:
            quick().send(slack.url, MESSAGE)
        assert len(slack.received) == 1
    assert answer in str(caught.value)
    assert slack.url not in str(caught.value)  # the webhook is a credential


def test_slow_slack_times_out_within_the_deadline() -> None:
    with SlackStandin(script=["slow:3", "slow:3", "slow:3"]) as slack:
        started = time.monotonic()
        with pytest.raises(UpstreamTimeout):
            quick(deadline=1.0, attempt=0.4).send(slack.url, MESSAGE)
        assert time.monotonic() - started < 1.5


def test_persistent_429_past_the_deadline_is_rate_limited() -> None:
    with SlackStandin(script=["rate_limited:30"] * 4) as slack:
        with pytest.raises(UpstreamRateLimited) as caught:
            quick(deadline=2.0).send(slack.url, MESSAGE)
        assert len(slack.received) == 1  # 30 s does not fit in 2 s: no pointless retry
    assert caught.value.retry_after == 30


def test_server_errors_until_the_attempts_run_out() -> None:
    with SlackStandin(script=["server_error"] * 4) as slack:
        with pytest.raises(UpstreamError, match="HTTP 500"):
            Forwarder(deadline_seconds=10, sleep=lambda _: None).send(slack.url, MESSAGE)
        assert len(slack.received) == 4


def test_nothing_listening_is_an_upstream_error() -> None:
    with SlackStandin() as slack:
        url = slack.url
    with pytest.raises(UpstreamError, match="connection failed") as caught:
        Forwarder(deadline_seconds=2, sleep=lambda _: None).send(url, MESSAGE)
    assert not isinstance(caught.value, UpstreamTimeout)


# The webhook URL is read by hand (urllib.parse is too dear at a cold start): every URL that
# urlsplit reads as http(s) with a host gives the same parts, and the rest are refused with
# what is wrong.
PARSED_AS_URLSPLIT_DOES = [
    "https://hooks.slack.com/services/T0/B0/abc",
    "HTTPS://Hooks.Slack.COM/services/T0/B0/abc",
    "http://127.0.0.1:9000/hook",
    "http://127.0.0.1:9000",
    "https://example.com?token=x&y=1",
    "https://example.com/a/b?q=1#fragment",
    "https://example.com:/path",
    "http://[::1]:8443/hook",
    "http://[2001:db8::7]/hook?x=1",
    "https://example.com:443/",
]


@pytest.mark.parametrize("url", PARSED_AS_URLSPLIT_DOES)
def test_a_webhook_url_is_read_as_urlsplit_reads_it(url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    expected = Webhook(parts.scheme == "https", parts.hostname, parts.port, path)
    assert _parse(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/hook", "not an http(s) URL"),
        ("example.com/hook", "not an http(s) URL"),
        ("https:///hook", "not an http(s) URL"),
        ("https://:443/hook", "not an http(s) URL"),
        ("https://example.com:https/hook", "invalid port"),
        ("https://example.com:70000/hook", "invalid port"),
        ("https://example.com:٤٤٣/hook", "invalid port"),  # Arabic-Indic digits
        ("https://user:pw@example.com/hook", "holds a user name"),
        ("https://[::1/hook", "invalid IPv6 host"),
        ("https://[::1]x/hook", "invalid IPv6 host"),
        ("https://example.com/a hook", "holds spaces"),
        ("https://exämple.com/hook", "holds spaces or characters URLs cannot"),
    ],
)
def test_a_webhook_url_that_is_not_plain_http_is_refused_with_the_reason(
    url: str, problem: str
) -> None:
    with pytest.raises(UpstreamError, match=re.escape(problem)) as caught:
        _parse(url)
    assert url not in str(caught.value)  # a webhook URL is a credential: never in a message
