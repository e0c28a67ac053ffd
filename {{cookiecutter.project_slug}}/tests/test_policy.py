"""Messages through the relay's real policy (slackgate_local/, the code that runs in AWS) with
this team's channels and link domains: what the handler posts must pass, and what the relay
refuses in AWS is refused here, before anything is deployed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import handler, slack

EVENT = Path(__file__).resolve().parents[1] / "events" / "{{ cookiecutter.trigger }}.json"

# The shape of an AWS access key id, split so that no scanner mistakes this file for a leak.
FAKE_KEY = "AKIA" + "Q3EGRT5EXAMPLEZ7"
OUTSIDE_LINK = "https://outside-the-allowed-domains.invalid/report"


def test_what_the_handler_posts_passes_the_relays_policy(local_relay) -> None:
    event = json.loads(EVENT.read_text("utf-8"))  # the event make local uses

    result = handler.handler(event, None)

    assert not (isinstance(result, dict) and result.get("batchItemFailures")), result
    assert local_relay.exchanges, "the handler sent no message"
    refused = "\n".join(exchange.describe() for exchange in local_relay.refused)
    assert not refused, f"the relay would refuse what the handler sends:\n{refused}"
    for payload in local_relay.slack.payloads:
        assert payload["unfurl_links"] is False and payload["unfurl_media"] is False


def test_a_link_outside_the_teams_domains_is_blocked(local_relay) -> None:
    with pytest.raises(slack.MessageBlocked) as caught:
        slack.post(text=f"The full report: <{OUTSIDE_LINK}|here>")

    assert caught.value.error == "content_blocked"
    assert [reason["rule"] for reason in caught.value.reasons] == ["link_not_allowed"]
    assert local_relay.slack.received == []


def test_a_link_to_the_teams_own_domain_passes(local_relay) -> None:
    if not local_relay.spec.link_domains:
        pytest.skip("infra/settings.py allows links to no domain (link_domains)")
    link = f"https://{local_relay.spec.link_domains[0]}/status"
    assert slack.post(text=f"Status: <{link}|open>")
    assert local_relay.slack.payloads[0]["text"] == f"Status: <{link}|open>"


def test_a_secret_is_blocked_and_never_repeated(local_relay) -> None:
    with pytest.raises(slack.MessageBlocked) as caught:
        slack.post(text=f"deploy key {FAKE_KEY}")

    assert caught.value.error == "content_blocked"
    assert caught.value.reasons[0]["rule"] == "aws-access-key-id"
    assert FAKE_KEY not in str(caught.value.reasons)  # masked
    assert local_relay.slack.received == []


def test_another_teams_channel_is_refused(local_relay) -> None:
    with pytest.raises(slack.MessageBlocked) as caught:
        slack.post(channel="another-teams-channel", text="hello")

    assert (caught.value.error, caught.value.status) == ("channel_not_allowed", 403)
    assert local_relay.slack.received == []
