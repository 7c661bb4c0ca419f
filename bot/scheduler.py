"""The periodic jobs, run by exactly one active scheduler; any other replica waits as a hot standby.

Every process that runs a scheduler (the embedded mode's thread, each `flask --app app scheduler`) ticks
every few seconds. A tick tries to take or renew the database lease "scheduler" (bot/leases.py): the
holder is the active scheduler and runs the jobs that are due; the others only keep trying. When the
active one dies it stops renewing, and a standby takes over at its first tick after the lease expired
(within `lease_ttl` + one interval); a clean stop releases the lease, so a standby takes over at once.

```mermaid
stateDiagram-v2
    [*] --> standby
    standby --> active: lease free or expired
    active --> active: renew lease, run due jobs
    active --> standby: lease lost (not renewed in time)
    active --> [*]: stop (release lease)
    standby --> [*]: stop
```

Jobs are data (`Job(name, every, run)`), added with `register(job)` at import time of the module that
owns them; this module knows nothing of reminders or campaigns. A job's due times are aligned to its
interval from the Unix epoch (UTC), and before `run(session, now)` the tick inserts a `SchedulerTick`
(job, due_at) row in the same transaction as the job's work: the unique pair makes a second scheduler,
or a repeated tick, skip that due time, so even with the lease broken no due time runs twice. There is no
backfill: after downtime a job runs once, for the current due time, so jobs handle everything due up to
`now`. A job that raises is rolled back with its tick row and tried again after `min(every, 1 minute)`.

APScheduler 3.x only drives the loop: one interval job per process, in its in-memory job store (its job
stores must never be shared between processes); what runs, and when, is decided by the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot import heartbeats
from bot.clock import Clock
from bot.config import Settings
from bot.leases import release, try_acquire
from models import SchedulerTick
from models.db import Database, dialect_insert

log = logging.getLogger("bot.scheduler")

LEASE_NAME = "scheduler"
HEARTBEAT_KIND = "scheduler"
DEFAULT_INTERVAL = dt.timedelta(seconds=5)
DEFAULT_LEASE_TTL = dt.timedelta(seconds=30)
JOB_RETRY_DELAY = dt.timedelta(minutes=1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Job:
    """A periodic job: `run(session, now)` (or `run(session, now, settings)` when `needs_settings`) inside
    the tick's transaction, once per `every`."""

    name: str
    every: dt.timedelta
    run: Callable[..., None]
    needs_settings: bool = False  # then `run(session, now, settings)`

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= 64:
            raise ValueError("a job name must have 1 to 64 characters")
        if self.every <= dt.timedelta(0):
            raise ValueError(f"job {self.name!r}: `every` must be positive")

    def due_at(self, now: dt.datetime) -> dt.datetime:
        """The latest due time at or before `now`: floor(now / every) * every, counted from the epoch."""
        return EPOCH + ((now - EPOCH) // self.every) * self.every


JOBS: list[Job] = []


def register(job: Job) -> Job:
    """Add a job to every scheduler built without an explicit job list; names are unique."""
    if any(existing.name == job.name for existing in JOBS):
        raise ValueError(f"a job named {job.name!r} is already registered")
    JOBS.append(job)
    return job


TICK_RETENTION = dt.timedelta(days=7)  # far longer than any job's interval, so a due time never runs again


def sweep_ticks(session: Session, now: dt.datetime) -> None:
    """Forget tick records older than a week (they only guard against running a recent due time twice)."""
    session.execute(delete(SchedulerTick).where(SchedulerTick.due_at < now - TICK_RETENTION))


register(Job("heartbeat-sweep", dt.timedelta(minutes=10), heartbeats.sweep))
register(Job("tick-sweep", dt.timedelta(hours=6), sweep_ticks))


def default_holder() -> str:
    """A name for this scheduler instance: host, process and a random suffix (no personal data)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:120]


def claim_tick(session: Session, job: str, due_at: dt.datetime, now: dt.datetime, holder: str) -> bool:
    """Insert the (job, due_at) tick row unless it exists; True if this transaction now owns that run."""
    statement = (dialect_insert(session, SchedulerTick)
                 .values(job=job, due_at=due_at, ran_at=now, holder=holder)
                 .on_conflict_do_nothing(index_elements=[SchedulerTick.job, SchedulerTick.due_at])
                 .returning(SchedulerTick.id))
    return session.execute(statement).scalar_one_or_none() is not None


class SchedulerRunner:
    """One scheduler instance: `tick(now)` is the whole protocol; `run_forever(stop)` repeats it."""

    def __init__(self, db: Database, clock: Clock, holder: str | None = None,
                 lease_ttl: dt.timedelta = DEFAULT_LEASE_TTL, jobs: Iterable[Job] | None = None,
                 interval: dt.timedelta = DEFAULT_INTERVAL, lease_name: str = LEASE_NAME,
                 settings: Settings | None = None):
        if interval <= dt.timedelta(0) or interval * 2 > lease_ttl:
            raise ValueError("the loop interval must be positive and at most half the lease ttl")
        self.db, self.clock = db, clock
        self.settings = settings or Settings()
        self.holder = holder or default_holder()
        self.lease_ttl, self.interval, self.lease_name = lease_ttl, interval, lease_name
        self._jobs = None if jobs is None else tuple(jobs)
        self.role: str | None = None  # "active", "standby" or "stopped"; None before the first tick
        self._finished: dict[str, dt.datetime] = {}  # job name -> latest due time known to be done
        self._retry_after: dict[str, dt.datetime] = {}  # job name -> when a failed job may run again

    @property
    def jobs(self) -> tuple[Job, ...]:
        """The jobs given, or else the registered ones (read at each tick)."""
        return self._jobs if self._jobs is not None else tuple(JOBS)

    @property
    def active(self) -> bool:
        return self.role == "active"

    @property
    def component(self) -> str:
        return f"scheduler:{self.holder}"[:120]

    def tick(self, now: dt.datetime | None = None) -> list[str]:
        """Take or renew the lease; when it is ours, run the due jobs. Returns the names of jobs run."""
        now = now or self.clock()
        holds_lease = try_acquire(self.db, self.lease_name, self.holder, now, self.lease_ttl)
        self._set_role("active" if holds_lease else "standby", now)
        if not holds_lease:
            return []
        return [job.name for job in self.jobs if self._run_if_due(job, now)]

    def shutdown(self, now: dt.datetime | None = None) -> None:
        """A clean stop: release the lease (a standby takes over at its next tick) and say so."""
        now = now or self.clock()
        try:
            release(self.db, self.lease_name, self.holder)
            self._set_role("stopped", now)
        except Exception:  # the database is away: the lease simply expires
            log.exception("scheduler could not release its lease", extra={"holder": self.holder})

    def _set_role(self, role: str, now: dt.datetime) -> None:
        if role != self.role:
            log.info(f"scheduler {role}", extra={"holder": self.holder, "lease": self.lease_name})
        self.role = role
        heartbeats.beat(self.db, self.component, HEARTBEAT_KIND, now, {"role": role, "lease": self.lease_name})

    def _run_if_due(self, job: Job, now: dt.datetime) -> bool:
        due_at = job.due_at(now)
        retry_after = self._retry_after.get(job.name)
        if self._finished.get(job.name) == due_at or (retry_after is not None and now < retry_after):
            return False
        try:
            ran = self._run_once(job, due_at, now)
        except Exception:
            self._retry_after[job.name] = now + min(job.every, JOB_RETRY_DELAY)
            log.exception("scheduler job failed", extra={"job": job.name, "due_at": due_at.isoformat()})
            return False
        self._finished[job.name] = due_at
        self._retry_after.pop(job.name, None)
        return ran

    def _run_once(self, job: Job, due_at: dt.datetime, now: dt.datetime) -> bool:
        """The tick row and the job's work in one transaction; False if that due time already ran."""
        with self.db.transaction() as session:
            if not claim_tick(session, job.name, due_at, now, self.holder):
                return False
            if job.needs_settings:
                job.run(session, now, self.settings)
            else:
                job.run(session, now)
        log.info("scheduler job ran", extra={"job": job.name, "due_at": due_at.isoformat(), "holder": self.holder})
        return True

    def run_forever(self, stop: threading.Event) -> None:
        """Tick every `interval` until `stop` is set, then release the lease. Blocks the calling thread."""
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
        driver = BackgroundScheduler(timezone=dt.UTC)
        driver.add_job(self._tick_safely, "interval", seconds=self.interval.total_seconds(), id="scheduler-loop",
                       coalesce=True, max_instances=1, misfire_grace_time=None,
                       next_run_time=dt.datetime.now(dt.UTC))  # the driver's wall clock: start at once
        driver.start()
        log.info("scheduler loop started", extra={"holder": self.holder, "interval_s": self.interval.total_seconds()})
        try:
            while not stop.wait(1.0):
                pass
        finally:
            driver.shutdown(wait=True)
            self.shutdown()
            log.info("scheduler loop stopped", extra={"holder": self.holder})

    def _tick_safely(self) -> None:
        try:
            self.tick(self.clock())
        except Exception:  # the database restarting, say: log and try again at the next tick
            log.exception("scheduler tick failed", extra={"holder": self.holder})
