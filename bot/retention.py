"""Keep what people wrote only as long as it is useful (PDPA: no longer than the purpose needs).

Webhook events keep their payload (what a person typed) and sent messages their bodies (which may name a
youth to their mentor) for `RETENTION`; after that a periodic job empties them, keeping the rows' counts,
times and statuses for the figures. Failed events keep their payload (an operator replays them). Each
table's progress is an id watermark in `system_flags`, so a run only touches rows it has not emptied yet,
at most `BATCH` of them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.scheduler import Job, register
from models import InboxEvent, InboxStatus, OutboxMessage, OutboxStatus, SystemFlag
from models.db import insert_ignoring_conflict

RETENTION = dt.timedelta(days=30)
BATCH = 50_000
FLAG = "retention"
EXPIRED_PAYLOAD = {"expired": True}


def expire_old_bodies(session: Session, now: dt.datetime) -> None:
    """Empty event payloads and message bodies older than RETENTION (the scheduled job)."""
    insert_ignoring_conflict(session, SystemFlag, {"name": FLAG, "value": {}, "updated_at": now}, "name")
    flag = session.execute(select(SystemFlag).where(SystemFlag.name == FLAG).with_for_update()).scalar_one()
    marks = dict(flag.value or {})
    cutoff = now - RETENTION
    marks["inbox"] = _expire(session, InboxEvent, InboxEvent.received_at, marks.get("inbox", 0), cutoff,
                             {"payload": EXPIRED_PAYLOAD}, InboxEvent.status.notin_(
                                 (InboxStatus.FAILED, InboxStatus.RECEIVED)))
    marks["outbox"] = _expire(session, OutboxMessage, OutboxMessage.created_at, marks.get("outbox", 0), cutoff,
                              {"messages": [], "recipients": None, "to_id": None, "reply_token": None},
                              OutboxMessage.status.notin_(OutboxStatus.OPEN))
    flag.value, flag.updated_at = marks, now


def _expire(session: Session, model, created, watermark: int, cutoff: dt.datetime, values: dict, done) -> int:
    """Empty rows after `watermark` created before `cutoff` (a batch at most); the new watermark."""
    upper = session.scalar(select(func.max(model.id)).where(model.id > watermark, model.id <= watermark + BATCH,
                                                             created < cutoff))
    if upper is None:
        return watermark
    session.execute(update(model).where(model.id > watermark, model.id <= upper, done).values(**values)
                    .execution_options(synchronize_session=False))
    return upper


register(Job("message-retention", dt.timedelta(hours=1), expire_old_bodies))
