"""The scheduler as an operator sees it: one active replica runs each due time of each job once, a standby
takes over within a minute when the active one dies (at once when it stops cleanly), a failing job is
retried without stopping the others, and `flask --app app scheduler` runs it.

Time is a ManualClock and ticks are called directly; only the last tests run the real loop (in a
thread, and as two processes), bounded in time.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import scheduler as scheduler_module
from bot.heartbeats import beat, fresh
from bot.leases import holder_of, try_acquire
from bot.scheduler import JOBS, Job, SchedulerRunner, register
from models import Heartbeat, SchedulerTick, SystemFlag
from models.db import Database
from models.schema import upgrade_to_head
from tests.polling import wait_for

ROOT = Path(__file__).resolve().parent.parent
TTL = dt.timedelta(seconds=30)
INTERVAL = dt.timedelta(seconds=5)


class CountingJob:
    """A job body that records each run in memory and as a row written in the tick's transaction."""

    def __init__(self, fail_times: int = 0):
        self.runs: list[dt.datetime] = []
        self.fail_times = fail_times
        self._lock = threading.Lock()

    def __call__(self, session, now):
        session.add(SystemFlag(name=uuid.uuid4().hex, value={"at": now.isoformat()}, updated_at=now))
        with self._lock:
            if self.fail_times:
                self.fail_times -= 1
                session.flush()  # the row is written, then the job fails: both must roll back
                raise RuntimeError("job failed")
            self.runs.append(now)


def count(db, model) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def ticks(db) -> list[tuple[str, dt.datetime, str]]:
    with db.sessions() as session:
        rows = session.scalars(select(SchedulerTick).order_by(SchedulerTick.job, SchedulerTick.due_at))
        return [(row.job, row.due_at, row.holder) for row in rows]


def heartbeat_roles(db, now) -> dict[str, str]:
    return {row.component: row.details["role"] for row in fresh(db, "scheduler", now, dt.timedelta(minutes=1))}


@pytest.fixture
def make_runner(db, clock):
    def make(holder, *jobs, **options):
        return SchedulerRunner(db, clock, holder=holder, lease_ttl=TTL, interval=INTERVAL, jobs=jobs, **options)

    return make


def test_due_times_are_aligned_to_the_interval():
    job = Job("every-10-min", dt.timedelta(minutes=10), lambda session, now: None)
    three_twenty = dt.datetime(2026, 11, 22, 3, 20, tzinfo=dt.UTC)
    assert job.due_at(three_twenty + dt.timedelta(minutes=7, seconds=41)) == three_twenty
    assert job.due_at(three_twenty) == three_twenty
    assert job.due_at(three_twenty - dt.timedelta(microseconds=1)) == three_twenty - dt.timedelta(minutes=10)
    with pytest.raises(ValueError):
        Job("never", dt.timedelta(0), lambda session, now: None)


def test_two_replicas_ticking_together_run_each_due_time_once_on_the_lease_holder(db, clock, make_runner):
    body = CountingJob()
    job = Job("every-minute", dt.timedelta(minutes=1), body)
    first, second = make_runner("replica-a", job), make_runner("replica-b", job)
    ran_by = {"replica-a": [], "replica-b": []}
    for _ in range(36):  # three minutes in steps of five seconds
        now = clock()
        ran_by["replica-a"] += first.tick(now)
        ran_by["replica-b"] += second.tick(now)
        clock.advance(seconds=5)
    assert ran_by == {"replica-a": ["every-minute"] * 3, "replica-b": []}
    assert (first.role, second.role) == ("active", "standby")
    start = body.runs[0]
    assert [due for _, due, _ in ticks(db)] == [start, start + dt.timedelta(minutes=1), start + dt.timedelta(minutes=2)]
    assert {holder for _, _, holder in ticks(db)} == {"replica-a"}
    assert count(db, SystemFlag) == len(body.runs) == 3


