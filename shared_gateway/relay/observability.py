"""One structured JSON line per request, which is also a CloudWatch embedded-metric document.

The line carries what an operator needs to follow a message — ids, team, channel, decision,
rule ids, sizes, the payload's SHA-256 — and never the content, the reasons' text or the
webhook. CloudWatch turns the `_aws` section into metrics (namespace `Slackgate`,
dimension `Service=relay`) with no API call on the request path.
"""

from __future__ import annotations

import json
import sys
import time

from .lean_typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

NAMESPACE = "Slackgate"
SERVICE = "relay"
METRICS = ("MessagesAccepted", "MessagesBlocked", "UpstreamErrors", "MessagesRedacted")


class RequestRecord:
    """What the log line says about one request, filled in as the request goes."""

    __slots__ = (
        "body_bytes",
        "channel",
        "decision",
        "duration_ms",
        "error",
        "message_id",
        "payload_sha256",
        "redactions",
        "request_id",
        "rules",
        "status",
        "team",
        "upstream_attempts",
    )

    def __init__(
        self,
        request_id: str,
        status: int = 0,
        decision: str = "pending",  # delivered | blocked | rejected | denied | ... | error
        team: str | None = None,
        rules: list[str] | None = None,
    ) -> None:
        self.request_id, self.status, self.decision = request_id, status, decision
        self.error: str | None = None
        self.message_id: str | None = None
        self.team, self.channel = team, None
        self.rules: list[str] = rules or []
        self.body_bytes = 0
        self.payload_sha256: str | None = None
        self.redactions = 0
        self.upstream_attempts = 0
        self.duration_ms = 0.0

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


def log_line(record: RequestRecord, now_ms: int | None = None) -> str:
    counts = {
        "MessagesAccepted": int(record.decision == "delivered"),
        "MessagesBlocked": int(record.decision == "blocked"),
        "UpstreamErrors": int(record.decision == "upstream_error"),
        "MessagesRedacted": int(record.redactions > 0),
    }
    directives = [
        {
            "Namespace": NAMESPACE,
            "Dimensions": [["Service"]],
            "Metrics": [{"Name": name, "Unit": "Count"} for name in METRICS],
        }
    ]
    document: dict[str, object] = {"level": "INFO", "event": "relay_request", **record.as_dict()}
    if record.decision == "blocked" and record.rules:
        # Blocked messages by their first rule: enough to see which detector fires.
        document["Rule"] = record.rules[0]
        directives.append(
            {
                "Namespace": NAMESPACE,
                "Dimensions": [["Service", "Rule"]],
                "Metrics": [{"Name": "MessagesBlockedByRule", "Unit": "Count"}],
            }
        )
        document["MessagesBlockedByRule"] = 1
    document.update(counts)
    document["Service"] = SERVICE
    document["_aws"] = {
        "Timestamp": now_ms if now_ms is not None else int(time.time() * 1000),
        "CloudWatchMetrics": directives,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def emit(record: RequestRecord, stream: TextIO | None = None) -> None:
    print(log_line(record), file=stream or sys.stdout, flush=True)
