"""Delivery under faults: LINE failing or losing its answers, a worker killed mid-send, two workers at
once, the database going away. Each test checks what an operator would check afterwards: every message
reached every recipient exactly once, and every outbox row ended in the state that says so.

"Accepted" below means LINE took the call: it answered 200, or it took the call but its answer was lost
(a later retry with the same key got 409 naming that call's request id).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot import bulk, replies
from bot.clock import system_clock
from bot.delivery import BACKOFF_CAP_SECONDS, DeliveryWorker
from bot.messaging import LineGateway
from bot.outbox import enqueue_replies
from models import OutboxKind, OutboxMessage, OutboxStatus
from models.db import Database
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET
from tests.polling import wait_until
from tests.test_bulk import add_users, progress, queue_campaign

MULTICAST = "/v2/bot/message/multicast"
PUSH = "/v2/bot/message/push"
SEND_PATHS = (PUSH, MULTICAST)
REPO_ROOT = Path(__file__).resolve().parent.parent
SHORT_TIMEOUT = (1.0, 0.3)  # connect, read: the gateway gives up on a held call quickly
HOLD = 0.6  # how long the sandbox holds a "timed out" call before dropping the connection
MAX_ROUNDS = 25  # rounds of the in-process worker, each after every backoff has run out


# -- setting up ------------------------------------------------------------------------------------------
def register(sandbox, user_ids) -> None:
    """Make the users known to the sandbox, so it keeps a transcript of what reaches them."""
    for user_id in user_ids:
        sandbox.user(user_id)


def queue_pushes(db, clock, user_ids, per_user: int = 2) -> None:
    """`per_user` one-to-one pushes to each user, each its own outbox row (they must arrive in order)."""
    with db.transaction() as session:
        for user_id in user_ids:
            for number in range(1, per_user + 1):
                enqueue_replies(session, user_id, [replies.text(f"แจ้งเตือนที่ {number}")], clock())


def add_send_faults(sandbox, paths=SEND_PATHS, accepted_timeouts: bool = True) -> None:
    """About 30% of calls fail: 500s, rate-limit 429s and timeouts; with `accepted_timeouts`, some calls
    are taken by LINE but their answer is lost (a timeout, or a 500 after acceptance)."""
    for path in paths:
        sandbox.faults.add(path=path, status=500, rate=0.10)
        sandbox.faults.add(path=path, status=429, rate=0.08)  # "Too Many Requests": the rate limit
        sandbox.faults.add(path=path, status=None, timeout=HOLD, rate=0.05)
        if accepted_timeouts:
            sandbox.faults.add(path=path, status=None, timeout=HOLD, rate=0.04, accept=True)
            sandbox.faults.add(path=path, status=500, rate=0.03, accept=True)


def short_timeout_gateway(sandbox) -> LineGateway:
    return LineGateway(sandbox.base_url, ACCESS_TOKEN, timeout=SHORT_TIMEOUT)


# -- reading the outcome -----------------------------------------------------------------------------------
def all_rows(db) -> list[OutboxMessage]:
    with db.transaction() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def count_rows(db, *statuses: str) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status.in_(statuses)))



def settled_rows(sandbox, db) -> list[OutboxMessage]:
    """The final rows, once every call a 409 names is in the sandbox's log (a held call is logged when
    its hold ends)."""
    sandbox.faults.release_holds()
    rows = all_rows(db)
    named = {row.accepted_request_id for row in rows if row.accepted_request_id}
    wait_until(lambda: named <= {call["request_id"] for call in sandbox.calls()}, 10,
               "every call named by a 409 is in the sandbox's log")
    return rows


def accepted_calls(sandbox, rows) -> list[dict]:
    named = {row.accepted_request_id for row in rows if row.accepted_request_id}
    return [call for call in sandbox.calls() if call["path"] in SEND_PATHS
            and (call["status"] == 200 or call["request_id"] in named)]


def assert_sent_exactly_once(sandbox, rows) -> None:
    """Each sent row was accepted by LINE exactly once (nothing else was), each multicast recipient is in
    exactly one accepted call, each user's transcript holds exactly the messages of the sent rows, one
    user's pushes arrived in order, and every 409 is recorded against the call LINE had accepted."""
    accepted = accepted_calls(sandbox, rows)
    sent = [row for row in rows if row.status == OutboxStatus.SENT]
    assert Counter(call["retry_key"] for call in accepted) == Counter(row.retry_key for row in sent)
    assert Counter(user_id for call in accepted if call["path"] == MULTICAST for user_id in call["body"]["to"]) \
        == Counter(user_id for row in sent if row.kind == OutboxKind.MULTICAST for user_id in row.recipients)

    expected, users = Counter(), set()
    for row in rows:
        recipients = row.recipients if row.kind == OutboxKind.MULTICAST else [row.to_id]
        users.update(recipients)
        if row.status == OutboxStatus.SENT:
            expected.update((user_id, message["text"]) for user_id in recipients for message in row.messages)
    delivered = Counter((user_id, message["text"]) for user_id in users
                        for message in sandbox.messages_for(user_id))
    assert delivered == expected, f"{sum((delivered - expected).values())} extra, " \
                                  f"{sum((expected - delivered).values())} missing deliveries"

    pushed_in_order = {}
    for row in sent:
        if row.kind == OutboxKind.PUSH:
            pushed_in_order.setdefault(row.to_id, []).extend(message["text"] for message in row.messages)
    for user_id, texts in pushed_in_order.items():
        arrived = [message["text"] for message in sandbox.messages_for(user_id) if message["text"] in texts]
        assert arrived == texts, f"pushes to {user_id} out of order"

    by_request_id = {call["request_id"]: call for call in sandbox.calls()}
    for row in rows:
        if row.http_status == 409:
            assert row.status == OutboxStatus.SENT and row.accepted_request_id is not None
            assert by_request_id[row.accepted_request_id]["retry_key"] == row.retry_key