def test_with_the_lease_broken_no_due_time_runs_twice(db, clock, make_runner):
    """Two schedulers that both believe they are active (separate leases), ticking at once from threads."""
    body = CountingJob()
    job = Job("every-minute", dt.timedelta(minutes=1), body)
    runners = [make_runner("replica-a", job, lease_name="lease-a"), make_runner("replica-b", job, lease_name="lease-b")]
    instants = [clock() + dt.timedelta(seconds=5 * step) for step in range(36)]
    barrier = threading.Barrier(len(runners), timeout=60)

    def tick_along(runner):
        for instant in instants:
            barrier.wait()
            runner.tick(instant)

    threads = [threading.Thread(target=tick_along, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert all(runner.active for runner in runners)
    assert len(ticks(db)) == len(body.runs) == count(db, SystemFlag) == 3
    assert len({due for _, due, _ in ticks(db)}) == 3


def test_a_standby_takes_over_within_a_minute_when_the_active_scheduler_dies(db, clock, make_runner):
    body = CountingJob()
    job = Job("every-30-s", dt.timedelta(seconds=30), body)
    active, standby = make_runner("replica-a", job), make_runner("replica-b", job)
    for _ in range(3):
        active.tick(clock())
        standby.tick(clock())
        clock.advance(seconds=5)
    died_at = clock() - INTERVAL  # replica-a's last renewal; from now on it never ticks again
    ran: list[str] = []
    while not standby.active:
        assert clock() - died_at < dt.timedelta(minutes=1), "no takeover within a minute"
        ran = standby.tick(clock())
        clock.advance(seconds=5)
    took_over_at = clock() - INTERVAL
    assert took_over_at - died_at <= TTL + INTERVAL
    assert ran == ["every-30-s"]  # the due time the dead scheduler missed runs at the takeover tick
    assert [holder for _, _, holder in ticks(db)] == ["replica-a", "replica-b"]
    assert holder_of(db, "scheduler", took_over_at) == "replica-b"
    assert not active.tick(clock()) and active.role == "standby"  # coming back, it waits its turn


def test_a_clean_stop_hands_the_lease_to_the_standby_at_its_next_tick(db, clock, make_runner):
    job = Job("every-minute", dt.timedelta(minutes=1), CountingJob())
    active, standby = make_runner("replica-a", job), make_runner("replica-b", job)
    active.tick(clock())
    standby.tick(clock())
    active.shutdown()
    assert holder_of(db, "scheduler", clock()) is None
    clock.advance(seconds=5)
    standby.tick(clock())
    assert standby.active
    assert heartbeat_roles(db, clock()) == {"scheduler:replica-a": "stopped", "scheduler:replica-b": "active"}


def test_a_repeated_tick_for_the_same_due_time_changes_nothing(db, clock, make_runner):
    body = CountingJob()
    job = Job("every-10-min", dt.timedelta(minutes=10), body)
    assert make_runner("replica-a", job).tick(clock()) == ["every-10-min"]
    before = (ticks(db), count(db, SystemFlag))
    restarted = make_runner("replica-a", job)  # same holder, nothing remembered in memory
    assert restarted.tick(clock()) == []
    assert restarted.tick(clock.advance(minutes=9)) == []
    assert (ticks(db), count(db, SystemFlag), len(body.runs)) == (*before, 1)


def test_a_failing_job_is_rolled_back_retried_later_and_does_not_stop_the_others(db, clock, make_runner, caplog):
    flaky, steady = CountingJob(fail_times=1), CountingJob()
    runner = make_runner("replica-a", Job("flaky", dt.timedelta(minutes=10), flaky),
                         Job("steady", dt.timedelta(minutes=10), steady))
    due = Job("any", dt.timedelta(minutes=10), steady).due_at(clock())
    assert runner.tick(clock()) == ["steady"]
    assert "scheduler job failed" in caplog.text
    assert ticks(db) == [("steady", due, "replica-a")]
    assert count(db, SystemFlag) == 1  # the failed job's row went with its rollback
    assert runner.tick(clock.advance(seconds=5)) == []  # not hammered at every tick
    assert runner.active
    assert runner.tick(clock.advance(seconds=55)) == ["flaky"]  # a minute later: same due time, now fine
    assert ticks(db) == [("flaky", due, "replica-a"), ("steady", due, "replica-a")]
    assert len(flaky.runs) == 1


def test_the_tick_loop_survives_a_database_error(db, clock, make_runner, monkeypatch, caplog):
    runner = make_runner("replica-a", Job("every-minute", dt.timedelta(minutes=1), CountingJob()))

    def broken(*args, **kwargs):
        raise ConnectionError("database restarting")

    monkeypatch.setattr(scheduler_module, "try_acquire", broken)
    runner._tick_safely()
    assert "scheduler tick failed" in caplog.text
    monkeypatch.setattr(scheduler_module, "try_acquire", try_acquire)
    runner._tick_safely()
    assert runner.active and len(ticks(db)) == 1


def test_heartbeats_show_the_active_scheduler_and_the_sweep_forgets_old_ones(db, clock, make_runner):
    beat(db, "worker:gone", "worker", clock() - dt.timedelta(days=2))
    beat(db, "worker:alive", "worker", clock())
    active = SchedulerRunner(db, clock, holder="replica-a")  # the registered jobs
    standby = make_runner("replica-b")
    assert "heartbeat-sweep" in active.tick(clock())
    standby.tick(clock())
    assert heartbeat_roles(db, clock()) == {"scheduler:replica-a": "active", "scheduler:replica-b": "standby"}
    with db.sessions() as session:
        assert set(session.scalars(select(Heartbeat.component))) == {
            "worker:alive", "scheduler:replica-a", "scheduler:replica-b"}
    assert [row.component for row in fresh(db, "worker", clock(), dt.timedelta(minutes=1))] == ["worker:alive"]
    assert fresh(db, "worker", clock.advance(minutes=2), dt.timedelta(minutes=1)) == []


def test_register_adds_a_job_to_schedulers_built_without_a_job_list(db, clock, monkeypatch):
    monkeypatch.setattr(scheduler_module, "JOBS", list(JOBS))
    body = CountingJob()
    register(Job("reminders", dt.timedelta(minutes=1), body))
    with pytest.raises(ValueError, match="already registered"):
        register(Job("reminders", dt.timedelta(minutes=5), body))
    ran = set(SchedulerRunner(db, clock, holder="replica-a").tick(clock()))
    assert ran == {job.name for job in JOBS} | {"reminders"}


def test_tick_records_older_than_a_week_are_swept(db, clock):
    runner = SchedulerRunner(db, clock, holder="replica-a", jobs=[Job("daily", dt.timedelta(days=1), CountingJob())])
    runner.tick(clock())
    clock.advance(days=8)
    SchedulerRunner(db, clock, holder="replica-a", jobs=[job for job in JOBS if job.name == "tick-sweep"]).tick()
    with db.transaction() as session:
        assert set(session.scalars(select(SchedulerTick.job))) == {"tick-sweep"}


def test_a_lease_shorter_than_two_intervals_is_refused(db, clock):
    with pytest.raises(ValueError):
        SchedulerRunner(db, clock, lease_ttl=dt.timedelta(seconds=8), interval=dt.timedelta(seconds=5))



def test_the_loop_runs_in_a_thread_and_releases_the_lease_when_stopped(db, clock):
    body = CountingJob()
    job = Job("every-minute", dt.timedelta(minutes=1), body)
    runner = SchedulerRunner(db, clock, holder="replica-a", interval=dt.timedelta(seconds=0.05),
                             lease_ttl=dt.timedelta(seconds=1), jobs=[job])
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: body.runs, timeout=10)
        assert holder_of(db, "scheduler", clock()) == "replica-a"
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert holder_of(db, "scheduler", clock()) is None
    assert runner.role == "stopped"


def test_cli_scheduler_help_and_once(runner, db, clock):
    help_text = runner.invoke(args=["scheduler", "--help"])
    assert help_text.exit_code == 0 and "hot standby" in help_text.output
    once = runner.invoke(args=["scheduler", "--once"])
    assert once.exit_code == 0 and "heartbeat-sweep" in once.output
    assert holder_of(db, "scheduler", clock()) is None  # released on exit
    try_acquire(db, "scheduler", "another-replica", clock(), TTL)
    assert "standby" in runner.invoke(args=["scheduler", "--once"]).output
    assert runner.invoke(args=["scheduler", "--interval", "10", "--lease-ttl", "5"]).exit_code == 2


@pytest.fixture
def scheduler_processes(tmp_path):
    """Start `flask --app app scheduler` processes on a temporary SQLite file; stop them all at the end."""
    url = f"sqlite:///{tmp_path / 'scheduler.sqlite3'}"
    upgrade_to_head(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_URL", "APP_ENV"))}
    env.update(DATABASE_URL=url, PYTHONUNBUFFERED="1")
    processes: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        command = [sys.executable, "-m", "flask", "--app", "app", "scheduler", "--interval", "0.2", "--lease-ttl", "1"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)
        return process

    database = Database(url)
    yield database, start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    database.dispose()


def test_two_scheduler_processes_fail_over_and_hand_over(scheduler_processes):
    database, start = scheduler_processes

    def roles():
        now = dt.datetime.now(dt.UTC)
        return {row.component.split(":")[2]: row.details["role"]
                for row in fresh(database, "scheduler", now, dt.timedelta(seconds=2))}

    first = start()
    assert wait_for(lambda: roles().get(str(first.pid)) == "active")
    second = start()
    assert wait_for(lambda: roles().get(str(second.pid)) == "standby")
    first.send_signal(signal.SIGKILL)  # dies without releasing its lease
    killed_at = time.monotonic()
    assert wait_for(lambda: roles().get(str(second.pid)) == "active")
    assert time.monotonic() - killed_at < 10  # lease ttl 1 s + interval 0.2 s, plus polling
    second.send_signal(signal.SIGTERM)  # a clean stop: the lease is released
    assert second.wait(timeout=20) == 0
    assert holder_of(database, "scheduler", dt.datetime.now(dt.UTC)) is None
    assert roles().get(str(second.pid)) == "stopped"
