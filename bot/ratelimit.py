"""Token buckets per LINE endpoint, shared by every sender thread of a process.

LINE's limits are per channel and per endpoint (multicast 200/s, push and reply 2,000/s); each process
takes its configured share. A thread asking for a token waits until one is free, never busy-spins.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

DEFAULT_RATES = {"reply": 2000.0, "push": 2000.0, "multicast": 200.0}


class TokenBucket:
    """At most `rate` tokens in any one-second window: a bucket of `burst` tokens refilled at
    `rate - burst` per second (so a full bucket spent at once plus a second of refill stays within `rate`)."""

    def __init__(self, rate: float, burst: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if rate <= burst or burst < 1:
            raise ValueError("rate must be above burst, and burst at least 1")
        self.rate = rate - burst
        self.capacity = burst
        self._tokens = self.capacity
        self._monotonic, self._sleep = monotonic, sleep
        self._updated = monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting as long as needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 1 - 1e-9:  # float refill may land a hair below 1
                    self._tokens = max(0.0, self._tokens - 1)
                    return waited
                shortfall = (1 - self._tokens) / self.rate
            self._sleep(shortfall)
            waited += shortfall

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now


class EndpointLimiter:
    """One bucket per endpoint name; unknown endpoints are not limited."""

    def __init__(self, rates: Mapping[str, float] = DEFAULT_RATES, **bucket_options):
        self.buckets = {endpoint: TokenBucket(rate, **bucket_options) for endpoint, rate in rates.items()}

    def acquire(self, endpoint: str) -> float:
        bucket = self.buckets.get(endpoint)
        return bucket.acquire() if bucket else 0.0
