"""Webhook lookup: Secrets Manager (moto), the TTL cache, clear errors that never leak the URL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from shared_gateway.relay.forwarder import UpstreamError
from shared_gateway.relay.registry import Channel
from shared_gateway.relay.webhooks import WebhookResolver, fetch_secret_string

HOOK = "https://hooks.slack.com/services/T000/B000/" + "x" * 24
CHANNEL = Channel(alias="payments-alerts", secret="slackgate/channels/payments-alerts")


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("secretsmanager")


def test_reads_the_secret_from_secrets_manager(secrets) -> None:  # type: ignore[no-untyped-def]
    secrets.create_secret(Name=CHANNEL.secret, SecretString=HOOK)
    assert WebhookResolver(fetch=fetch_secret_string).url_for(CHANNEL) == HOOK


def test_json_secret_shape_is_accepted(secrets) -> None:  # type: ignore[no-untyped-def]
    secrets.create_secret(Name=CHANNEL.secret, SecretString=json.dumps({"url": HOOK}))
    assert WebhookResolver().url_for(CHANNEL) == HOOK


def test_missing_secret_is_an_upstream_error_naming_the_channel(secrets) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UpstreamError, match="'payments-alerts' could not be read"):
        WebhookResolver().url_for(CHANNEL)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "not set yet"),
        ("{}", "not set yet"),
        ("https://evil.example/services/x", "does not hold a Slack webhook URL"),
        ("http://hooks.slack.com/services/x", "does not hold a Slack webhook URL"),
    ],
)
def test_bad_secret_values(value: str, words: str) -> None:
    resolver = WebhookResolver(fetch=lambda _: value)
    with pytest.raises(UpstreamError) as caught:
        resolver.url_for(CHANNEL)
    assert words in str(caught.value)
    assert "evil.example" not in str(caught.value)


def test_cache_honours_the_ttl_and_forget() -> None:
    now = [0.0]
    reads: list[str] = []

    def fetch(secret_id: str) -> str:
        reads.append(secret_id)
        return HOOK

    resolver = WebhookResolver(fetch=fetch, ttl_seconds=60, clock=lambda: now[0])
    resolver.url_for(CHANNEL)
    now[0] = 59
    resolver.url_for(CHANNEL)
    assert len(reads) == 1
    now[0] = 61
    resolver.url_for(CHANNEL)
    assert len(reads) == 2
    resolver.forget(CHANNEL.alias)
    resolver.url_for(CHANNEL)
    assert len(reads) == 3


def test_local_url_channels_need_no_secret() -> None:
    def fail(_: str) -> str:
        raise AssertionError("must not be called")

    local = Channel(alias="dev", url="http://127.0.0.1:9000/hook")
    assert WebhookResolver(fetch=fail).url_for(local) == "http://127.0.0.1:9000/hook"
