"""Rate limits per endpoint: never more than the configured rate in any one-second window."""

from __future__ import annotations

import threading

import pytest

from bot.ratelimit import EndpointLimiter, TokenBucket


class FakeTime:
    """Monotonic time that only moves when a caller sleeps (thread-safe)."""

    def __init__(self):
        self.now = 0.0
        self.lock = threading.Lock()

    def monotonic(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def windows_max(stamps: list[float], width: float = 1.0) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize(("rate", "burst"), [(200, 1), (200, 20), (2000, 100)])
def test_no_one_second_window_exceeds_the_rate(rate, burst):
    clock = FakeTime()
    bucket = TokenBucket(rate, burst, monotonic=clock.monotonic, sleep=clock.sleep)
    stamps = []
    for _ in range(rate * 3):
        bucket.acquire()
        stamps.append(clock.monotonic())
    assert windows_max(stamps) <= rate
    expected = (rate * 3 - burst) / (rate - burst)  # the burst first, then the refill pace
    assert clock.now == pytest.approx(expected, rel=0.01), "and it is not slower than that"


def test_threads_share_one_bucket():
    clock = FakeTime()
    limiter = EndpointLimiter({"multicast": 200}, monotonic=clock.monotonic, sleep=clock.sleep)
    stamps, lock = [], threading.Lock()

    def send_many():
        for _ in range(150):
            limiter.acquire("multicast")
            with lock:
                stamps.append(clock.monotonic())

    threads = [threading.Thread(target=send_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 600
    assert windows_max(stamps) <= 200


def test_unlisted_endpoint_is_not_limited():
    assert EndpointLimiter({"multicast": 200}).acquire("loading") == 0.0


def test_rate_must_exceed_burst():
    with pytest.raises(ValueError):
        TokenBucket(5, burst=5)
