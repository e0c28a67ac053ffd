"""The shared per-team rate limit: two limiters (two Lambda containers) on one moto table admit
exactly the limit per minute, the minute rolls over, the relay answers 429 with Retry-After, a
failing table fails open to the in-instance limit with a log line and metric, and a relay
without the table never imports boto3."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from shared_gateway.relay.handler import Relay
from shared_gateway.relay.ratelimit import RateLimiter
from shared_gateway.relay.registry import parse_registry
from shared_gateway.relay.shared_ratelimit import (
    COUNT,
    EXPIRES,
    PARTITION_KEY,
    TABLE_ENV,
    SharedRateLimiter,
)

REGION, TABLE = "eu-west-1", "slackgate-rate"
SEARCH = "arn:aws:sts::123456789012:assumed-role/slackgate-search-weekly/fn"
REPO = Path(__file__).resolve().parents[2]
T0 = 1_700_000_040.0  # the start of a minute (divisible by 60)


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def container(clock: Clock, log: io.StringIO | None = None, **kwargs: Any) -> SharedRateLimiter:
    """One Lambda container's limiter: its own in-instance bucket and client, the shared table."""
    return SharedRateLimiter(
        TABLE,
        local=RateLimiter(clock=clock),
        clock=clock,
        client_factory=lambda: boto3.client("dynamodb", region_name=REGION),
        log=log,
        **kwargs,
    )


def admitted(limiter: SharedRateLimiter, n: int, team: str = "search", limit: int = 5) -> int:
    return sum(limiter.admit(team, limit) is None for _ in range(n))


def test_two_containers_together_admit_exactly_the_limit(dynamodb: Any) -> None:
    clock = Clock()
    a, b = container(clock), container(clock)
    # Each container alone would admit 5 (its bucket holds 5); together they admit 5.
    assert admitted(a, 3) == 3
    assert admitted(b, 4) == 2
    assert admitted(a, 3) == 0
    wait = b.admit("search", 5)
    assert wait is not None and 59 < wait <= 60  # until the minute ends
    # Teams do not share a count, and a team without a limit is not counted at all.
    assert admitted(a, 5, team="payments") == 5
    assert a.admit("other", None) is None
    item = dynamodb.get_item(TableName=TABLE, Key={PARTITION_KEY: {"S": f"search#{int(T0)}"}})
    assert item["Item"][COUNT] == {"N": "5"}
    assert item["Item"][EXPIRES] == {"N": str(int(T0) + 120)}  # TTL: one window past its end
    assert len(dynamodb.scan(TableName=TABLE)["Items"]) == 2  # search and payments only


def test_the_window_rolls_over(dynamodb: Any) -> None:
    clock = Clock(T0 + 50)
    a, b = container(clock), container(clock)
    assert admitted(a, 2, limit=3) + admitted(b, 2, limit=3) == 3
    wait = a.admit("search", 3)
    assert wait is not None and abs(wait - 10) < 1e-6  # 10 s left in this minute
    clock.now = T0 + 60  # the next minute: a fresh count (the local buckets refilled by 3 * 10/60)
    assert admitted(b, 1, limit=3) == 1
    clock.now = T0 + 90
    assert admitted(a, 3, limit=3) + admitted(b, 3, limit=3) == 2  # 3 in this minute in all
    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert sorted(i[PARTITION_KEY]["S"] for i in items) == [
        f"search#{int(T0)}",
        f"search#{int(T0) + 60}",
    ]


def test_a_refused_container_does_not_ask_the_table_again_this_minute(dynamodb: Any) -> None:
    clock = Clock()
    calls: list[str] = []
    real = boto3.client("dynamodb", region_name=REGION)

    class Counting:
        def update_item(self, **request: Any) -> Any:
            calls.append(request["Key"][PARTITION_KEY]["S"])
            return real.update_item(**request)

    limiter = SharedRateLimiter(
        TABLE, local=RateLimiter(clock=clock), clock=clock, client_factory=Counting
    )
    other = container(clock)
    assert admitted(other, 2, limit=2) == 2  # another container used this minute's allowance
    assert admitted(limiter, 2, limit=2) == 0
    assert len(calls) == 1  # refused once by the table, then by what it remembers
    clock.now = T0 + 60
    assert admitted(limiter, 1, limit=2) == 1
    assert calls == [f"search#{int(T0)}", f"search#{int(T0) + 60}"]


def registry(limit: int = 2) -> Any:
    return parse_registry(f"""
[teams.search]
channels = ["search-reports"]
rate_limit_per_minute = {limit}
[channels.search-reports]
url = "http://127.0.0.1:9/hook"
""")


