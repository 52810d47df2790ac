"""Per-key rate limits: a token bucket per second and a quota per UTC day.

A key may make ``per_second`` calls in any second on average, with bursts up to
``per_second`` calls (the bucket holds one second's worth), and ``per_day`` calls per UTC day
(Klout's developer keys: 10/s and 10,000/day). A refused call does not count against the quota.
State lives in the server process; daily counts are also written to the store (``api_usage``)
so that a restart does not reset the quota. Run one server process per store.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["Decision", "RateLimiter"]


@dataclass(frozen=True)
class Decision:
    """Whether a call may go ahead; when not, which limit refused it and when to retry."""

    allowed: bool
    limit: str | None = None  # "second" or "day"
    retry_after: int = 0  # whole seconds, at least 1 when refused
    remaining_day: int = 0


@dataclass
class _Bucket:
    tokens: float
    updated: float
    day: date
    used_today: int


class RateLimiter:
    """Token buckets and daily counts per key, thread-safe.

    Parameters
    ----------
    clock
        Monotonic seconds (for the buckets); injectable for tests.
    today
        The current UTC date and seconds to its end (for the quota); injectable for tests.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._clock = clock
        self._now = now
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def preload(self, day: date, used: Mapping[str, int]) -> None:
        """Start from counts already used today (read from the store at start)."""
        with self._lock:
            for key_id, calls in used.items():
                bucket = self._buckets.get(key_id)
                if bucket is None:
                    self._buckets[key_id] = _Bucket(math.inf, self._clock(), day, calls)
                elif bucket.day == day:
                    bucket.used_today = max(bucket.used_today, calls)

    def check(self, key_id: str, *, per_second: float, per_day: int) -> Decision:
        """Take one call from the key's allowance, or say why not."""
        now = self._clock()
        moment = self._now()
        today = moment.date()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = _Bucket(per_second, now, today, 0)
                self._buckets[key_id] = bucket
            if bucket.day != today:
                bucket.day, bucket.used_today = today, 0
            bucket.tokens = min(per_second, bucket.tokens + (now - bucket.updated) * per_second)
            bucket.updated = now
            if bucket.used_today >= per_day:
                midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)
                wait = max(1, math.ceil((midnight - moment).total_seconds()))
                return Decision(False, "day", wait, 0)
            if bucket.tokens < 1.0:
                wait = max(1, math.ceil((1.0 - bucket.tokens) / per_second))
                return Decision(False, "second", wait, per_day - bucket.used_today)
            bucket.tokens -= 1.0
            bucket.used_today += 1
            return Decision(True, None, 0, per_day - bucket.used_today)
