"""`X-Line-Retry-Key` bookkeeping as LINE does it (guarded by Sandbox.lock).

A key is a UUID. Once a request with a key is accepted, a repeat within 24 hours gets 409 with
`x-line-accepted-request-id` (the original request id); push repeats also carry `sentMessages`.
A request that failed (e.g. an injected 5xx) did not accept its key, so the key may be retried.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.sandbox.errors import ApiError

KEY_LIFETIME_SECONDS = 24 * 3600.0
ALREADY_ACCEPTED = "The retry key is already accepted"


@dataclass
class _AcceptedKey:
    request_id: str
    accepted_at: float
    repeat_fields: dict = field(default_factory=dict)


def check_retry_key_format(key: str) -> None:
    """Raise ApiError(400) unless `key` is a UUID in hexadecimal form."""
    try:
        uuid.UUID(key)
    except ValueError:
        raise ApiError(400, "The retry key must be a UUID in hexadecimal format") from None


class RetryKeyRegistry:
    """Accepted retry keys with the request they belong to."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._accepted: dict[str, _AcceptedKey] = {}

    def refuse_repeat(self, key: str | None) -> None:
        """Raise the 409 LINE sends if `key` was accepted less than 24 hours ago."""
        if key is None:
            return
        accepted = self._accepted.get(key)
        if accepted is None or self._clock() - accepted.accepted_at > KEY_LIFETIME_SECONDS:
            return
        raise ApiError(
            409,
            ALREADY_ACCEPTED,
            headers={"X-Line-Accepted-Request-Id": accepted.request_id},
            extra=accepted.repeat_fields,
        )

    def accept(self, key: str | None, request_id: str, repeat_fields: dict | None = None) -> None:
        """Remember that the request `request_id` with `key` was accepted (no-op without a key)."""
        if key is not None:
            self._accepted[key] = _AcceptedKey(request_id, self._clock(), repeat_fields or {})