def drive(worker: DeliveryWorker, clock, db, max_rounds: int = MAX_ROUNDS) -> int:
    """Run the in-process worker until no row is open, moving the clock past every backoff between rounds."""
    for round_number in range(1, max_rounds + 1):
        worker.run_until_idle()
        if count_rows(db, *OutboxStatus.OPEN) == 0:
            return round_number
        clock.advance(seconds=BACKOFF_CAP_SECONDS)
    pytest.fail(f"{count_rows(db, *OutboxStatus.OPEN)} rows still open after {max_rounds} rounds")


# -- 1. LINE failing about 30% of the calls ------------------------------------------------------------------
def test_line_failing_about_30_percent_of_calls_still_delivers_every_message_exactly_once(db, clock, sandbox):
    users = add_users(db, clock, 3000)
    register(sandbox, users)
    queue_campaign(db, clock)
    queue_pushes(db, clock, users[:200])
    sandbox.faults.seed(20261122)
    for path in SEND_PATHS:  # the first call of each kind is taken by LINE but its answer never arrives
        sandbox.faults.add(path=path, status=None, timeout=HOLD, accept=True, times=1)
    add_send_faults(sandbox)
    worker = DeliveryWorker(db, short_timeout_gateway(sandbox), clock, senders=4, rng=random.Random(1))

    drive(worker, clock, db)

    rows = settled_rows(sandbox, db)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert_sent_exactly_once(sandbox, rows)
    statuses = Counter(call["status"] for call in sandbox.calls() if call["path"] in SEND_PATHS)
    assert statuses[500] and statuses[429] and statuses[504], "the faults did happen"
    conflicted = [row for row in rows if row.http_status == 409]
    assert {row.kind for row in conflicted} == {OutboxKind.PUSH, OutboxKind.MULTICAST}, \
        "a call LINE took but whose answer was lost is retried, answered 409, and counted as sent"


