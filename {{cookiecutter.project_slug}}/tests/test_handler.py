"""The function end to end against the relay stand-in. Keep these tests as you change the
handler: they show the message that would reach Slack."""

from __future__ import annotations

{% if cookiecutter.trigger == "sqs" -%}
import json

from {{ cookiecutter.package_name }} import handler

CHANNEL = "{{ cookiecutter.default_channel }}"
{%- else -%}
import json

import pytest

from {{ cookiecutter.package_name }} import handler, slack

CHANNEL = "{{ cookiecutter.default_channel }}"
{%- endif %}
{%- if cookiecutter.trigger == "sqs" %}


def sqs_event(*bodies: str) -> dict:
    return {
        "Records": [
            {"messageId": f"m-{number}", "body": body, "eventSource": "aws:sqs"}
            for number, body in enumerate(bodies)
        ]
    }


def test_posts_one_block_kit_report_per_record(relay) -> None:
    event = sqs_event(json.dumps({"day": "2026-01-31"}), json.dumps({"day": "2026-02-01"}))

    assert handler.handler(event, None) == {"batchItemFailures": []}

    assert len(relay.requests) == 2
    first = relay.requests[0].json
    assert first["channel"] == CHANNEL
    assert first["blocks"][0]["type"] == "header"
    assert "2026-01-31" in first["blocks"][0]["text"]["text"]
    assert first["text"]


def test_reports_failed_records_so_they_are_retried(relay) -> None:
    event = sqs_event(json.dumps({"day": "2026-01-31"}), "not json", json.dumps([1]))

    result = handler.handler(event, None)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}
    assert len(relay.requests) == 1


def test_with_declared_reads_each_record_gets_a_summary(relay, stores) -> None:
    assert handler.handler(sqs_event(json.dumps({"day": "2026-01-31"})), None) == {
        "batchItemFailures": []
    }
    [request] = relay.requests
    summary = request.json["blocks"][1]["text"]["text"]
    assert "newest `daily/2026-01-31.csv`" in summary and "3 items" in summary


def test_a_blocked_message_is_a_failed_record_and_logged(relay, caplog) -> None:
    reasons = [{"rule": "link_domain", "path": "blocks[1].text.text", "message": "evil.example"}]
    relay.reply(422, {"ok": False, "error": "content_blocked", "reasons": reasons})

    result = handler.handler(sqs_event(json.dumps({"day": "2026-01-31"})), None)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert "blocked" in caplog.text and "link_domain" in caplog.text
{%- else %}

SCHEDULED_EVENT = {
    "source": "aws.events",
    "detail-type": "Scheduled Event",
    "time": "2026-01-31T06:00:00Z",
    "detail": {},
}


def test_posts_a_block_kit_report(relay) -> None:
    result = handler.handler(SCHEDULED_EVENT, None)

    assert result == {"message_id": "msg-0001"}
    [request] = relay.requests
    message = request.json
    assert message["channel"] == CHANNEL
    assert message["text"].endswith("failed")
    header, fields, footer = message["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": f"{handler.REPORT_TITLE} — 2026-01-31"},
    }
    assert [field["text"].split("\n")[0] for field in fields["fields"]] == [
        "*Settled*",
        "*Failed*",
        "*Volume*",
        "*Status*",
    ]
    assert footer["type"] == "context"


def test_with_declared_reads_the_report_summarises_them(relay, stores) -> None:
    assert handler.handler(SCHEDULED_EVENT, None) == {"message_id": "msg-0001"}

    [request] = relay.requests
    message = request.json
    assert message["text"].endswith("5 resources read, 0 failed")
    header, section, footer = message["blocks"]
    assert header["text"]["text"] == f"{handler.REPORT_TITLE} — 2026-01-31"
    summary = section["text"]["text"]
    assert "newest `daily/2026-01-31.csv`" in summary
    assert "*Table `example-settlements`*: 3 items" in summary
    assert "`1000`" in summary and "3 parameters" in summary
    assert "not for Slack" not in json.dumps(message)  # the secret's value is never posted
    assert "saved as `summaries/2026-01-31.json`" in footer["elements"][0]["text"]


def test_runs_without_a_schedule_time(relay) -> None:
    assert handler.handler({}, None) == {"message_id": "msg-0001"}


def test_a_blocked_report_raises_so_the_alarm_goes_off(relay, caplog) -> None:
    reasons = [{"rule": "link_domain", "path": "blocks[1].text.text", "message": "evil.example"}]
    relay.reply(422, {"ok": False, "error": "content_blocked", "reasons": reasons})

    with pytest.raises(slack.MessageBlocked):
        handler.handler(SCHEDULED_EVENT, None)
    assert "content_blocked" in caplog.text and "link_domain" in caplog.text
{%- endif %}
