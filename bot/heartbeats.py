"""Heartbeats: each background loop (a delivery worker, a scheduler) upserts one row per tick with the time
it was last alive; /healthz reads the fresh ones, and the scheduler's `heartbeat-sweep` job deletes rows of
loops long gone (a restarted process gets a new component name).

`component` names one loop instance, e.g. "worker:host:ab12cd34" or "scheduler:host:4242:ab12cd34";
`kind` groups them ("worker", "scheduler"); `details` is a small JSON object without personal data
(for a scheduler: {"role": "active" | "standby" | "stopped", "lease": "scheduler"}).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Heartbeat
from models.db import Database, dialect_insert

RETENTION = dt.timedelta(days=1)


def beat(db: Database, component: str, kind: str, now: dt.datetime, details: dict[str, Any] | None = None) -> None:
    """Record that `component` is alive at `now` (one short transaction; insert or update its row)."""
    with db.transaction() as session:
        statement = dialect_insert(session, Heartbeat).values(component=component, kind=kind, last_seen_at=now,
                                                              details=details or {})
        session.execute(statement.on_conflict_do_update(
            index_elements=[Heartbeat.component],
            set_={"kind": statement.excluded.kind, "last_seen_at": statement.excluded.last_seen_at,
                  "details": statement.excluded.details},
        ))


def fresh(db: Database, kind: str, now: dt.datetime, max_age: dt.timedelta) -> list[Heartbeat]:
    """The heartbeats of `kind` seen within `max_age` before `now`, by component name."""
    with db.sessions() as session:
        query = (select(Heartbeat)
                 .where(Heartbeat.kind == kind, Heartbeat.last_seen_at >= now - max_age)
                 .order_by(Heartbeat.component))
        return list(session.scalars(query))


def delete_older_than(session: Session, cutoff: dt.datetime) -> int:
    """Delete heartbeats last seen before `cutoff` inside the caller's transaction; how many went."""
    result = session.execute(delete(Heartbeat).where(Heartbeat.last_seen_at < cutoff))
    return result.rowcount or 0


def sweep(session: Session, now: dt.datetime) -> None:
    """The scheduler's `heartbeat-sweep` job: forget loops not seen for a day."""
    delete_older_than(session, now - RETENTION)
