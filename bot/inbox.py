"""The webhook's only database work: store a request's events in one INSERT, once each.

Each event is keyed by `webhookEventId` (`ON CONFLICT DO NOTHING`), so a redelivered or repeated event has
no second effect. Everything else (who is this, which handler, what to send) happens in the event
processor (bot/processor.py), which is woken as soon as this commits.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import JSON

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


class InboxWriter:
    """The webhook's hot path: one multi-row `INSERT ... ON CONFLICT DO NOTHING` sent straight through the
    database driver in autocommit (a single statement is atomic), one round trip, no ORM or SQL compiling.
    Values are converted with the columns' own SQLAlchemy bind processors, so storage matches the ORM's."""

    COLUMNS = ("webhook_event_id", "event_type", "mode", "is_redelivery", "source_user_id", "event_time",
               "received_at", "payload", "status", "attempts")

    def __init__(self, db: Database):
        self.db = db
        dialect = db.engine.dialect
        table = InboxEvent.__table__
        self._postgres = dialect.name == "postgresql"
        self._converters = [self._converter(table.c[name], dialect) for name in self.COLUMNS]
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        self._row_sql = "(" + ", ".join(
            f"{marker}::json" if self._postgres and name == "payload" else marker for name in self.COLUMNS) + ")"
        self._sql_head = f"INSERT INTO {table.name} ({', '.join(self.COLUMNS)}) VALUES "
        self._sql_tail = " ON CONFLICT (webhook_event_id) DO NOTHING"

    @staticmethod
    def _converter(column, dialect):
        if isinstance(column.type, JSON):
            return lambda value: json.dumps(value, ensure_ascii=False)
        return column.type.bind_processor(dialect) or (lambda value: value)

    def store(self, rows: list[dict[str, Any]]) -> None:
        sql = self._sql_head + ", ".join([self._row_sql] * len(rows)) + self._sql_tail
        columns = list(zip(self.COLUMNS, self._converters, strict=True))
        params = [convert(row[name]) for row in rows for name, convert in columns]
        with self.db.write_lock():
            connection = self.db.engine.raw_connection()
            try:
                self._execute(connection, sql, params)
            finally:
                connection.close()  # back to the pool

    def _execute(self, connection, sql: str, params: list) -> None:
        if self._postgres:
            driver = connection.driver_connection
            driver.autocommit = True
            try:
                driver.execute(sql, params)
            finally:
                driver.autocommit = False
        else:  # the pool's SQLite connections run in autocommit (isolation_level None, see models.db)
            connection.driver_connection.execute(sql, params)


def store_events(writer: InboxWriter, raw_events: list[Any], received_at: dt.datetime) -> None:
    """Insert the events not seen before, in one statement; a repeat of a known event changes nothing."""
    if not raw_events:
        return
    rows = _unique_in_request([inbox_values(raw, received_at) for raw in raw_events])
    try:
        writer.store(rows)
    except writer.db.engine.dialect.loaded_dbapi.OperationalError:
        writer.store(rows)  # once more on a fresh connection: the database may have restarted under the pool


def _unique_in_request(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same event twice in one request counts once (first wins)."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["webhook_event_id"], row)
    return list(seen.values())
