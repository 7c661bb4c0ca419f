"""Write outgoing messages as outbox rows inside the caller's transaction (the only way the bot sends)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from linebot.v3.messaging import Message
from sqlalchemy.orm import Session

from bot.replies import as_dicts
from models import OutboxKind, OutboxMessage, User, UserStatus

MAX_MESSAGES_PER_CALL = 5  # LINE accepts 1-5 messages per reply, push or multicast


def chunks(messages: Sequence[Message], size: int = MAX_MESSAGES_PER_CALL) -> list[Sequence[Message]]:
    return [messages[start:start + size] for start in range(0, len(messages), size)]


def enqueue_replies(
    session: Session,
    to: str,
    messages: Sequence[Message],
    now: dt.datetime,
    reply_token: str | None = None,
    reply_deadline: dt.datetime | None = None,
    inbox_event_id: int | None = None,
) -> list[OutboxMessage]:
    """Queue messages for one user: the first five use the reply token (if any), the rest are pushes."""
    rows = []
    for index, batch in enumerate(chunks(messages)):
        use_token = index == 0 and reply_token is not None
        rows.append(OutboxMessage(
            kind=OutboxKind.REPLY if use_token else OutboxKind.PUSH,
            to_id=to,
            reply_token=reply_token if use_token else None,
            reply_deadline=reply_deadline if use_token else None,
            messages=as_dicts(batch),
            created_at=now,
            next_attempt_at=now,
            inbox_event_id=inbox_event_id,
        ))
    session.add_all(rows)
    return rows


def push_to(session: Session, users: Iterable[User], messages: Sequence[Message], now: dt.datetime,
            include_pending: bool = False) -> int:
    """Queue `messages` as pushes to each user who can receive them: following, not erased, and (unless
    `include_pending`) not waiting for a guardian's consent. Returns how many users were queued."""
    allowed = {UserStatus.ACTIVE, UserStatus.PENDING_GUARDIAN} if include_pending else {UserStatus.ACTIVE}
    queued = 0
    for user in users:
        if user.is_following and user.status in allowed:
            enqueue_replies(session, user.line_user_id, messages, now)
            queued += 1
    return queued
