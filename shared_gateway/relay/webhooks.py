"""Which webhook URL a channel alias posts to: Secrets Manager, cached, or a local `url`.

The URL is a credential (anyone holding it can post to that Slack channel), so it lives in
Secrets Manager, is read by the relay alone, and is never logged or returned. boto3 is
imported on first use only: it costs more to import than the whole relay.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

from .forwarder import UpstreamError
from .registry import Channel

# Slack's incoming-webhook hosts; a secret holding anything else is a misconfiguration.
SLACK_WEBHOOK = re.compile(
    r"https://hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/\S+"
)
DEFAULT_TTL_SECONDS = 300.0


def fetch_secret_string(secret_id: str) -> str | None:
    import boto3  # lazily: the Lambda runtime has it, the relay's cold start should not pay for it

    value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)
    return value.get("SecretString")


class WebhookResolver:
    """Resolves and caches webhook URLs per channel alias for `ttl_seconds`."""

    __slots__ = ("_cache", "clock", "fetch", "ttl_seconds")

    def __init__(
        self,
        fetch: Callable[[str], str | None] = fetch_secret_string,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetch, self.ttl_seconds, self.clock = fetch, ttl_seconds, clock
        self._cache: dict[str, tuple[float, str]] = {}  # alias -> (expires at, url)

    def url_for(self, channel: Channel) -> str:
        if channel.url is not None:
            return channel.url
        assert channel.secret is not None  # the registry guarantees one of the two
        cached = self._cache.get(channel.alias)
        now = self.clock()
        if cached and cached[0] > now:
            return cached[1]
        try:
            raw = self.fetch(channel.secret)
        except Exception as exc:  # any SDK or network failure: the message cannot go out
            raise UpstreamError(
                f"the webhook for channel {channel.alias!r} could not be read "
                f"({type(exc).__name__}) — check the relay's access to its secret"
            ) from None
        url = _webhook_url(raw, channel)
        self._cache[channel.alias] = (now + self.ttl_seconds, url)
        return url

    def forget(self, alias: str) -> None:
        """Drops a cached URL, e.g. after Slack answered 404/410 for a rotated webhook."""
        self._cache.pop(alias, None)


def _webhook_url(raw: str | None, channel: Channel) -> str:
    value = (raw or "").strip()
    if value.startswith("{"):
        # Also accept {"url": "..."}, the shape the console's key/value editor produces.
        try:
            value = str(json.loads(value).get("url", "")).strip()
        except (ValueError, AttributeError):
            value = ""
    if not value:
        raise UpstreamError(
            f"the webhook for channel {channel.alias!r} is not set yet — the platform team "
            f"sets it with: aws secretsmanager put-secret-value --secret-id {channel.secret} "
            "--secret-string <webhook URL>"
        )
    if not SLACK_WEBHOOK.fullmatch(value):
        raise UpstreamError(
            f"the secret for channel {channel.alias!r} does not hold a Slack webhook URL "
            "(https://hooks.slack.com/services/...)"
        )
    return value
