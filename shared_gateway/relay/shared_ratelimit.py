"""The per-team rate limit across every relay container: a fixed-window counter in DynamoDB.

Each team with a `rate_limit_per_minute` gets one item per calendar minute, `<team>#<minute
start>`, and each message is ONE conditional UpdateItem: `ADD n 1` only if `n < limit`. The
write is atomic, so however many containers run, a team gets at most its limit per minute;
the item carries a TTL attribute and expires by itself (the minute is in the key, so an item
that DynamoDB has not deleted yet is never counted again). A fixed window lets a team send
its limit at the end of one minute and again at the start of the next (twice the limit in a
minute that straddles the two); a token bucket in DynamoDB would need a read and a
conditional write per message and retries under contention, for a limit meant to stop
floods, not to shape traffic.

Why not API Gateway usage plans: they count per API key, and callers are IAM roles (SigV4).
A team's function would have to hold and send an `x-api-key` header, a shared secret that
identifies nothing (any holder is "that team", and it would need its own distribution and
rotation), while the relay already knows the team from the authenticated role. Usage-plan
throttling is also documented as best-effort, not a hard quota.

The in-instance token bucket (ratelimit.py) stays in front as a free first gate, and a
container that has seen a team's count full refuses that team until the minute ends without
asking again: a looping team costs at most one write per container per minute once refused.

If DynamoDB cannot answer (throttled, unreachable, access denied, table missing), the relay
FAILS OPEN to the in-instance limit, with a WARNING log line that is also the CloudWatch metric
`RateLimitStoreErrors`, and skips the store for `BACKOFF_SECONDS` so that a failing store does
not add its timeout to every message. The limit is about fair share, not confidentiality:
every message is still inspected and only clean ones are forwarded, so failing closed would
turn a DynamoDB problem into lost alerts for every rate-limited team (often during the very
incident the alerts are about) and buy no protection; open, the bound is what it was before
the shared limit (reserved concurrency x the limit), and the stage throttle still bounds all.

boto3 is imported on first use only, and only by a relay configured with a table: the local
relay and a relay without `SLACKGATE_RATE_TABLE` never import it.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from .lean_typing import TYPE_CHECKING
from .observability import NAMESPACE, SERVICE
from .ratelimit import RateLimiter

if TYPE_CHECKING:
    from typing import Any, TextIO

TABLE_ENV = "SLACKGATE_RATE_TABLE"
PARTITION_KEY = "pk"  # "<team>#<window start, epoch seconds>"
COUNT, EXPIRES = "n", "expires_at"  # the count, and the TTL attribute (epoch seconds)
WINDOW_SECONDS = 60
BACKOFF_SECONDS = 30.0
# A message waits at most about 2 x (0.5 + 0.5) s for a failing store, far under the
# relay's delivery deadline; DynamoDB answers in single-digit milliseconds when it is well.
TIMEOUT_SECONDS, ATTEMPTS = 0.5, 2


def dynamodb_client() -> Any:
    # Lazily: the Lambda runtime has boto3, but importing it costs more than the whole relay.
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=TIMEOUT_SECONDS,
        read_timeout=TIMEOUT_SECONDS,
        retries={"mode": "standard", "max_attempts": ATTEMPTS},
    )
    return boto3.client("dynamodb", config=config)


def _error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, else the exception's type name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if isinstance(code, str) and code:
            return code
    return type(exc).__name__


class SharedRateLimiter:
    """`admit(team, per_minute)` as RateLimiter has it, counted in the DynamoDB table `table`."""

    __slots__ = (
        "_client",
        "_exhausted",
        "_skip_store_until",
        "backoff_seconds",
        "client_factory",
        "clock",
        "local",
        "log",
        "table",
    )

    def __init__(
        self,
        table: str,
        *,
        local: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,  # wall clock: every container's windows agree
        client_factory: Callable[[], Any] = dynamodb_client,
        backoff_seconds: float = BACKOFF_SECONDS,
        log: TextIO | None = None,
    ) -> None:
        self.table, self.clock, self.client_factory = table, clock, client_factory
        self.local = local or RateLimiter()
        self.backoff_seconds, self.log = backoff_seconds, log
        self._client: Any = None
        self._exhausted: dict[str, int] = {}  # team -> window start its shared count was full
        self._skip_store_until = 0.0

    def admit(self, team: str, per_minute: int | None) -> float | None:
        if per_minute is None:
            return None
        wait = self.local.admit(team, per_minute)
        now = self.clock()
        start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        until_next = start + WINDOW_SECONDS - now
        if self._exhausted.get(team) == start:
            return max(wait or 0.0, until_next)  # the later of the two is when it may send
        if wait is not None:
            return wait
        if now < self._skip_store_until:
            return None  # failing open to the in-instance limit (module docstring)
        try:
            admitted = self._count(team, start, per_minute)
        except Exception as exc:  # any SDK, network or permission failure of the store
            self._store_failed(team, exc, now)
            return None
        if admitted:
            return None
        self._exhausted[team] = start
        return until_next

    def _count(self, team: str, start: int, limit: int) -> bool:
        """One conditional increment: True if it was under `limit` (and is now one more)."""
        if self._client is None:
            self._client = self.client_factory()
        try:
            self._client.update_item(
                TableName=self.table,
                Key={PARTITION_KEY: {"S": f"{team}#{start}"}},
                UpdateExpression="ADD #n :one SET #e = if_not_exists(#e, :expires)",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": COUNT, "#e": EXPIRES},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    # Kept one window past its end, then DynamoDB's TTL may delete it.
                    ":expires": {"N": str(start + 2 * WINDOW_SECONDS)},
                },
                ReturnValues="NONE",
            )
        except Exception as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _store_failed(self, team: str, exc: Exception, now: float) -> None:
        self._skip_store_until = now + self.backoff_seconds
        document = {
            "level": "WARNING",
            "event": "rate_limit_store_error",
            "team": team,
            "table": self.table,
            "error": _error_code(exc),
            "message": (
                f"the shared rate-limit table could not be updated; admitting on the "
                f"in-instance limit for {self.backoff_seconds:g} s — check the table and the "
                "relay role's dynamodb:UpdateItem grant"
            ),
            "RateLimitStoreErrors": 1,
            "Service": SERVICE,
            "_aws": {
                "Timestamp": int(now * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [["Service"]],
                        "Metrics": [{"Name": "RateLimitStoreErrors", "Unit": "Count"}],
                    }
                ],
            },
        }
        print(json.dumps(document, separators=(",", ":")), file=self.log or sys.stdout, flush=True)
