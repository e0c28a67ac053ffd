"""Per-team message rate limit (registry key `rate_limit_per_minute`), per relay instance.

A token bucket in memory: each Lambda container counts for itself, so the effective
account-wide limit is this times the number of warm containers. It exists to stop a loop
in one team's code from flooding a channel, not as an exact quota (API Gateway stage
throttling bounds the total).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    __slots__ = ("_buckets", "clock")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # team -> (tokens, at)

    def admit(self, team: str, per_minute: int | None) -> float | None:
        """Takes one token; returns None when admitted, else seconds until the next token."""
        if per_minute is None:
            return None
        now = self.clock()
        tokens, at = self._buckets.get(team, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - at) * per_minute / 60.0)
        if tokens >= 1.0:
            self._buckets[team] = (tokens - 1.0, now)
            return None
        self._buckets[team] = (tokens, now)
        return (1.0 - tokens) * 60.0 / per_minute