# -- 2. a worker process killed mid-send ----------------------------------------------------------------------
@contextlib.contextmanager
def worker_process(database_url: str, sandbox, log_path: Path, multicast_rate: float):
    """`flask --app app worker` as a real process, killed on the way out whatever happens."""
    env = {**os.environ, "DATABASE_URL": database_url, "LINE_API_BASE_URL": sandbox.base_url,
           "LINE_CHANNEL_SECRET": CHANNEL_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
           "APP_ENV": "test", "START_SCHEDULER": "0", "DELIVERY_LEASE_SECONDS": "2", "DELIVERY_THREADS": "4",
           "RATE_MULTICAST_PER_S": str(multicast_rate), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=REPO_ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def accepted_batches(sandbox) -> int:
    return sum(1 for call in sandbox.calls(path=MULTICAST) if call["status"] == 200)


def log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def test_a_worker_killed_mid_send_loses_and_doubles_nothing(db, sandbox, tmp_path):
    users = add_users(db, system_clock, 10_000)
    register(sandbox, users)
    bulk_id, _, batches = queue_campaign(db, system_clock)  # the worker processes live on the real clock
    assert batches == 20
    sandbox.faults.add(path=MULTICAST, status=None, latency=0.5)  # so calls are in flight at the kill
    keys_before = {row.id: row.retry_key for row in all_rows(db)}

    first_log = tmp_path / "first-worker.log"
    with worker_process(db.url, sandbox, first_log, multicast_rate=4) as first:
        wait_until(lambda: accepted_batches(sandbox) >= 4 or first.poll() is not None, 60,
                   "the first worker has had 4 batches accepted")
        assert first.poll() is None, f"the worker exited early:\n{log_tail(first_log)}"
        first.kill()  # SIGKILL: no clean-up of any kind
        first.wait(timeout=10)
    accepted_at_kill = accepted_batches(sandbox)
    assert accepted_at_kill < batches, "killed mid-way (lower RATE_MULTICAST_PER_S if this fails)"
    left_sending = {row.id for row in all_rows(db) if row.status == OutboxStatus.SENDING}
    assert left_sending, "the dead worker left claimed rows behind"

    second_log = tmp_path / "second-worker.log"
    with worker_process(db.url, sandbox, second_log, multicast_rate=200) as second:
        wait_until(lambda: count_rows(db, *OutboxStatus.OPEN) == 0 or second.poll() is not None, 60,
                   "the second worker has sent every batch")
        assert second.poll() is None, f"the worker exited early:\n{log_tail(second_log)}"

    rows = settled_rows(sandbox, db)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert progress(db, bulk_id) == bulk.Progress(queued=0, sent=10_000, failed=0)
    assert {row.id: row.retry_key for row in rows} == keys_before, "reclaimed rows keep their retry key"
    key_of_batch = {tuple(row.recipients): row.retry_key for row in rows}
    for call in sandbox.calls(path=MULTICAST):
        assert call["retry_key"] == key_of_batch[tuple(call["body"]["to"])], "a batch is always sent with its key"
    assert all(row.attempts >= 2 for row in rows if row.id in left_sending), "reclaimed after the lease"
    assert_sent_exactly_once(sandbox, rows)
    assert Counter(user_id for call in accepted_calls(sandbox, rows) for user_id in call["body"]["to"]) \
        == Counter(users), "each of the 10,000 recipients is in exactly one accepted call"


# -- 3. two workers at once -----------------------------------------------------------------------------------
class RecordingGateway(LineGateway):
    """A gateway that remembers the retry key of every call it makes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys: list[str] = []

    def push(self, to, messages, retry_key):
        self.keys.append(retry_key)
        return super().push(to, messages, retry_key)

    def multicast(self, to, messages, retry_key):
        self.keys.append(retry_key)
        return super().multicast(to, messages, retry_key)


def test_two_workers_at_once_never_send_a_message_twice(db, clock, sandbox):
    users = add_users(db, clock, 2500)
    register(sandbox, users)
    queue_campaign(db, clock)
    queue_pushes(db, clock, users[:400])
    sandbox.faults.seed(7)
    add_send_faults(sandbox, accepted_timeouts=False)  # nothing LINE takes is lost: any 409 is a double send
    databases = [Database(db.url) for _ in range(2)]
    workers = [DeliveryWorker(database, RecordingGateway(sandbox.base_url, ACCESS_TOKEN, timeout=SHORT_TIMEOUT),
                              clock, senders=4, batch_size=20, owner=f"worker-{number}", rng=random.Random(number))
               for number, database in enumerate(databases, start=1)]
    overlaps, senders_seen = set(), set()
    try:
        with ThreadPoolExecutor(2, thread_name_prefix="test-worker") as pool:
            for _ in range(MAX_ROUNDS):  # the clock stands still in a round: a row is due at most once in it
                for future in [pool.submit(worker.run_until_idle) for worker in workers]:
                    future.result(timeout=60)
                first, second = (set(worker.gateway.keys) for worker in workers)
                overlaps |= first & second
                senders_seen |= {worker.owner for worker in workers if worker.gateway.keys}
                for worker in workers:
                    worker.gateway.keys.clear()
                if count_rows(db, *OutboxStatus.OPEN) == 0:
                    break
                clock.advance(seconds=BACKOFF_CAP_SECONDS)
            else:
                pytest.fail(f"rows still open after {MAX_ROUNDS} rounds")
    finally:
        for database in databases:
            database.dispose()

    rows = settled_rows(sandbox, db)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert senders_seen == {"worker-1", "worker-2"}, "both workers sent"
    assert not overlaps, "no row was sent by both workers in the same round"
    calls = [call for call in sandbox.calls() if call["path"] in SEND_PATHS]
    assert not [call for call in calls if call["status"] == 409], "no retry key was used for a second send"
    assert Counter(call["status"] for call in calls)[500], "the faults did happen"
    assert_sent_exactly_once(sandbox, rows)


# -- 4. a batch LINE refuses, among other failures ---------------------------------------------------------------
def test_a_batch_refused_on_its_retry_fails_with_lines_answer_while_the_rest_go_out(db, clock, sandbox):
    users = add_users(db, clock, 2000)
    register(sandbox, users)
    bulk_id, _, _ = queue_campaign(db, clock)
    worker = DeliveryWorker(db, short_timeout_gateway(sandbox), clock, senders=1, rng=random.Random(4))
    sandbox.faults.seed(4)
    sandbox.faults.add(path=MULTICAST, status=500, times=1)  # the first batch fails once ...
    add_send_faults(sandbox, paths=(MULTICAST,))  # (while other calls fail too)
    worker.run_until_idle()
    sandbox.faults.clear()
    sandbox.faults.add(path=MULTICAST, status=400, times=1, message="The request body has 1 error(s)")
    add_send_faults(sandbox, paths=(MULTICAST,))  # ... and is refused on its retry, the first call of round 2
    clock.advance(seconds=BACKOFF_CAP_SECONDS)

    drive(worker, clock, db)

    rows = settled_rows(sandbox, db)
    refused = rows[0]
    assert (refused.status, refused.http_status, refused.attempts) == (OutboxStatus.FAILED, 400, 2)
    assert "1 error" in refused.last_error
    assert {row.status for row in rows[1:]} == {OutboxStatus.SENT}
    assert progress(db, bulk_id) == bulk.Progress(queued=0, sent=1500, failed=500)
    assert_sent_exactly_once(sandbox, rows)


# -- 5. the database going away while the worker runs -----------------------------------------------------------
def terminate_connections(db, application_name: str) -> None:
    """A PostgreSQL restart as the worker sees it: every connection it holds is cut by the server.
    (Only the worker's: other sessions on the test database, e.g. the test's own, are left alone.)"""
    with db.engine.connect() as connection:
        killed = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND application_name = :name"), {"name": application_name}).scalar()
    assert killed, "the worker had connections to cut"


def lock_sqlite_for_a_while(db, seconds: float = 1.5) -> None:
    """An SQLite outage: another connection holds the database exclusively, so every write waits."""
    connection = sqlite3.connect(db.engine.url.database, timeout=10, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)  # the outage itself
        connection.execute("COMMIT")
    finally:
        connection.close()


def test_the_worker_rides_out_the_database_going_away(db, sandbox):
    users = add_users(db, system_clock, 5000)
    register(sandbox, users)
    queue_campaign(db, system_clock)
    queue_pushes(db, system_clock, users[:300])
    sandbox.faults.add(path=MULTICAST, status=None, latency=0.3)
    sandbox.faults.add(path=PUSH, status=None, latency=0.02)
    application_name = f"fault-test-{uuid.uuid4().hex[:8]}"
    postgres = db.dialect == "postgresql"
    worker_db = Database(db.url, **({"connect_args": {"application_name": application_name}} if postgres else {}))
    worker = DeliveryWorker(worker_db, LineGateway(sandbox.base_url, ACCESS_TOKEN, timeout=(1.0, 5.0)),
                            system_clock, senders=4, batch_size=10, lease=dt.timedelta(seconds=2))
    stop, wakeup = threading.Event(), threading.Event()
    loop = threading.Thread(target=worker.run_forever, args=(stop, wakeup), kwargs={"idle_seconds": 0.1},
                            name="delivery-loop", daemon=True)
    total = count_rows(db, OutboxStatus.PENDING)

    def wait_for_loop(condition, timeout: float, what: str) -> None:
        wait_until(lambda: condition() or not loop.is_alive(), timeout, what)
        assert loop.is_alive(), f"the delivery loop died before {what}"

    loop.start()
    try:
        for share in (0.2, 0.5):  # two outages, each while messages are going out
            wait_for_loop(lambda share=share: count_rows(db, OutboxStatus.SENT) >= total * share, 30,
                          f"{share:.0%} was sent")
            if postgres:
                terminate_connections(db, application_name)
            else:
                lock_sqlite_for_a_while(db)
        wait_for_loop(lambda: count_rows(db, *OutboxStatus.OPEN) == 0, 60, "every row was sent")
        queue_pushes(db, system_clock, users[-1:], per_user=1)  # the loop still serves new messages
        wakeup.set()
        wait_for_loop(lambda: count_rows(db, *OutboxStatus.OPEN) == 0, 15, "the message queued after was sent")
    finally:
        stop.set()
        wakeup.set()
        loop.join(timeout=15)
        worker_db.dispose()

    rows = settled_rows(sandbox, db)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert_sent_exactly_once(sandbox, rows)


# -- a reply whose answer was lost ---------------------------------------------------------------------------
def test_a_reply_line_took_but_whose_answer_was_lost_is_not_delivered_twice(app, db, clock, sandbox, youth):
    sandbox.faults.add(path="/v2/bot/message/reply", status=None, timeout=HOLD, accept=True, times=1)
    youth.follow()  # the greeting is queued as a reply
    worker = DeliveryWorker(db, short_timeout_gateway(sandbox), clock)

    worker.run_until_idle()  # no answer: the row waits a second to ask again, with the same token
    clock.advance(seconds=2)
    worker.run_until_idle()  # LINE: "Invalid reply token" while it should still live, so it was used: sent

    rows = settled_rows(sandbox, db)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert len(sandbox.messages_for(youth.user_id)) == 1
    assert sandbox.calls(path="/v2/bot/message/push") == []


def test_a_reply_whose_token_ran_out_unanswered_is_pushed_with_its_retry_key(app, db, clock, sandbox, youth):
    sandbox.faults.add(path="/v2/bot/message/reply", status=500, times=1)  # LINE did not take it
    youth.follow()
    worker = DeliveryWorker(db, short_timeout_gateway(sandbox), clock)
    worker.run_until_idle()
    clock.advance(seconds=61)  # the worker was away until the token died
    worker.run_until_idle()
    rows = settled_rows(sandbox, db)
    (push,) = sandbox.calls(path="/v2/bot/message/push")
    assert push["status"] == 200 and push["retry_key"] == rows[0].retry_key
    assert len(sandbox.messages_for(youth.user_id)) == 1
