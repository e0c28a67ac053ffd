"""The Slack helper: what it sends, how it signs, and how it reports refusals."""

from __future__ import annotations

import socket

import pytest

from {{ cookiecutter.package_name }} import slack

CHANNEL = "{{ cookiecutter.default_channel }}"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*All settled*"}}]


def test_posts_a_signed_webhook_payload_and_returns_the_message_id(relay) -> None:
    message_id = slack.post(channel=CHANNEL, text="Done", blocks=BLOCKS)

    assert message_id == "msg-0001"
    [request] = relay.requests
    assert request.path == "/v1/messages"
    assert request.json == {"channel": CHANNEL, "text": "Done", "blocks": BLOCKS}
    assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=")


def test_sends_nothing_but_the_signed_request(relay) -> None:
    slack.post(text="Done", thread_ts="1700000000.000100")

    [request] = relay.requests
    authorization = request.headers["Authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    sent = {name.lower() for name in request.headers}
    assert sent - set(signed) == {"authorization", "content-length"}
    assert request.json == {
        "channel": CHANNEL,
        "text": "Done",
        "thread_ts": "1700000000.000100",
    }


def test_channel_defaults_to_the_environment(relay, monkeypatch) -> None:
    monkeypatch.setenv("SLACKGATE_CHANNEL", "other-alias")
    slack.post(text="hello")
    assert relay.requests[0].json["channel"] == "other-alias"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (422, "content_blocked"),
        (403, "channel_not_allowed"),
        (403, "unknown_caller"),
        (400, "invalid_payload"),
        (413, "payload_too_large"),
        (429, "rate_limited"),
    ],
)
def test_refusals_raise_message_blocked_with_the_reasons(relay, status, error) -> None:
    reasons = [{"rule": "aws_access_key", "path": "text", "message": "AKIA************XYZW"}]
    relay.reply(status, {"ok": False, "error": error, "reasons": reasons})

    with pytest.raises(slack.MessageBlocked) as caught:
        slack.post(text="key AKIA...")

    assert caught.value.error == error
    assert caught.value.status == status
    assert caught.value.reasons == reasons
    assert caught.value.retryable is (error == "rate_limited")
    assert "text: AKIA************XYZW" in str(caught.value)


@pytest.mark.parametrize(("status", "error"), [(502, "upstream_error"), (504, "upstream_timeout")])
def test_upstream_failures_raise_slackgate_error(relay, status, error) -> None:
    relay.reply(status, {"ok": False, "error": error, "reasons": []})
    with pytest.raises(slack.SlackgateError) as caught:
        slack.post(text="hello")
    assert not isinstance(caught.value, slack.MessageBlocked)
    assert (caught.value.status, caught.value.error) == (status, error)


def test_api_gateway_refusing_the_signature_is_explained(relay, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-right-secret")
    with pytest.raises(slack.SlackgateError) as caught:
        slack.post(text="hello")
    assert not isinstance(caught.value, slack.MessageBlocked)
    assert caught.value.status == 403
    assert "the signature does not match: the secret access key is wrong" in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value", "cause"),
    [
        ("AWS_ACCESS_KEY_ID", "LOCALFROMANEARLIERRUN", "is not one the local relay made"),
        ("AWS_SECRET_ACCESS_KEY", "not-the-right-secret", "the secret access key is wrong"),
        ("AWS_REGION", "ap-south-1", "AWS_REGION is not the relay's region"),
    ],
    ids=["unknown key", "wrong secret", "wrong region"],
)
def test_each_signature_refusal_names_its_cause(local_relay, monkeypatch, variable, value, cause):
    monkeypatch.setenv(variable, value)
    with pytest.raises(slack.SlackgateError) as caught:
        slack.post(text="hello")
    assert caught.value.status == 403
    assert cause in str(caught.value)
    assert local_relay.exchanges == []  # refused before the relay, as API Gateway does


@pytest.mark.parametrize("message", ["Signature expired: 2026...", "Signature not yet current: ."])
def test_a_skewed_clock_is_named_as_such(message) -> None:
    assert "clock is more than 5 minutes off" in slack.gateway_diagnosis(403, message)


def test_sends_every_field_the_relay_forwards(relay) -> None:
    metadata = {"event_type": "report_posted", "event_payload": {"day": "2026-01-31"}}
    slack.post(
        text="Done",
        attachments=[{"color": "#36a64f", "text": "details"}],
        thread_ts="1700000000.000100",
        reply_broadcast=True,
        mrkdwn=False,
        metadata=metadata,
        unfurl_links=True,
        unfurl_media=False,
    )
    assert relay.requests[0].json == {
        "channel": CHANNEL,
        "text": "Done",
        "attachments": [{"color": "#36a64f", "text": "details"}],
        "thread_ts": "1700000000.000100",
        "reply_broadcast": True,
        "mrkdwn": False,
        "metadata": metadata,
        "unfurl_links": True,
        "unfurl_media": False,
    }


def test_every_field_passes_the_real_relay_which_turns_unfurling_off(local_relay) -> None:
    slack.post(
        text="Done",
        blocks=BLOCKS,
        thread_ts="1700000000.000100",
        reply_broadcast=True,
        mrkdwn=False,
        metadata={"event_type": "report_posted", "event_payload": {}},
        unfurl_links=True,
        unfurl_media=True,
    )
    [received] = local_relay.slack.payloads
    assert (received["mrkdwn"], received["reply_broadcast"]) == (False, True)
    assert (received["unfurl_links"], received["unfurl_media"]) == (False, False)


def test_redirects_are_not_followed(relay) -> None:
    relay.reply(302, {}, Location="http://127.0.0.1:9/elsewhere")
    with pytest.raises(slack.SlackgateError, match="redirect"):
        slack.post(text="hello")
    assert len(relay.requests) == 1


def test_proxy_settings_are_ignored(relay, monkeypatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert slack.post(text="hello") == "msg-0001"


def test_a_slow_relay_times_out(relay) -> None:
    relay.delay_seconds = 1.0
    with pytest.raises(slack.SlackgateError, match="did not answer"):
        slack.post(text="hello", timeout=0.2)


def test_an_unreachable_relay_is_a_slackgate_error(aws_env, monkeypatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SLACKGATE_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(slack.SlackgateError, match="could not reach"):
        slack.post(text="hello")


@pytest.mark.parametrize(
    "url",
    ["", "http://example.com", "ftp://127.0.0.1", "https://relay.example.com/prod?x=1"],
)
def test_refuses_a_bad_slackgate_url_before_sending(aws_env, monkeypatch, url) -> None:
    monkeypatch.setenv("SLACKGATE_URL", url)
    with pytest.raises(slack.SlackgateError, match="SLACKGATE_URL"):
        slack.post(text="hello")


def test_needs_credentials(relay, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(slack.SlackgateError, match="credentials"):
        slack.post(text="hello")
    assert relay.requests == []
