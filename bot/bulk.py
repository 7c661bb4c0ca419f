"""Bulk sends: snapshot an audience into multicast outbox rows of at most 500 users, in one transaction,
streaming the audience so memory stays flat whatever its size; progress is counted from the rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

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
             created_by_user_id: int | None = None, campaign_id: int | None = None) -> BulkSend:
    """Queue `messages` for everyone `audience` selects (a select of LINE user ids), in the caller's
    transaction: the audience is fixed now, later sign-ups are not included. `campaign_id` ties the send
    to the campaign it is a part of."""
    bulk = _new_bulk(session, title, now, created_by_user_id, campaign_id)
    _queue(session, bulk, as_dicts(messages), _id_batches(session, audience), now)
    return bulk


def snapshot_grouped(session: Session, title: str, messages_for: Callable[[Any], Sequence[Message]],
                     audience: Select, now: dt.datetime, created_by_user_id: int | None = None,
                     campaign_id: int | None = None) -> list[BulkSend]:
    """Like `snapshot`, for an audience that selects (LINE user id, group key): one bulk send per group, each
    with `messages_for(key)` (a campaign's province: its links count clicks by province). One streamed
    query in the audience's own order (by id is cheapest: no sort); each group's ids fill a batch of 500
    that is queued when full, so memory stays bounded by groups x 500 ids. Returns the sends by key."""
    result = session.connection().execute(audience.execution_options(yield_per=AUDIENCE_FETCH_SIZE))
    groups: dict[Any, _Group] = {}
    rows: list[dict] = []
    for line_user_id, key in itertools.chain.from_iterable(result.partitions()):
        group = groups.get(key)
        if group is None:
            bulk = _new_bulk(session, f"{title} [{key if key is not None else '-'}]", now, created_by_user_id,
                             campaign_id)
            group = groups[key] = _Group(bulk, as_dicts(messages_for(key)))
        group.ids.append(line_user_id)
        if len(group.ids) == MULTICAST_MAX_RECIPIENTS:
            rows.append(group.take_row(now))
            if len(rows) == ROWS_PER_INSERT:
                session.execute(insert(OutboxMessage), rows)
                rows = []
    ordered = [groups[key] for key in sorted(groups, key=lambda key: (key is None, key))]
    rows.extend(group.take_row(now) for group in ordered if group.ids)
    if rows:
        session.execute(insert(OutboxMessage), rows)
    return [group.bulk for group in ordered]


@dataclass
class _Group:
    """One group's bulk send while its audience streams in: the ids of its next batch, and its totals."""

    bulk: BulkSend
    payload: list[dict]
    ids: list[str] = field(default_factory=list)

    def take_row(self, now: dt.datetime) -> dict:
        row = _outbox_row(self.ids, self.bulk.id, self.payload, now)
        self.bulk.recipient_total = (self.bulk.recipient_total or 0) + len(self.ids)
        self.bulk.batch_count = (self.bulk.batch_count or 0) + 1
        self.ids = []
        return row


def _new_bulk(session, title, now, created_by_user_id, campaign_id) -> BulkSend:
    bulk = BulkSend(title=title[:200], created_by_user_id=created_by_user_id, created_at=now,
                    campaign_id=campaign_id)
    session.add(bulk)
    session.flush()
    return bulk


def _queue(session: Session, bulk: BulkSend, payload: list[dict], batches: Iterable[list[str]],
           now: dt.datetime) -> None:
    recipients = count = 0
    for rows in _row_groups(batches, bulk.id, payload, now):
        session.execute(insert(OutboxMessage), rows)
        recipients += sum(row["recipient_count"] for row in rows)
        count += len(rows)
    bulk.recipient_total, bulk.batch_count = recipients, count


def _row_groups(batches, bulk_id, payload, now) -> Iterator[list[dict]]:
    group: list[dict] = []
    for batch in batches:
        group.append(_outbox_row(batch, bulk_id, payload, now))
        if len(group) == ROWS_PER_INSERT:
            yield group
            group = []
    if group:
        yield group


def _outbox_row(batch: list[str], bulk_id: int, payload: list[dict], now: dt.datetime) -> dict:
    return {"retry_key": new_uuid(), "kind": OutboxKind.MULTICAST, "recipients": batch,
            "recipient_count": len(batch), "messages": payload, "status": OutboxStatus.PENDING,
            "attempts": 0, "created_at": now, "next_attempt_at": now, "bulk_send_id": bulk_id}


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
