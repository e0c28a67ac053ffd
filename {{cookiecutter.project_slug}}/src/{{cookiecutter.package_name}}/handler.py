"""The function's code.

This is an example to replace: it builds a small report and posts it as a Block Kit
message. Keep `handler` (the Lambda entry point) and the `slack.post` call; replace the
rest with your own. With resources declared in infra/settings.py (`reads`), the report
summarises them (objects under an S3 prefix, a table's items, a parameter) and, with
`writes`, keeps the summary there too; with none, it shows made-up figures. Nothing but
the relay and the declared resources can be reached.
"""

from __future__ import annotations

{% if cookiecutter.trigger == "sqs" -%}
import json
{% endif -%}
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import data, slack

logger = logging.getLogger(__name__)
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

REPORT_TITLE = {{ cookiecutter.project_name | tojson | replace('\\"', '\\u0022') }}


@dataclass(frozen=True)
class Figures:
    settled: int
    failed: int
    volume_eur: float


def collect_figures(day: datetime) -> Figures:
    """Replace with your own numbers. (Deterministic so the example is easy to test.)"""
    seed = day.toordinal()
    return Figures(settled=1200 + seed % 97, failed=seed % 7, volume_eur=48_250.5 + seed % 1000)


def report(day: datetime) -> dict[str, Any]:
    """The day's message: a summary of the declared resources, or the example figures."""
    reads = data.declared_reads()
    if not reads:
        return build_message(collect_figures(day), day)
    lines = [data.summarise(resource) for resource in reads]
    summary = {"day": f"{day:%Y-%m-%d}", "resources": [line._asdict() for line in lines]}
    saved = data.save(summary, day, data.declared_writes())
    return build_summary_message(lines, saved, day)


def build_summary_message(
    lines: list[data.Line], saved: list[data.Line], day: datetime
) -> dict[str, Any]:
    title = f"{REPORT_TITLE} — {day:%Y-%m-%d}"
    failed = sum(not line.ok for line in (*lines, *saved))
    text = "\n".join(
        f"{'•' if line.ok else ':warning:'} *{line.label}*: {line.detail}" for line in lines
    )
    footer = [f"Generated {day:%H:%M} UTC"] + [f"{line.label} {line.detail}" for line in saved]
    return {
        "text": f"{title}: {data.counted(len(lines), 'resource')} read, {failed} failed",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            # A section holds at most 3,000 characters.
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": " · ".join(footer)[:2900]}],
            },
        ],
    }


def build_message(figures: Figures, day: datetime) -> dict[str, Any]:
    """A Slack message: `text` is the notification and fallback, `blocks` the layout."""
    title = f"{REPORT_TITLE} — {day:%Y-%m-%d}"
    status = ":white_check_mark: all settled" if figures.failed == 0 else ":warning: failures"
    return {
        "text": f"{title}: {figures.settled} settled, {figures.failed} failed",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Settled*\n{figures.settled:,}"},
                    {"type": "mrkdwn", "text": f"*Failed*\n{figures.failed:,}"},
                    {"type": "mrkdwn", "text": f"*Volume*\n€{figures.volume_eur:,.2f}"},
                    {"type": "mrkdwn", "text": f"*Status*\n{status}"},
                ],
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Generated {day:%H:%M} UTC"}],
            },
        ],
    }
{%- if cookiecutter.trigger == "sqs" %}


def report_for(record: dict[str, Any]) -> dict[str, Any]:
    """One message per queue record; the body names the day: {"day": "2026-01-31"}."""
    body = json.loads(record["body"])
    if not isinstance(body, dict) or not isinstance(body.get("day"), str):
        raise ValueError('the record body must be a JSON object like {"day": "2026-01-31"}')
    day = datetime.fromisoformat(body["day"]).replace(tzinfo=UTC)
    return report(day)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Posts one report per SQS record; failed records go back to the queue (then its DLQ)."""
    failures = []
    for record in event.get("Records", []):
        try:
            message_id = slack.post(**report_for(record))
            logger.info("posted record %s as %s", record["messageId"], message_id)
        except slack.MessageBlocked as blocked:
            # The reasons never contain the offending secret: the relay masks it.
            logger.error("record %s blocked: %s", record["messageId"], blocked.reasons)
            failures.append({"itemIdentifier": record["messageId"]})
        except (slack.SlackgateError, KeyError, ValueError) as error:
            logger.error("record %s failed: %s", record["messageId"], error)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
{%- else %}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Posts today's report. A refused message raises, so the error alarm goes off."""
    day = _event_time(event)
    message = report(day)
    try:
        message_id = slack.post(**message)
    except slack.MessageBlocked as blocked:
        # The reasons never contain the offending secret: the relay masks it.
        logger.error("slackgate blocked the report (%s): %s", blocked.error, blocked.reasons)
        raise
    logger.info("posted the report as %s", message_id)
    return {"message_id": message_id}


def _event_time(event: dict[str, Any]) -> datetime:
    # EventBridge schedules send their firing time in "time"; otherwise: now.
    when = event.get("time") if isinstance(event, dict) else None
    if isinstance(when, str):
        return datetime.fromisoformat(when.replace("Z", "+00:00"))
    return datetime.now(UTC)
{%- endif %}
