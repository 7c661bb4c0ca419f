"""Fault injection for the sandbox's Messaging API: errors, latency and timeouts on demand.

A fault matches call paths (exact or fnmatch pattern, None = every API path) and fires on the next
`times` calls, with probability `rate` (seeded RNG), or on every call. Faults apply before validation,
so an injected error means the call was not accepted, unless `accept=True`: then the call is processed
(delivered, retry key taken) and only the answer is replaced or lost, as when LINE's answer never
reaches the bot.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase

DEFAULT_TIMEOUT_HOLD_SECONDS = 30.0
DEFAULT_ERROR_MESSAGES = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    """One injected misbehaviour; `status=None` injects only latency or a timeout."""

    path: str | None = None
    status: int | None = 500
    times: int | None = None
    rate: float | None = None
    latency: float = 0.0
    timeout: bool | float = False
    message: str | None = None
    accept: bool = False

    def matches(self, path: str) -> bool:
        """Whether this fault targets `path`."""
        return self.path is None or fnmatchcase(path, self.path)

    def error_body(self) -> dict:
        """The JSON body of the injected error."""
        return {"message": self.message or DEFAULT_ERROR_MESSAGES.get(self.status or 500, "Error")}

    def hold_seconds(self) -> float:
        """How long a timeout fault keeps the connection open before dropping it."""
        if self.timeout is True:
            return DEFAULT_TIMEOUT_HOLD_SECONDS
        return float(self.timeout or 0.0)


class FaultInjector:
    """The active faults (thread-safe); `sb.faults`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._random = random.Random(0)
        self._release = threading.Event()

    def add(self, path: str | None = "/v2/bot/message/push", status: int | None = 500, times: int | None = None,
            rate: float | None = None, latency: float = 0.0, timeout: bool | float = False,
            message: str | None = None, accept: bool = False) -> Fault:
        """Inject a fault; see the module docstring for what each argument means."""
        fault = Fault(path, status, times, rate, latency, timeout, message, accept)
        with self._lock:
            self._faults.append(fault)
        return fault

    def seed(self, value: int) -> None:
        """Seed the RNG that decides `rate` faults, for reproducible runs."""
        with self._lock:
            self._random.seed(value)

    def clear(self) -> None:
        """Remove every fault and let go of connections held by timeout faults."""
        with self._lock:
            self._faults.clear()
        self.release_holds()

    def release_holds(self) -> None:
        """End every timeout hold now (used by clear() and Sandbox.stop())."""
        self._release.set()
        self._release = threading.Event()

    def active(self) -> list[dict]:
        """The active faults as JSON-ready dicts."""
        with self._lock:
            return [asdict(fault) for fault in self._faults]

    def pick(self, path: str) -> Fault | None:
        """The fault that fires for this call to `path`, if any (consumes one of its `times`)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path) and self._fires(fault):
                    self._consume(fault)
                    return fault
        return None

    def hold(self, seconds: float) -> None:
        """Block the calling request thread for `seconds`, or until holds are released."""
        self._release.wait(seconds)

    def _fires(self, fault: Fault) -> bool:
        return fault.rate is None or self._random.random() < fault.rate

    def _consume(self, fault: Fault) -> None:
        if fault.times is None:
            return
        fault.times -= 1
        if fault.times <= 0:
            self._faults.remove(fault)
