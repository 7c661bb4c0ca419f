"""Store each webhook event once (keyed by webhookEventId) and dispatch it in the same transaction.

A handler that raises is rolled back to a savepoint and the event is kept as `failed` with its error,
so the request still succeeds and `flask --app app replay-failed` can run it again after a fix.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot import events
from bot.dispatch import Dispatcher, DispatchResult
from bot.logs import error_detail, error_summary, pseudonym
from models import InboxEvent, InboxStatus
from models.db import Database, insert_ignoring_conflict

log = logging.getLogger("bot.inbox")

DUPLICATE = "duplicate"
CONFLICT_RETRIES = 3  # two workers touching one user's state at once: run the loser again


@dataclass
class Inbox:
    db: Database
    dispatcher: Dispatcher

    def receive(self, raw: Any, received_at: dt.datetime) -> str:
        """Store and handle one event; returns its InboxStatus, or DUPLICATE for a repeat."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                with self.db.transaction() as session:
                    return self._receive_once(session, raw, received_at)
            except (StaleDataError, OperationalError):
                if attempt == CONFLICT_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _receive_once(self, session: Session, raw: Any, received_at: dt.datetime) -> str:
        row = inbox_values(raw, received_at)
        inbox_id = insert_ignoring_conflict(session, InboxEvent, row, "webhook_event_id")
        if inbox_id is None:
            log.info("event duplicate", extra={"event_type": row["event_type"]})
            return DUPLICATE
        status = self._dispatch(session, raw, inbox_id, received_at, received_at)
        return status

    def replay(self, inbox_id: int, now: dt.datetime) -> str:
        """Run a failed event again (its reply token is honoured only if still fresh)."""
        with self.db.transaction() as session:
            query = select(InboxEvent).where(InboxEvent.id == inbox_id).with_for_update()
            event = session.execute(query).scalar_one()
            if event.status != InboxStatus.FAILED:
                return event.status
            return self._dispatch(session, event.payload, event.id, now, event.received_at)

    def failed_ids(self, limit: int = 1000) -> list[int]:
        with self.db.transaction() as session:
            query = select(InboxEvent.id).where(InboxEvent.status == InboxStatus.FAILED)
            return list(session.scalars(query.order_by(InboxEvent.id).limit(limit)))

    def _dispatch(self, session: Session, raw: Any, inbox_id: int, now: dt.datetime,
                  received_at: dt.datetime) -> str:
        error = None
        try:
            with session.begin_nested():
                result = self._handle(session, raw, now, received_at, inbox_id)
        except (StaleDataError, OperationalError):
            raise
        except Exception as exc:  # a handler bug must not lose the event or fail the webhook
            error, result = exc, DispatchResult(InboxStatus.FAILED)
        session.execute(update(InboxEvent).where(InboxEvent.id == inbox_id).values(
            status=result.status, error=error_detail(error) if error else None,
            attempts=InboxEvent.attempts + 1, processed_at=now,
        ))
        _log_event(raw, result, error)
        return result.status

    def _handle(self, session, raw, now, received_at, inbox_id) -> DispatchResult:
        if not isinstance(raw, dict):
            raise ValueError("event is not a JSON object")
        return self.dispatcher.handle(session, raw, now, received_at=received_at, inbox_event_id=inbox_id)


def inbox_values(raw: Any, received_at: dt.datetime) -> dict[str, Any]:
    """The inbox row for an event; a non-object event is kept whole under a content hash."""
    event = raw if isinstance(raw, dict) else {"invalid": raw}
    return {
        "webhook_event_id": events.event_key(event),
        "event_type": str(event.get("type", "invalid"))[:40],
        "mode": str(event.get("mode", "active"))[:16],
        "is_redelivery": events.is_redelivery(event),
        "source_user_id": events.source_user_id(event),
        "event_time": events.event_time(event),
        "received_at": received_at,
        "payload": event,
        "status": InboxStatus.RECEIVED,
    }


def _log_event(raw: Any, result: DispatchResult, error: Exception | None) -> None:
    event = raw if isinstance(raw, dict) else {}
    fields = {"event_type": event.get("type"), "user": pseudonym(events.source_user_id(event)),
              "outcome": result.status, "flow": result.flow, "step": result.step, "replies": result.replies}
    if error is not None:
        fields["error"] = error_summary(error)
        log.error("event failed", extra=fields)
    else:
        log.info("event handled", extra=fields)
