"""Quiet hours: a minor's non-urgent pushes wait out the night (default 21:00-07:00, Bangkok time).

`push_considerate` sends at once, or holds the messages in `held_pushes` until the quiet hours end; the
"held-pushes" job moves due rows to the outbox. What keeps someone safe (`urgent=True`) is never held,
and adults are never held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.outbox import enqueue_replies, push_to
from bot.replies import as_dicts
from bot.scheduler import Job, register
from models import HeldPush, User, UserStatus


def quiet_until(now: dt.datetime, settings: Settings) -> dt.datetime | None:
    """When the quiet hours around `now` end (UTC), or None if `now` is outside them."""
    start, end = settings.quiet_window
    local = now.astimezone(settings.tz)
    clock = local.time()
    crosses_midnight = start > end
    inside = (clock >= start or clock < end) if crosses_midnight else (start <= clock < end)
    if not inside:
        return None
    end_day = local.date() + dt.timedelta(days=1) if crosses_midnight and clock >= start else local.date()
    return dt.datetime.combine(end_day, end, tzinfo=settings.tz).astimezone(dt.UTC)


def push_considerate(session: Session, user: User, messages: Sequence[Message], now: dt.datetime,
                     settings: Settings, urgent: bool = False) -> bool:
    """Push to `user` now, or hold until morning for a minor in quiet hours; False if they cannot get it."""
    if not (user.is_following and user.status in (UserStatus.ACTIVE, UserStatus.PENDING_GUARDIAN)):
        return False
    release_at = None if urgent or not user.is_minor(now) else quiet_until(now, settings)
    if release_at is None:
        return push_to(session, [user], messages, now, include_pending=True) == 1
    session.add(HeldPush(user_id=user.id, due_at=release_at, messages=as_dicts(messages), created_at=now))
    return True


def release_due(session: Session, now: dt.datetime) -> int:
    """Move held pushes that are due to the outbox (skipping people who blocked the bot or were erased)."""
    query = select(HeldPush, User).join(User, User.id == HeldPush.user_id).where(HeldPush.due_at <= now)
    query = query.order_by(HeldPush.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=HeldPush)
    released = 0
    for held, user in session.execute(query).all():
        if user.is_following and user.status != UserStatus.DELETED:
            enqueue_replies(session, user.line_user_id, held.messages, now)
            released += 1
        session.delete(held)
    return released


register(Job("held-pushes", dt.timedelta(minutes=1), release_due))
