"""The outbox sender: claim due rows, send each once in effect, record the result, back off on failure.

Claiming marks rows `sending` under a lease in one short transaction (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises claimers); a worker that dies leaves rows whose lease
runs out and another worker takes them again, with the same retry key. A user's rows go out in order:
a row is not claimed while an earlier row for the same recipient is still open.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import aliased

from bot import heartbeats, metrics, pause
from bot.clock import Clock
from bot.messaging import LineGateway, SendOutcome, SendResult
from bot.ratelimit import DEFAULT_RATES, EndpointLimiter, TokenBucket
from models import OutboxKind, OutboxMessage, OutboxStatus
from models.db import Database

log = logging.getLogger("bot.delivery")

MAX_KEY_AGE = dt.timedelta(hours=23)  # LINE forgets a retry key after 24 h; never resend past that
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0
QUOTA_PAUSE = dt.timedelta(hours=1)
HEARTBEAT_EVERY = dt.timedelta(seconds=5)
REPLY_RETRY_AFTER = dt.timedelta(seconds=1)
RICH_MENU_LINK = "rich_menu_link"  # the endpoint name of link and unlink (rate limit and metrics)
RICH_MENU_LINK_RATE = 2000.0  # LINE's limit per second for linking a rich menu to a user


def until_idle(run_once: Callable[[], int], max_rounds: int) -> int:
    """Call `run_once` until it handles nothing (at most `max_rounds` times); returns how much it handled."""
    total = 0
    for _ in range(max_rounds):
        handled = run_once()
        if handled == 0:
            break
        total += handled
    return total


def backoff(attempts: int, rng: random.Random) -> dt.timedelta:
    """Exponential backoff with full jitter: up to base * 2^(attempts-1) seconds, capped."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return dt.timedelta(seconds=rng.uniform(ceiling / 2, ceiling))


