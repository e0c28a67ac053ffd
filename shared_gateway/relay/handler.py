"""The relay's Lambda entry point: API Gateway REST proxy event (v1) in, contract response out.

An imperative shell around the pure checks: who is calling (identity), may they post to that
channel (registry), is the message safe (payload + policy), then the webhook lookup and the
forwarder. Exactly one log line per request (observability). Configuration comes from the
environment, read once per container:

    SLACKGATE_CONFIG              path of the registry TOML (required)
    SLACKGATE_DEADLINE_SECONDS    total time for delivering to Slack, retries included (8)
    SLACKGATE_SECRET_TTL_SECONDS  how long a webhook URL read from Secrets Manager is reused (300)
    SLACKGATE_ACCOUNT_ID          if set, callers must be roles of this account
    SLACKGATE_RATE_TABLE          if set, the DynamoDB table that holds each team's
                                  rate_limit_per_minute across containers (shared_ratelimit.py)
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time

from .forwarder import Forwarder, UpstreamError, UpstreamRateLimited, UpstreamTimeout
from .identity import CallerRejected, team_of_caller
from .lean_typing import TYPE_CHECKING
from .observability import RequestRecord, emit
from .payload import PayloadRejected, check_message, decode_body, parse_json
from .policy import cap_reasons, evaluate
from .ratelimit import RateLimiter
from .reasons import Reason
from .registry import Registry, RegistryError, load_registry
from .shared_ratelimit import TABLE_ENV, SharedRateLimiter
from .webhooks import DEFAULT_TTL_SECONDS, WebhookResolver

if TYPE_CHECKING:
    from typing import Any, TextIO

    from .ratelimit import Limiter

STATUS = {
    "invalid_json": 400,
    "invalid_payload": 400,
    "payload_too_large": 413,
    "unknown_caller": 403,
    "channel_not_allowed": 403,
    "content_blocked": 422,
    "rate_limited": 429,
    "relay_misconfigured": 500,
    "upstream_error": 502,
    "upstream_timeout": 504,
}
DECISION = {
    "invalid_json": "rejected",
    "invalid_payload": "rejected",
    "payload_too_large": "rejected",
    "unknown_caller": "denied",
    "channel_not_allowed": "denied",
    "content_blocked": "blocked",
    "rate_limited": "rate_limited",
    "relay_misconfigured": "error",
    "upstream_error": "upstream_error",
    "upstream_timeout": "upstream_error",
}


class Refusal(Exception):
    def __init__(self, error: str, reasons: list[Reason], retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error, self.reasons, self.retry_after = error, reasons, retry_after


class Relay:
    """Everything a request needs, built once per container and reused."""

    __slots__ = ("expected_account", "forwarder", "limiter", "log", "registry", "resolver")

    def __init__(
        self,
        registry: Registry,
        resolver: WebhookResolver | None = None,
        forwarder: Forwarder | None = None,
        limiter: Limiter | None = None,
        expected_account: str | None = None,
        log: TextIO | None = None,
    ) -> None:
        self.registry = registry
        self.resolver = resolver or WebhookResolver()
        self.forwarder = forwarder or Forwarder()
        self.limiter: Limiter = limiter or RateLimiter()
        self.expected_account = expected_account
        self.log = log

    def handle(self, event: dict[str, Any], context: object = None) -> dict[str, Any]:
        started = time.perf_counter()
        record = RequestRecord(request_id=_request_id(event, context))
        try:
            response = self._deliver(event, record)
        except Refusal as refusal:
            record.error = refusal.error
            record.decision = DECISION[refusal.error]
            record.rules = sorted({r.rule for r in refusal.reasons})
            response = _refusal_response(refusal)
        except Exception as exc:  # a bug must still answer the contract and never leak content
            record.error, record.decision = "relay_misconfigured", "error"
            record.rules = [f"exception:{type(exc).__name__}"]
            response = _refusal_response(
                Refusal(
                    "relay_misconfigured",
                    [Reason("internal", "", "the relay failed; see its logs")],
                )
            )
        record.status = response["statusCode"]
        record.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        emit(record, self.log)
        return response

    def _deliver(self, event: dict[str, Any], record: RequestRecord) -> dict[str, Any]:
        try:
            team = team_of_caller(event, self.registry, self.expected_account)
        except CallerRejected as rejected:
            raise Refusal("unknown_caller", [rejected.reason]) from None
        record.team = team.slug
        wait = self.limiter.admit(team.slug, team.rate_limit_per_minute)
        if wait is not None:
            raise Refusal(
                "rate_limited",
                [
                    Reason(
                        "rate_limit", "", f"team {team.slug!r} is over its rate limit; retry later"
                    )
                ],
                retry_after=wait,
            )
        try:
            text, raw = decode_body(event.get("body"), bool(event.get("isBase64Encoded")))
            record.body_bytes = len(raw)
            record.payload_sha256 = hashlib.sha256(raw).hexdigest()
            message = check_message(parse_json(text))
            record.channel = message.channel
            if message.channel not in team.channels:
                raise Refusal(
                    "channel_not_allowed",
                    [
                        Reason(
                            "channel",
                            "channel",
                            f"team {team.slug!r} may post to "
                            + ", ".join(sorted(team.channels))
                            + f", not {message.channel!r}",
                        )
                    ],
                )
            verdict = evaluate(message, team)
        except PayloadRejected as rejected:
            raise Refusal(rejected.error, rejected.reasons) from None
        record.redactions = len(verdict.redactions)
        record.rules = sorted({r.rule for r in verdict.redactions})
        channel = self.registry.channels[message.channel]
        try:
            delivery = self.forwarder.send(self.resolver.url_for(channel), verdict.payload)
        except UpstreamError as failure:
            # A rotated or revoked webhook answers 404/410: read the secret again next time.
            self.resolver.forget(channel.alias)
            if isinstance(failure, UpstreamRateLimited):
                code, retry = "rate_limited", failure.retry_after
            else:
                code = (
                    "upstream_timeout" if isinstance(failure, UpstreamTimeout) else "upstream_error"
                )
                retry = None
            raise Refusal(code, [Reason("upstream", "", str(failure))], retry) from None
        record.upstream_attempts = delivery.attempts
        record.decision = "delivered"
        record.message_id = os.urandom(16).hex()  # as unique as uuid4, without importing it
        body: dict[str, Any] = {"ok": True, "id": record.message_id, "channel": message.channel}
        if verdict.redactions:
            body["redacted"] = [r.as_dict() for r in cap_reasons(verdict.redactions)]
        return _response(200, body)


def _request_id(event: dict[str, Any], context: object) -> str:
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    if isinstance(request_context, dict) and isinstance(request_context.get("requestId"), str):
        return request_context["requestId"]
    return str(getattr(context, "aws_request_id", "") or os.urandom(16).hex())


def _refusal_response(refusal: Refusal) -> dict[str, Any]:
    body = {
        "ok": False,
        "error": refusal.error,
        "reasons": [reason.as_dict() for reason in refusal.reasons],
    }
    headers = {}
    if refusal.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(refusal.retry_after)))
    return _response(STATUS[refusal.error], body, headers)


def _response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body, ensure_ascii=False),
    }


_relay: tuple[tuple[str, ...], Relay] | None = None


def relay_from_environment() -> Relay:
    """The container's Relay, rebuilt only if its environment changed (as in tests)."""
    global _relay
    keys = (
        "SLACKGATE_CONFIG",
        "SLACKGATE_DEADLINE_SECONDS",
        "SLACKGATE_SECRET_TTL_SECONDS",
        "SLACKGATE_ACCOUNT_ID",
        TABLE_ENV,
    )
    settings = tuple(os.environ.get(key, "") for key in keys)
    if _relay is None or _relay[0] != settings:
        config, deadline, ttl, account, rate_table = settings
        if not config:
            raise RegistryError(
                "SLACKGATE_CONFIG", ["not set — point it at the registry TOML file"]
            )
        relay = Relay(
            registry=load_registry(config),
            resolver=WebhookResolver(ttl_seconds=float(ttl or DEFAULT_TTL_SECONDS)),
            forwarder=Forwarder(deadline_seconds=float(deadline or 8.0)),
            expected_account=account or None,
            # Without a table (local runs, tests) the in-instance limit alone, and no boto3.
            limiter=SharedRateLimiter(rate_table) if rate_table else None,
        )
        _relay = (settings, relay)
    return _relay[1]


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    try:
        relay = relay_from_environment()
    except (RegistryError, ValueError) as exc:
        # Without a registry nothing can be checked: refuse everything, say why in the log.
        print(
            json.dumps({"level": "ERROR", "event": "relay_config", "error": str(exc)}),
            file=sys.stdout,
        )
        return _refusal_response(
            Refusal(
                "relay_misconfigured",
                [Reason("config", "", "the relay's registry is invalid; see its logs")],
            )
        )
    return relay.handle(event, context)
