"""Bulk sends: snapshot an audience into multicast outbox rows of at most 500 users, in one transaction,
streaming the audience so memory stays flat whatever its size; progress is counted from the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from linebot.v3.messaging import Message
from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from bot.messaging import MULTICAST_MAX_RECIPIENTS
from bot.replies import as_dicts
from models import BulkSend, OutboxKind, OutboxMessage, OutboxStatus, User
from models.base import new_uuid

ROWS_PER_INSERT = 20  # outbox rows written per INSERT statement while streaming the audience
AUDIENCE_FETCH_SIZE = 5000


def following_users() -> Select:
    """The default audience: every user who still follows the bot (LINE user ids, oldest first)."""
    return select(User.line_user_id).where(User.is_following.is_(True)).order_by(User.id)


def snapshot(session: Session, title: str, messages: Sequence[Message], audience: Select, now: dt.datetime,
             created_by_user_id: int | None = None) -> BulkSend:
    """Queue `messages` for everyone `audience` selects (a select of LINE user ids), in the caller's
    transaction: the audience is fixed now, later sign-ups are not included."""
    bulk = BulkSend(title=title[:200], created_by_user_id=created_by_user_id, created_at=now)
    session.add(bulk)
    session.flush()
    payload = as_dicts(messages)
    recipients = batches = 0
    for rows in _row_groups(session, audience, bulk.id, payload, now):
        session.execute(insert(OutboxMessage), rows)
        recipients += sum(row["recipient_count"] for row in rows)
        batches += len(rows)
    bulk.recipient_total, bulk.batch_count = recipients, batches
    return bulk


def _row_groups(session, audience, bulk_id, payload, now) -> Iterator[list[dict]]:
    group: list[dict] = []
    for batch in _id_batches(session, audience):
        group.append({"retry_key": new_uuid(), "kind": OutboxKind.MULTICAST, "recipients": batch,
                      "recipient_count": len(batch), "messages": payload, "status": OutboxStatus.PENDING,
                      "attempts": 0, "created_at": now, "next_attempt_at": now, "bulk_send_id": bulk_id})
        if len(group) == ROWS_PER_INSERT:
            yield group
            group = []
    if group:
        yield group


def _id_batches(session: Session, audience: Select) -> Iterator[list[str]]:
    """The audience's ids in groups of 500, streamed as Core rows (a server-side cursor on PostgreSQL);
    `yield_per` goes on the statement: on the connection it would also hit the outbox inserts."""
    result = session.connection().execute(audience.execution_options(yield_per=AUDIENCE_FETCH_SIZE))
    for batch in result.scalars().partitions(MULTICAST_MAX_RECIPIENTS):
        yield list(batch)


@dataclass(frozen=True)
class Progress:
    """Recipients of one bulk send by the state of their batch."""

    queued: int
    sent: int
    failed: int

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed


def progress(session: Session, bulk_send_id: int) -> Progress:
    rows = session.execute(
        select(OutboxMessage.status, func.coalesce(func.sum(OutboxMessage.recipient_count), 0))
        .where(OutboxMessage.bulk_send_id == bulk_send_id).group_by(OutboxMessage.status)
    ).all()
    by_status = dict(rows)
    return Progress(
        queued=sum(by_status.get(status, 0) for status in OutboxStatus.OPEN),
        sent=by_status.get(OutboxStatus.SENT, 0),
        failed=by_status.get(OutboxStatus.FAILED, 0) + by_status.get(OutboxStatus.DEAD, 0),
    )