@dataclass
class DeliveryWorker:
    db: Database
    gateway: LineGateway
    clock: Clock
    batch_size: int = 50
    senders: int = 1  # threads sending at once (rows claimed together never share a recipient)
    lease: dt.timedelta = dt.timedelta(seconds=60)
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}")
    rng: random.Random = field(default_factory=random.Random)
    limiter: EndpointLimiter = field(default_factory=lambda: EndpointLimiter(DEFAULT_RATES))

    def __post_init__(self) -> None:
        self.limiter.buckets.setdefault(RICH_MENU_LINK, TokenBucket(RICH_MENU_LINK_RATE))
        self._pool = ThreadPoolExecutor(self.senders, thread_name_prefix="sender") if self.senders > 1 else None
        self._bulk_paused = threading.Event()  # seen in the database at claim time, or hit while sending
        self._in_flight = 0
        self._in_flight_changed = threading.Condition()
        self._all_sent: threading.Event | None = None  # set by the last sender to finish (the loop's wake-up)

    def run_once(self, drain: bool = True) -> int:
        """Claim and send what is due now; returns how many rows were claimed. With `drain=False` (the
        loop) the next claim may start while half a batch is still being sent, so sender threads never
        wait for the slowest call of a batch."""
        if self._pool is None:
            rows = self.claim()
            for row in rows:
                self.send(row)
            return len(rows)
        self._wait_in_flight(at_most=self.batch_size // 2)
        rows = self.claim()
        with self._in_flight_changed:
            self._in_flight += len(rows)
        for row in rows:
            self._pool.submit(self._send_in_pool, row)
        if drain:
            self._wait_in_flight(at_most=0)
        return len(rows)

    def _send_in_pool(self, row: OutboxMessage) -> None:
        try:
            self.send(row)
        except Exception:  # the row keeps its lease and is reclaimed later with the same key
            log.exception("send failed", extra={"outbox_id": row.id})
        finally:
            with self._in_flight_changed:
                self._in_flight -= 1
                self._in_flight_changed.notify_all()
                if self._in_flight == 0 and self._all_sent is not None:
                    self._all_sent.set()  # their recipients' next rows may be due now

    def _wait_in_flight(self, at_most: int) -> None:
        with self._in_flight_changed:
            self._in_flight_changed.wait_for(lambda: self._in_flight <= at_most)

    def run_until_idle(self, max_rounds: int = 1000) -> int:
        """Send until nothing is due now (a recipient's later rows wait for earlier ones, so one round
        may not be enough); returns how many rows were handled."""
        return until_idle(self.run_once, max_rounds)

    def run_forever(self, stop: threading.Event, wakeup: threading.Event, idle_seconds: float = 0.2) -> None:
        """Loop until `stop` is set; `wakeup` is set when new rows are committed in this process (other
        processes' rows are found by polling every `idle_seconds`) and, with sender threads, when the last
        row in flight is finished (a recipient's next row waits for the one before it).

        A claim that took less than a full batch took everything that was due, so the loop claims again only
        when woken (or after `idle_seconds`), not at once: under a steady trickle of messages that halves
        the claims, and a claim is a write transaction."""
        self._all_sent = wakeup if self._pool is not None else None
        last_beat = None
        while not stop.is_set():
            try:
                last_beat = self._heartbeat(last_beat)
                handled = self.run_once(drain=False)
            except Exception:  # the database restarting, say: log, wait, try again
                log.exception("delivery round failed")
                handled = 0
            if handled >= self.batch_size or (handled and self._pool is None):
                continue  # more may be due at once (one sender: its recipients' next rows are due now)
            wakeup.wait(idle_seconds)
            wakeup.clear()
        self._wait_in_flight(at_most=0)

    def _heartbeat(self, last_beat: dt.datetime | None) -> dt.datetime | None:
        now = self.clock()
        if last_beat is not None and now - last_beat < HEARTBEAT_EVERY:
            return last_beat
        heartbeats.beat(self.db, f"worker:{self.owner}", "worker", now, {"senders": self.senders})
        return now

    def claim(self) -> list[OutboxMessage]:
        now = self.clock()
        with self.db.transaction() as session:
            bulk_paused = pause.bulk_paused(session) is not None
            self._bulk_paused.set() if bulk_paused else self._bulk_paused.clear()
            statement = claim_statement(session.get_bind().dialect.name, bulk_paused)
            rows = list(session.scalars(statement, {"claim_now": now, "claim_limit": self.batch_size,
                                                    "claim_lease_until": now + self.lease,
                                                    "claim_owner": self.owner}))
        return sorted(rows, key=lambda row: row.id)

    def send(self, row: OutboxMessage) -> SendOutcome:
        now = self.clock()
        if now - row.created_at > MAX_KEY_AGE:
            self._finish(row, OutboxStatus.DEAD, SendResult(SendOutcome.FAILED, error="older than its retry key"))
            return SendOutcome.FAILED
        if row.bulk_send_id is not None and self._bulk_paused.is_set():  # claimed together with the row
            self._finish(row, OutboxStatus.PENDING, SendResult(SendOutcome.QUOTA, error="bulk sends paused"),
                         next_attempt_at=now)  # that hit the monthly limit: hand it back untouched
            return SendOutcome.QUOTA
        endpoint, result = self._call_line(row, now)
        self._record(row, endpoint, result)
        return result.outcome

    def _call_line(self, row: OutboxMessage, now: dt.datetime) -> tuple[str, SendResult]:
        """Make the row's call; returns which endpoint answered and how."""
        if row.kind == OutboxKind.LINK_RICH_MENU:
            return RICH_MENU_LINK, self._timed(RICH_MENU_LINK, link_rich_menu, self.gateway, row)
        if row.kind == OutboxKind.MULTICAST:
            return "multicast", self._timed("multicast", self.gateway.multicast, row.recipients or [],
                                            row.messages, row.retry_key)
        if row.kind == OutboxKind.REPLY and row.reply_token and row.reply_deadline and now < row.reply_deadline:
            result = self._timed("reply", self.gateway.reply, row.reply_token, row.messages)
            if result.outcome is not SendOutcome.INVALID_REPLY_TOKEN:
                return "reply", result  # sent, refused, or unknown (then retried as a reply while fresh)
            if row.attempts > 1:  # an earlier reply of this row got no answer: LINE took it, the token is spent
                return "reply", SendResult(SendOutcome.SENT, status=result.status, request_id=result.request_id,
                                           error="accepted on an earlier attempt whose answer was lost")
            # The token expired or was spent elsewhere: push with the row's retry key instead.
        return "push", self._timed("push", self.gateway.push, row.to_id, row.messages, row.retry_key)

    def _timed(self, endpoint: str, call, *args) -> SendResult:
        self.limiter.acquire(endpoint)
        result = call(*args)
        metrics.record_send(endpoint, result.outcome.value, result.seconds)
        return result

    def _record(self, row: OutboxMessage, endpoint: str, result: SendResult) -> None:
        if result.outcome is SendOutcome.SENT:
            self._finish(row, OutboxStatus.SENT, result)
        elif result.outcome is SendOutcome.FAILED:
            self._finish(row, OutboxStatus.FAILED, result)
        elif result.outcome is SendOutcome.QUOTA:
            self._on_quota(row, result)
        elif endpoint == "reply":  # unknown fate: ask again with the same token soon, while it lives
            self._finish(row, OutboxStatus.PENDING, result, next_attempt_at=self.clock() + REPLY_RETRY_AFTER)
        else:
            self._finish(row, OutboxStatus.PENDING, result, as_push=row.kind == OutboxKind.REPLY,
                         next_attempt_at=self.clock() + backoff(row.attempts, self.rng))
        log.info("outbox send", extra={"outbox_id": row.id, "kind": row.kind, "outcome": result.outcome.value,
                                       "status": result.status, "attempt": row.attempts,
                                       "recipients": row.recipient_count})

    def _on_quota(self, row: OutboxMessage, result: SendResult) -> None:
        """LINE's monthly limit: pause bulk sends, tell the coordinators once, keep the row for later."""
        now = self.clock()
        if row.bulk_send_id is not None:
            self._bulk_paused.set()
        with self.db.transaction() as session:
            pause.pause_bulk(session, now, reason=result.error or "monthly limit")
        retry_at = now if row.kind == OutboxKind.MULTICAST else now + QUOTA_PAUSE  # bulk rows wait on the pause
        self._finish(row, OutboxStatus.PENDING, result, next_attempt_at=retry_at)

    def _finish(self, row: OutboxMessage, status: str, result: SendResult,
                next_attempt_at: dt.datetime | None = None, as_push: bool = False) -> None:
        now = self.clock()
        values = {"status": status, "http_status": result.status, "line_request_id": result.request_id,
                  "last_error": result.error, "lease_until": None, "lease_owner": None}
        if status == OutboxStatus.SENT:
            values.update(sent_at=now, accepted_request_id=result.accepted_request_id)
        if as_push:  # the reply token is gone: from now on this row is a push with its retry key
            values.update(kind=OutboxKind.PUSH, reply_token=None)
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        with self.db.connection() as connection:
            connection.execute(update(OutboxMessage).where(
                OutboxMessage.id == row.id, OutboxMessage.lease_owner == self.owner).values(**values))


def link_rich_menu(gateway: LineGateway, row: OutboxMessage) -> SendResult:
    """A LINK_RICH_MENU row's call: link the menu in its messages to the user, or unlink when there is none
    (idempotent, so a retry needs no retry key)."""
    if row.messages:
        return gateway.link_rich_menu(row.to_id, row.messages[0]["richMenuId"])
    return gateway.unlink_rich_menu(row.to_id)


@functools.cache
def claim_statement(dialect: str, bulk_paused: bool):
    """Mark the claimable rows `sending` under this worker's lease and return them; built once per dialect
    (parameters: claim_now, claim_limit, claim_lease_until, claim_owner)."""
    timestamp = OutboxMessage.__table__.c.next_attempt_at.type
    ids = claimable_ids(bindparam("claim_now", type_=timestamp), bindparam("claim_limit"), dialect, bulk_paused)
    return (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids.scalar_subquery()))
        .values(status=OutboxStatus.SENDING, lease_until=bindparam("claim_lease_until", type_=timestamp),
                lease_owner=bindparam("claim_owner"), attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )


def claimable_ids(now, limit, dialect: str, bulk_paused: bool = False):
    """Rows due now (or whose lease ran out) with no earlier open row for the same recipient;
    bulk rows are left alone while bulk sends are paused."""
    earlier = aliased(OutboxMessage)
    earlier_open = (
        select(earlier.id)
        .where(earlier.to_id == OutboxMessage.to_id, earlier.id < OutboxMessage.id,
               earlier.status.in_(OutboxStatus.OPEN))
        .exists()
    )
    due = or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now),
    )
    query = select(OutboxMessage.id).where(due, ~earlier_open)
    if bulk_paused:
        query = query.where(OutboxMessage.bulk_send_id.is_(None))
    query = query.order_by(OutboxMessage.id).limit(limit)
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query
