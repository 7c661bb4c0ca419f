"""Per-endpoint rate limits (token bucket per second) and the monthly message quota."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.sandbox.errors import ApiError

RATE_LIMITED = "Too Many Requests"
QUOTA_EXHAUSTED = "You have reached your monthly limit."


class _TokenBucket:
    def __init__(self, per_second: float, now: float) -> None:
        self.per_second = per_second
        self.tokens = per_second
        self.updated_at = now

    def take(self, now: float) -> bool:
        elapsed = max(0.0, now - self.updated_at)
        self.tokens = min(self.per_second, self.tokens + elapsed * self.per_second)
        self.updated_at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateLimiter:
    """Refuses calls beyond `limits[path]` per second with LINE's 429 (thread-safe)."""

    def __init__(self, limits: dict[str, float], clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets = {path: _TokenBucket(rate, clock()) for path, rate in limits.items()}

    def admit(self, path: str) -> None:
        """Raise ApiError(429) if the bucket for `path` is empty."""
        bucket = self._buckets.get(path)
        if bucket is None:
            return
        with self._lock:
            admitted = bucket.take(self._clock())
        if not admitted:
            raise ApiError(429, RATE_LIMITED)


class MessageQuota:
    """Monthly quota: push/multicast/narrowcast/broadcast count requests x deliverable recipients."""

    def __init__(self, monthly_limit: int | None) -> None:
        self.monthly_limit = monthly_limit
        self.total_usage = 0

    def charge(self, recipients: int) -> None:
        """Count `recipients` deliveries, or raise LINE's quota 429 if they do not fit."""
        if self.monthly_limit is not None and self.total_usage + recipients > self.monthly_limit:
            raise ApiError(429, QUOTA_EXHAUSTED)
        self.total_usage += recipients

    def quota_body(self) -> dict:
        """The body of GET /v2/bot/message/quota."""
        if self.monthly_limit is None:
            return {"type": "none"}
        return {"type": "limited", "value": self.monthly_limit}
