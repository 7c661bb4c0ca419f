"""The event processor: take stored webhook events one by one and dispatch each in its own transaction.

Claiming and handling happen in the same transaction: on PostgreSQL the event row is locked with
`FOR UPDATE SKIP LOCKED`, so processors on many machines never take the same event, and a processor
that dies simply rolls back (the event is taken again). One user's events are handled in the order they
arrived: an event is not taken while an earlier one of the same user is still waiting.

A handler that raises is rolled back to a savepoint and the event is kept as `failed` with its error;
`flask --app app replay-failed` runs such events again after a fix.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from bot import events
from bot.clock import Clock
from bot.dispatch import Dispatcher, DispatchResult
from bot.logs import error_detail, error_summary, pseudonym
from models import InboxEvent, InboxStatus
from models.db import Database

log = logging.getLogger("bot.processor")


@dataclass
class EventProcessor:
    db: Database
    dispatcher: Dispatcher
    clock: Clock
    _helpers: threading.Condition = field(default_factory=threading.Condition, init=False, repr=False)

    def process_next(self) -> bool:
        """Handle the next waiting event, if any; returns whether there was one."""
        with self.db.transaction() as session:
            event = session.execute(next_event_query(session.get_bind().dialect.name)).scalar_one_or_none()
            if event is None:
                return False
            self._dispatch(session, event, self.clock())
        return True

    def run_until_idle(self, max_events: int = 100_000) -> int:
        """Handle waiting events until none is left; returns how many were handled."""
        handled = 0
        while handled < max_events and self.process_next():
            handled += 1
        return handled

    def run_forever(self, stop: threading.Event, wakeup: threading.Event, idle_seconds: float = 0.2,
                    after_batch=None, helper: bool = False) -> None:
        """Loop until `stop`; `wakeup` is set by the webhook after it stores events. `after_batch` runs after
        each handled event (it wakes the delivery worker: that event's replies are committed).

        A `helper` (one of PostgreSQL's extra processor threads) waits to be called in rather than on
        `wakeup`: a processor that finds a second event waiting right after one it handled calls one helper
        in, which does the same, so helpers join only while a queue lasts and one stored event never wakes
        them all (each would run an empty claim). Idle, every processor polls every `idle_seconds` (events
        stored by other processes' webhooks)."""
        while not stop.is_set():
            handled = 0
            try:
                while not stop.is_set() and self.process_next():
                    handled += 1
                    if after_batch is not None:
                        after_batch()
                    if handled >= 2:
                        self._call_in_helper()  # a queue: one more processor joins in
            except (OperationalError, StaleDataError):  # database restarting, or a lost race: try again
                log.warning("event processing round failed; retrying", exc_info=True)
            if stop.is_set():
                break
            if helper:
                with self._helpers:
                    self._helpers.wait(idle_seconds)
            else:
                wakeup.wait(idle_seconds)
                wakeup.clear()

    def _call_in_helper(self) -> None:
        with self._helpers:
            self._helpers.notify()

    def replay(self, inbox_id: int) -> str:
        """Run a failed event again (its reply token is used only if still fresh)."""
        with self.db.transaction() as session:
            query = select(InboxEvent).where(InboxEvent.id == inbox_id).with_for_update()
            event = session.execute(query).scalar_one_or_none()
            if event is None or event.status != InboxStatus.FAILED:
                return event.status if event else "missing"
            return self._dispatch(session, event, self.clock())

    def failed_ids(self, limit: int = 10_000) -> list[int]:
        with self.db.transaction() as session:
            query = select(InboxEvent.id).where(InboxEvent.status == InboxStatus.FAILED)
            return list(session.scalars(query.order_by(InboxEvent.id).limit(limit)))

    def _dispatch(self, session: Session, event: InboxEvent, now: dt.datetime) -> str:
        error = None
        try:
            with session.begin_nested():
                result = self._handle(session, event, now)
        except (StaleDataError, OperationalError):
            raise
        except Exception as exc:  # a handler bug must not lose the event or stop the processor
            error, result = exc, DispatchResult(InboxStatus.FAILED)
        event.status = result.status
        event.error = error_detail(error) if error else None
        event.attempts += 1
        event.processed_at = now
        _log_event(event.payload, result, error)
        return result.status

    def _handle(self, session: Session, event: InboxEvent, now: dt.datetime) -> DispatchResult:
        if not isinstance(event.payload, dict):
            raise ValueError("event is not a JSON object")
        return self.dispatcher.handle(session, event.payload, now, received_at=event.received_at,
                                      inbox_event_id=event.id)


@functools.cache
def next_event_query(dialect: str):
    """The oldest waiting event whose user has no earlier event still waiting (built once per dialect: it has
    no parameters, and building it cost more CPU than running it)."""
    earlier = aliased(InboxEvent)
    earlier_waiting = (
        select(earlier.id)
        .where(earlier.source_user_id == InboxEvent.source_user_id, earlier.id < InboxEvent.id,
               earlier.status == InboxStatus.RECEIVED)
        .exists()
    )
    query = (select(InboxEvent).where(InboxEvent.status == InboxStatus.RECEIVED, ~earlier_waiting)
             .order_by(InboxEvent.id).limit(1))
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=InboxEvent)
    return query


def _log_event(raw: Any, result: DispatchResult, error: Exception | None) -> None:
    raw = raw if isinstance(raw, dict) else {}
    fields = {"event_type": raw.get("type"), "user": pseudonym(events.source_user_id(raw)),
              "outcome": result.status, "flow": result.flow, "step": result.step, "replies": result.replies}
    if error is not None:
        fields["error"] = error_summary(error)
        log.error("event failed", extra=fields)
    else:
        log.info("event handled", extra=fields)
