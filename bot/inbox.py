"""The webhook's only database work: store a request's events in one INSERT, once each.

Each event is keyed by `webhookEventId` (`ON CONFLICT DO NOTHING`), so a redelivered or repeated event has
no second effect. Everything else (who is this, which handler, what to send) happens in the event
processor (bot/processor.py), which is woken as soon as this commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from bot import events
from models import InboxEvent, InboxStatus
from models.db import Database


def inbox_values(raw: Any, received_at: dt.datetime) -> dict[str, Any]:
    """The inbox row for an event; a non-object event is kept as it came, keyed by a content hash."""
    event = raw if isinstance(raw, dict) else {"invalid": raw}
    return {
        "webhook_event_id": events.event_key(event),
        "event_type": str(event.get("type", "invalid"))[:40],
        "mode": str(event.get("mode", "active"))[:16],
        "is_redelivery": events.is_redelivery(event),
        "source_user_id": events.source_user_id(event),
        "event_time": events.event_time(event),
        "received_at": received_at,
        "payload": raw,
        "status": InboxStatus.RECEIVED,
        "attempts": 0,
    }


def store_events(db: Database, raw_events: list[Any], received_at: dt.datetime) -> int:
    """Insert the events not seen before, in one statement and one transaction; returns how many were new."""
    if not raw_events:
        return 0
    rows = _unique_in_request([inbox_values(raw, received_at) for raw in raw_events])
    dialect_insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    statement = dialect_insert(InboxEvent).on_conflict_do_nothing(index_elements=["webhook_event_id"])
    try:
        return _insert(db, statement, rows)
    except OperationalError as error:
        if not error.connection_invalidated:  # the database restarted under a pooled connection:
            raise
        return _insert(db, statement, rows)  # once more, on a fresh one


def _insert(db: Database, statement, rows) -> int:
    with db.connection() as connection:
        return connection.execute(statement, rows).rowcount


def _unique_in_request(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same event twice in one request counts once (first wins)."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["webhook_event_id"], row)
    return list(seen.values())
