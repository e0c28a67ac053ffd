"""Per-team message rate limit (registry key `rate_limit_per_minute`): the in-instance gate.

A token bucket in memory: each Lambda container counts for itself. Alone (the local relay,
tests, or a relay without `SLACKGATE_RATE_TABLE`) it bounds a team to the limit per
container, so up to reserved concurrency x the limit across containers. The deployed relay
puts it in front of the shared limit (shared_ratelimit.py), which holds across containers:
this gate costs no call, so a team that is over its limit in this container is refused
without touching the shared store.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .lean_typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type for annotations only: the relay never checks it at run time
    from typing import Protocol

    class Limiter(Protocol):
        def admit(self, team: str, per_minute: int | None) -> float | None:
            """Takes one message of `team`'s allowance: None when admitted, else seconds to
            wait."""
            ...


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
