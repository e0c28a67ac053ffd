"""Only strict JSON (RFC 8259) is accepted and forwarded: no NaN, no infinity, no number that
overflows a double, no escaped lone surrogate — and refusing them leaves the webhook cache alone.

Python's json module accepts all of these and writes NaN/Infinity back out; Slack refuses
that as invalid JSON, which the relay used to report as 502 and answer by dropping a good
cached webhook URL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared_gateway.relay.forwarder import Delivery
from shared_gateway.relay.handler import Relay
from shared_gateway.relay.payload import PayloadRejected, parse_json
from shared_gateway.relay.registry import parse_registry
from shared_gateway.relay.webhooks import WebhookResolver

CALLER = "arn:aws:sts::123456789012:assumed-role/slackgate-payments-nightly/fn"
WEBHOOK = "https://hooks.slack.com/services/T000/B000/relaytest"
NOT_STRICT = {
    "nan": '{"channel": "c", "text": "x", "metadata": {"event_type": "e", '
    '"event_payload": {"v": NaN}}}',
    "infinity": '{"channel": "c", "text": "x", "n": Infinity}',
    "minus-infinity": '{"channel": "c", "text": "x", "n": -Infinity}',
    "overflow": '{"channel": "c", "text": "x", "n": 1e400}',
    "negative-overflow": '{"channel": "c", "text": "x", "n": -2.5E+309}',
    "overflow-in-a-list": '{"channel": "c", "blocks": [{"n": [1, 2, 1' + "0" * 400 + ".0]}]}",
}


@pytest.mark.parametrize("body", NOT_STRICT.values(), ids=NOT_STRICT.keys())
def test_non_standard_numbers_are_invalid_json(body: str) -> None:
    with pytest.raises(PayloadRejected) as caught:
        parse_json(body)
    assert caught.value.error == "invalid_json"
    (reason,) = caught.value.reasons
    assert ("not JSON" in reason.message) or ("overflows to infinity" in reason.message)
    assert "send" in reason.message  # says how to fix it


def test_a_long_overflowing_literal_is_shortened_in_the_reason() -> None:
    with pytest.raises(PayloadRejected) as caught:
        parse_json('{"n": 1' + "0" * 1000 + ".5}")
    assert len(caught.value.reasons[0].message) < 200


@pytest.mark.parametrize(
    "escape", ["\\ud800", "\\uDFFF", "\\udbff x", "x\\udc00"], ids=["high", "low", "hi-end", "lo"]
)
def test_escaped_lone_surrogates_are_invalid_json(escape: str) -> None:
    for body in (f'{{"text": "{escape}"}}', f'{{"{escape}": 1, "text": "a"}}'):
        with pytest.raises(PayloadRejected) as caught:
            parse_json(body)
        assert caught.value.error == "invalid_json"
        assert "unpaired UTF-16 surrogate" in caught.value.reasons[0].message


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ('{"n": 1.7976931348623157e308}', 1.7976931348623157e308),  # the largest double
        ('{"n": -1e-400}', -0.0),  # underflow is a finite number
        ('{"n": 12345678901234567890123}', 12345678901234567890123),  # big integers are exact
        ('{"n": "NaN"}', "NaN"),  # as a string it is just text
        ('{"n": "\\ud83d\\ude00"}', "\U0001f600"),  # a surrogate pair is one character
    ],
)
def test_strict_json_values_pass(body: str, value: Any) -> None:
    assert parse_json(body)["n"] == value


class RecordingForwarder:
    """Takes the place of the HTTP forwarder; keeps what it would have sent."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, url: str, payload: dict[str, Any]) -> Delivery:
        # The same strict serialisation as the real forwarder, checked by a strict reader.
        body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        json.loads(body, parse_constant=lambda name: pytest.fail(f"{name} was forwarded"))
        self.sent.append(body)
        return Delivery(status=200, attempts=1)


def test_refusing_non_standard_json_keeps_the_cached_webhook() -> None:
    reads: list[str] = []

    def fetch(secret_id: str) -> str:
        reads.append(secret_id)
        return WEBHOOK

    registry = parse_registry(
        '[teams.payments]\nchannels = ["payments-alerts"]\n'
        '[channels.payments-alerts]\nsecret = "slackgate/channels/payments-alerts"\n'
    )
    forwarder = RecordingForwarder()
    relay = Relay(registry, resolver=WebhookResolver(fetch=fetch), forwarder=forwarder)  # type: ignore[arg-type]

    def post(body: str) -> int:
        event = {"body": body, "requestContext": {"identity": {"userArn": CALLER}}}
        return relay.handle(event)["statusCode"]

    good = '{"channel": "payments-alerts", "text": "nightly run: 3 batches"}'
    assert post(good) == 200
    for body in NOT_STRICT.values():
        assert post(body.replace('"channel": "c"', '"channel": "payments-alerts"')) == 400
    assert post(good) == 200
    assert reads == ["slackgate/channels/payments-alerts"]  # read once, still cached
    assert len(forwarder.sent) == 2


def test_the_forwarder_itself_refuses_to_write_nan() -> None:
    from shared_gateway.relay.forwarder import Forwarder

    with pytest.raises(ValueError, match="not JSON compliant"):
        Forwarder().send("http://127.0.0.1:9/never", {"text": "x", "n": float("nan")})
