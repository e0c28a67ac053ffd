"""The per-team rate limit and the one structured log line per request."""

from __future__ import annotations

import json

from shared_gateway.relay.observability import RequestRecord, log_line
from shared_gateway.relay.ratelimit import RateLimiter


def test_token_bucket_admits_the_rate_then_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert all(limiter.admit("payments", 3) is None for _ in range(3))
    wait = limiter.admit("payments", 3)
    assert wait is not None and 19 < wait <= 20  # one token every 20 s
    assert limiter.admit("search", 3) is None  # teams do not share a bucket
    now[0] = 20.0
    assert limiter.admit("payments", 3) is None
    assert limiter.admit("payments", None) is None  # no limit configured


def test_log_line_is_embedded_metric_format() -> None:
    record = RequestRecord(
        request_id="r1",
        status=422,
        decision="blocked",
        team="payments",
        rules=["aws-access-key-id"],
    )
    document = json.loads(log_line(record, now_ms=1000))
    directives = document["_aws"]["CloudWatchMetrics"]
    assert document["_aws"]["Timestamp"] == 1000
    assert directives[0]["Namespace"] == "Slackgate"
    assert directives[0]["Dimensions"] == [["Service"]]
    # Every metric a directive names is a number at the top level, as EMF requires.
    for directive in directives:
        for metric in directive["Metrics"]:
            assert isinstance(document[metric["Name"]], int)
        for dimension_set in directive["Dimensions"]:
            assert all(isinstance(document[d], str) for d in dimension_set)
    assert document["MessagesBlocked"] == 1 and document["MessagesAccepted"] == 0
    assert document["Rule"] == "aws-access-key-id"


def test_delivered_record_counts_as_accepted() -> None:
    document = json.loads(log_line(RequestRecord(request_id="r", decision="delivered")))
    assert document["MessagesAccepted"] == 1
    assert "Rule" not in document