class Delivered:
    """A forwarder that accepts everything, counting what it was given."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, url: str, payload: dict[str, Any]) -> Any:
        self.sent += 1
        return type("Delivery", (), {"attempts": 1})()


def message() -> dict[str, Any]:
    return {
        "body": json.dumps({"channel": "search-reports", "text": "weekly report ready"}),
        "requestContext": {"requestId": "r", "identity": {"userArn": SEARCH}},
    }


def test_the_relay_answers_429_with_retry_after_when_the_shared_count_is_full(
    dynamodb: Any,
) -> None:
    clock = Clock(T0 + 15)
    forwarders = [Delivered(), Delivered()]
    relays = [
        Relay(registry(), forwarder=f, limiter=container(clock), log=io.StringIO())  # type: ignore[arg-type]
        for f in forwarders
    ]
    statuses = [relays[i % 2].handle(message())["statusCode"] for i in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert sum(f.sent for f in forwarders) == 2
    response = relays[0].handle(message())
    body = json.loads(response["body"])
    assert response["statusCode"] == 429 and body["error"] == "rate_limited"
    assert body["reasons"][0]["rule"] == "rate_limit"
    assert response["headers"]["Retry-After"] == "45"  # the rest of the minute
    record = json.loads(relays[0].log.getvalue().splitlines()[-1])  # type: ignore[union-attr]
    assert record["decision"] == "rate_limited" and record["team"] == "search"


class Failing:
    """A DynamoDB client whose every call fails as `code` would."""

    def __init__(self, code: str) -> None:
        self.code, self.calls = code, 0

    def update_item(self, **request: Any) -> Any:
        self.calls += 1
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "UpdateItem")


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "AccessDenied"]
)
def test_a_failing_table_fails_open_to_the_in_instance_limit(code: str) -> None:
    clock, log, store = Clock(), io.StringIO(), Failing(code)
    limiter = SharedRateLimiter(
        TABLE,
        local=RateLimiter(clock=clock),
        clock=clock,
        client_factory=lambda: store,
        backoff_seconds=30,
        log=log,
    )
    # Admitted up to the in-instance bucket (3), refused after it: the old bound, not none.
    assert admitted(limiter, 5, limit=3) == 3
    assert store.calls == 1  # then the store is left alone for the back-off
    [line] = log.getvalue().splitlines()
    warning = json.loads(line)
    assert warning["level"] == "WARNING" and warning["event"] == "rate_limit_store_error"
    assert warning["error"] == code and warning["table"] == TABLE
    assert warning["RateLimitStoreErrors"] == 1 and warning["Service"] == "relay"
    (directive,) = warning["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Slackgate"
    assert directive["Metrics"] == [{"Name": "RateLimitStoreErrors", "Unit": "Count"}]
    clock.now = T0 + 31  # after the back-off the store is tried again
    assert limiter.admit("search", 3) is None
    assert store.calls == 2 and len(log.getvalue().splitlines()) == 2


def test_a_missing_table_fails_open_and_the_message_is_delivered(dynamodb: Any) -> None:
    clock, log = Clock(), io.StringIO()
    limiter = SharedRateLimiter(
        "no-such-table",
        local=RateLimiter(clock=clock),
        clock=clock,
        client_factory=lambda: boto3.client("dynamodb", region_name=REGION),
        log=log,
    )
    forwarder = Delivered()
    relay = Relay(registry(), forwarder=forwarder, limiter=limiter, log=log)  # type: ignore[arg-type]
    assert relay.handle(message())["statusCode"] == 200 and forwarder.sent == 1
    warning, record = (json.loads(line) for line in log.getvalue().splitlines())
    assert warning["error"] == "ResourceNotFoundException"
    assert record["decision"] == "delivered"


PROBE = """
import json, os, sys
sys.stdout = open(os.devnull, "w")
from shared_gateway.relay.handler import handler
event = {
    "body": json.dumps({"channel": "search-reports", "text": "weekly report ready"}),
    "requestContext": {"requestId": "r", "identity": {"userArn": os.environ["PROBE_CALLER"]}},
}
status = handler(event, None)["statusCode"]
sys.stdout = sys.__stdout__
print(json.dumps({"status": status, "boto3": "boto3" in sys.modules,
                  "botocore": "botocore" in sys.modules}))
"""


def _probe(tmp_path: Path, **environment: str) -> dict[str, Any]:
    config = tmp_path / "registry.toml"
    config.write_text(
        '[teams.search]\nchannels = ["search-reports"]\nrate_limit_per_minute = 5\n'
        '[channels.search-reports]\nurl = "http://127.0.0.1:9/hook"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACKGATE_"))}
    env.update(
        SLACKGATE_CONFIG=str(config),
        SLACKGATE_DEADLINE_SECONDS="0.5",
        AWS_EC2_METADATA_DISABLED="true",  # never ask an instance-metadata service
        PROBE_CALLER=SEARCH,
        **environment,
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def test_without_the_table_the_relay_does_not_import_boto3(tmp_path: Path) -> None:
    result = _probe(tmp_path)
    # Nothing listens on port 9: the delivery fails, after the rate limit admitted it.
    assert result == {"status": 502, "boto3": False, "botocore": False}


def test_with_the_table_the_first_limited_message_imports_boto3(tmp_path: Path) -> None:
    """The positive control: the same probe sees boto3 once a table is configured. The
    DynamoDB endpoint is a closed local port, so nothing leaves the machine; the store
    fails, and the relay fails open."""
    result = _probe(
        tmp_path,
        **{
            TABLE_ENV: TABLE,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9",
        },
    )
    assert result == {"status": 502, "boto3": True, "botocore": True}
