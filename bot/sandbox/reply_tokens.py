"""Reply tokens as LINE issues them: single use, valid 1 minute after the event (guarded by Sandbox.lock).

A redelivered event's token works for 1 minute after the redelivery, unless the original token was
already used or 20 minutes have passed since the event (LINE-FACTS section 2).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.errors import ApiError

TOKEN_LIFETIME_SECONDS = 60.0
REDELIVERY_WINDOW_SECONDS = 20 * 60.0


@dataclass
class _IssuedToken:
    user_id: str
    event_at: float
    expires_at: float
    used: bool = False


def new_reply_token() -> str:
    """A fresh random token, 32 hex characters."""
    return secrets.token_hex(16)


class ReplyTokenRegistry:
    """Issued reply tokens and their state."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._tokens: dict[str, _IssuedToken] = {}

    def issue(self, token: str, user_id: str, event_at: float) -> None:
        """Register `token` for an event of `user_id` that happened at `event_at` (seconds)."""
        expires_at = event_at + TOKEN_LIFETIME_SECONDS
        self._tokens[token] = _IssuedToken(user_id, event_at, expires_at)

    def renew_for_redelivery(self, token: str) -> None:
        """The event carrying `token` is redelivered now: reopen a 1-minute window if LINE would."""
        issued = self._tokens.get(token)
        if issued is None or issued.used:
            return
        now = self._clock()
        if now - issued.event_at <= REDELIVERY_WINDOW_SECONDS:
            issued.expires_at = now + TOKEN_LIFETIME_SECONDS

    def redeem(self, token: object) -> str:
        """Use `token` once and return its user id; ApiError(400, Invalid reply token) otherwise."""
        issued = self._tokens.get(token) if isinstance(token, str) else None
        if issued is None or issued.used or self._clock() > issued.expires_at:
            raise ApiError(400, "Invalid reply token")
        issued.used = True
        return issued.user_id
