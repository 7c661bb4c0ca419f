"""Waiting on a condition across processes or threads: polled, bounded in time, never a bare sleep."""

from __future__ import annotations

import time

import pytest


def wait_for(condition, timeout: float = 20.0, every: float = 0.05):
    """Poll `condition` until it returns something truthy or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return condition()


def wait_until(condition, timeout: float, what: str) -> None:
    """Like wait_for, but fail the test (saying what it waited for) when the time runs out."""
    if not wait_for(condition, timeout, every=0.02):
        pytest.fail(f"gave up after {timeout:g} s waiting until {what}")
