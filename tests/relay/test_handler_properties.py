"""Property-based: no request makes the handler raise, answer 5xx on its own, or break the
response contract."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_gateway.relay.forwarder import Delivery
from shared_gateway.relay.handler import STATUS, Relay
from shared_gateway.relay.registry import parse_registry

REGISTRY = parse_registry(
    """
[teams.payments]
channels = ["payments-alerts"]
link_domains = ["example.com"]
[teams.search]
channels = ["search-reports"]
action = "redact"
[channels.payments-alerts]
url = "http://127.0.0.1:9/hook"
[channels.search-reports]
url = "http://127.0.0.1:9/hook"
"""
)
CALLERS = [
    "arn:aws:sts::123456789012:assumed-role/slackgate-payments-nightly/fn",
    "arn:aws:sts::123456789012:assumed-role/slackgate-search-weekly/fn",
]


class RecordingForwarder:
    """Stands in for Slack so that thousands of examples stay fast; records what would go out."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, url: str, payload: dict[str, Any]) -> Delivery:
        json.dumps(payload)  # what the real forwarder does first: must always be serialisable
        self.sent.append(payload)
        return Delivery(status=200, attempts=1)


tricky_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "<https://evil.example/x|click>",
            "https://example.com@evil.example/",
            "AKIA" + "Q3EGRT5EXAMPLEZ7",
            "QUtJQVEzRUdSVDVFWEFNUExFWjc=",
            "\u200b\ufeff\u202e",
            "４１１１ １１１１ １１１１ １１１１",
            "%41%4B%49%41",
            "\ud800",
            "<!here> <@U123> <#C1|x>",
        ]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky_text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "text", "url", "image_url", "elements", "value", "alt_text"])
            | st.text(max_size=10),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)
slack_like = st.fixed_dictionaries(
    {"channel": st.sampled_from(["payments-alerts", "search-reports", "other", "#x"])},
    optional={
        "text": tricky_text,
        "blocks": st.lists(json_values, max_size=3),
        "attachments": st.lists(json_values, max_size=2),
        "thread_ts": st.sampled_from(["1712345678.123456", "x"]),
        "unfurl_links": st.booleans(),
        "username": st.just("ceo"),
        "metadata": json_values,
    },
)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[object, bool]:
    kind = draw(st.sampled_from(["slack", "json", "text", "base64", "none"]))
    if kind == "slack":
        return json.dumps(draw(slack_like)), False
    if kind == "json":
        return json.dumps(draw(json_values)), False
    if kind == "base64":
        return base64.b64encode(draw(st.binary(max_size=200))).decode(), True
    if kind == "none":
        return draw(st.sampled_from([None, 5, ["x"]])), draw(st.booleans())
    return draw(st.text(max_size=300)), False


callers = st.one_of(st.sampled_from(CALLERS), st.text(max_size=80), st.none(), st.integers())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies(), caller=callers)
def test_handler_always_answers_the_contract(body: tuple[object, bool], caller: object) -> None:
    forwarder = RecordingForwarder()
    relay = Relay(registry=REGISTRY, forwarder=forwarder, log=io.StringIO())  # type: ignore[arg-type]
    text, is_base64 = body
    response = relay.handle(
        {
            "body": text,
            "isBase64Encoded": is_base64,
            "requestContext": {"identity": {"userArn": caller}},
        }
    )
    status = response["statusCode"]
    document = json.loads(response["body"])
    if status == 200:
        assert document["ok"] is True and set(document) >= {"id", "channel"}
        assert len(forwarder.sent) == 1
        sent = forwarder.sent[0]
        assert sent["unfurl_links"] is False and sent["unfurl_media"] is False
        assert not {"username", "icon_url", "icon_emoji", "channel"} & set(sent)
    else:
        assert document["ok"] is False
        assert STATUS[document["error"]] == status
        assert status < 500, document  # upstream cannot fail here, so no 5xx at all
        assert all(set(r) == {"rule", "path", "message"} for r in document["reasons"])
        assert forwarder.sent == []


@settings(max_examples=200, deadline=None)
@given(payload=slack_like)
def test_no_raw_secret_ever_in_a_response(payload: dict[str, Any]) -> None:
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    payload = {**payload, "text": f"{payload.get('text', '')} {secret}"}
    relay = Relay(registry=REGISTRY, forwarder=RecordingForwarder(), log=io.StringIO())  # type: ignore[arg-type]
    response = relay.handle(
        {"body": json.dumps(payload), "requestContext": {"identity": {"userArn": CALLERS[1]}}}
    )
    assert secret not in response["body"]
