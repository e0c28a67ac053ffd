"""The Lambda handler end to end in-process: proxy event in, contract response out, real HTTP
to a Slack stand-in on 127.0.0.1."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_gateway.local.slack_standin import SlackStandin
from shared_gateway.relay import handler as handler_module
from shared_gateway.relay.forwarder import Forwarder
from shared_gateway.relay.handler import Relay
from shared_gateway.relay.registry import parse_registry

ACCOUNT = "123456789012"
PAYMENTS = f"arn:aws:sts::{ACCOUNT}:assumed-role/slackgate-payments-nightly/fn"
SEARCH = f"arn:aws:sts::{ACCOUNT}:assumed-role/slackgate-search-weekly/fn"
AWS_KEY = "AKIA" + "Q3EGRT5EXAMPLEZ7"  # built by concatenation: no finding in this file


def registry_text(hook: str) -> str:
    return f"""
[teams.payments]
channels = ["payments-alerts"]
link_domains = ["example.com"]
[teams.search]
channels = ["search-reports"]
action = "redact"
rate_limit_per_minute = 2
[channels.payments-alerts]
url = "{hook}"
[channels.search-reports]
url = "{hook}"
"""


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with SlackStandin() as standin:
        yield standin


@pytest.fixture
def log() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def relay(slack: SlackStandin, log: io.StringIO) -> Relay:
    return Relay(
        registry=parse_registry(registry_text(slack.url)),
        forwarder=Forwarder(deadline_seconds=3, attempt_timeout_seconds=1),
        expected_account=ACCOUNT,
        log=log,
    )


def event(body: object, caller: str | None = PAYMENTS, **extra: object) -> dict[str, object]:
    identity = {"userArn": caller} if caller else {}
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    return {
        "resource": "/v1/messages",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "body": text,
        "isBase64Encoded": False,
        "requestContext": {"requestId": "req-1", "identity": identity},
        **extra,
    }


def call(relay: Relay, *args: object, **kwargs: object) -> tuple[int, dict[str, object]]:
    response = relay.handle(event(*args, **kwargs))
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def log_records(log: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


def test_delivered_message_matches_the_contract(relay: Relay, slack: SlackStandin, log) -> None:  # type: ignore[no-untyped-def]
    status, body = call(
        relay,
        {
            "channel": "payments-alerts",
            "text": "Nightly report: <https://status.example.com/run/42|details>",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "12 batches"}}],
            "unfurl_links": True,
        },
    )
    assert status == 200
    assert body["ok"] is True and body["channel"] == "payments-alerts"
    assert isinstance(body["id"], str) and len(body["id"]) == 32
    [forwarded] = slack.payloads
    assert "channel" not in forwarded
    assert forwarded["unfurl_links"] is False and forwarded["unfurl_media"] is False
    assert forwarded["blocks"][0]["text"]["text"] == "12 batches"
    [record] = log_records(log)
    assert record["decision"] == "delivered" and record["team"] == "payments"
    assert record["message_id"] == body["id"] and record["request_id"] == "req-1"
    assert len(record["payload_sha256"]) == 64
    assert "Nightly report" not in log.getvalue()  # never the content


@pytest.mark.parametrize(
    ("request_body", "caller", "status", "error"),
    [
        ("{not json", PAYMENTS, 400, "invalid_json"),
        ([1], PAYMENTS, 400, "invalid_payload"),
        (
            {"channel": "payments-alerts", "text": "x", "username": "ceo"},
            PAYMENTS,
            400,
            "invalid_payload",
        ),
        ({"channel": "payments-alerts", "text": "x" * 300_000}, PAYMENTS, 413, "payload_too_large"),
        ({"channel": "payments-alerts", "text": "x"}, None, 403, "unknown_caller"),
        (
            {"channel": "payments-alerts", "text": "x"},
            PAYMENTS.replace("payments", "billing"),
            403,
            "unknown_caller",
        ),
        (
            {"channel": "payments-alerts", "text": "x"},
            PAYMENTS.replace(ACCOUNT, "999999999999"),
            403,
            "unknown_caller",
        ),
        ({"channel": "search-reports", "text": "x"}, PAYMENTS, 403, "channel_not_allowed"),
        (
            {"channel": "payments-alerts", "text": "key " + AWS_KEY},
            PAYMENTS,
            422,
            "content_blocked",
        ),
        (
            {"channel": "payments-alerts", "text": "<https://evil.example/x|report>"},
            PAYMENTS,
            422,
            "content_blocked",
        ),
    ],
    ids=[
        "invalid-json",
        "not-an-object",
        "impersonation",
        "too-large",
        "no-caller",
        "unknown-team",
        "other-account",
        "other-teams-channel",
        "secret",
        "foreign-link",
    ],
)
def test_refusals_match_the_contract(  # type: ignore[no-untyped-def]
    relay: Relay, slack: SlackStandin, log, request_body, caller, status, error
) -> None:
    got_status, body = call(relay, request_body, caller)
    assert (got_status, body["ok"], body["error"]) == (status, False, error)
    assert body["reasons"] and all(set(r) == {"rule", "path", "message"} for r in body["reasons"])
    assert slack.received == []  # nothing refused ever reaches Slack
    [record] = log_records(log)
    assert record["error"] == error and record["status"] == status


def test_secret_is_masked_in_the_reason_and_absent_from_the_log(relay: Relay, log) -> None:  # type: ignore[no-untyped-def]
    status, body = call(
        relay,
        {
            "channel": "payments-alerts",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"id={AWS_KEY}"}}],
        },
    )
    assert status == 422
    [reason] = [r for r in body["reasons"] if r["path"] == "blocks[0].text.text"]
    assert AWS_KEY not in json.dumps(body)
    assert AWS_KEY[:4] in reason["message"] and AWS_KEY[-4:] in reason["message"]
    assert AWS_KEY not in log.getvalue()
    assert log_records(log)[0]["rules"] == [reason["rule"]]


def test_redact_team_gets_its_message_through_without_the_secret(
    relay: Relay, slack: SlackStandin
) -> None:
    status, body = call(
        relay, {"channel": "search-reports", "text": f"deploy key {AWS_KEY} rotated"}, SEARCH
    )
    assert status == 200
    [forwarded] = slack.payloads
    assert AWS_KEY not in forwarded["text"]
    assert "[redacted:" in forwarded["text"] and forwarded["text"].startswith("deploy key ")
    assert body["redacted"][0]["path"] == "text"


def test_rate_limit_per_team(relay: Relay) -> None:
    statuses = [
        call(relay, {"channel": "search-reports", "text": "x"}, SEARCH)[0] for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    response = relay.handle(event({"channel": "search-reports", "text": "x"}, SEARCH))
    assert int(response["headers"]["Retry-After"]) >= 1
    # Another team is not affected.
    assert call(relay, {"channel": "payments-alerts", "text": "x"})[0] == 200


@pytest.mark.parametrize(
    ("script", "status", "error"),
    [
        (["invalid_payload"], 502, "upstream_error"),
        (["not_found"], 502, "upstream_error"),
        (["server_error"] * 4, 502, "upstream_error"),
        (["drop"] * 4, 502, "upstream_error"),
        (["rate_limited:30"], 429, "rate_limited"),
        (["slow:5"] * 4, 504, "upstream_timeout"),
    ],
    ids=["400", "404", "500", "dropped", "429-beyond-deadline", "slow"],
)
def test_upstream_failures(relay: Relay, slack: SlackStandin, log, script, status, error) -> None:  # type: ignore[no-untyped-def]
    slack.push(*script)
    got_status, body = call(relay, {"channel": "payments-alerts", "text": "x"})
    assert (got_status, body["error"]) == (status, error)
    assert slack.url not in json.dumps(body) and slack.url not in log.getvalue()
    assert log_records(log)[0]["decision"] == (
        "rate_limited" if status == 429 else "upstream_error"
    )


def test_429_then_200_is_delivered(relay: Relay, slack: SlackStandin) -> None:
    slack.push("rate_limited:1", "ok")
    assert call(relay, {"channel": "payments-alerts", "text": "x"})[0] == 200
    assert len(slack.payloads) == 2


def test_module_handler_reads_its_config_from_the_environment(
    tmp_path: Path,
    slack: SlackStandin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "registry.toml"
    config.write_text(registry_text(slack.url))
    monkeypatch.setenv("SLACKGATE_CONFIG", str(config))
    response = handler_module.handler(event({"channel": "payments-alerts", "text": "hello"}), None)
    assert response["statusCode"] == 200
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["decision"] == "delivered"


def test_module_handler_refuses_everything_without_a_valid_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "registry.toml"
    config.write_text("[teams.X]\n")
    monkeypatch.setenv("SLACKGATE_CONFIG", str(config))
    response = handler_module.handler(event({"channel": "payments-alerts", "text": "hello"}), None)
    assert response["statusCode"] == 500
    assert json.loads(response["body"])["error"] == "relay_misconfigured"
