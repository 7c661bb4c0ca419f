"""Activity reminders at scale: 10,000 activities with 20 joined youth each, 200,000 reminder rows of which
10,000 fall due in the same minute, two `flask --app app scheduler` processes (one active, one hot standby)
plus, by default, a rogue loop calling the reminder job directly without the scheduler's lease (as a second
scheduler that lost its lease would), one `flask --app app worker` delivering to the sandbox in its own process.

Measured, per reminder due in that minute: lateness = the sandbox's timestamp of the accepted call that carried
it - its due time (p50 / p95 / p99 / max), and how many people got the same reminder twice (must be 0).
Baseline in the same run: the same number of pushes with the same card written straight into the outbox at one
moment, timed the same way (what delivery alone costs on this machine).

    createdb -h 127.0.0.1 -U postgres bench_activities   # not needed: the benchmark drops and creates it
    uv run python bench/activities.py                    # PostgreSQL 127.0.0.1:5432/bench_activities
    uv run python bench/activities.py --activities 1000 --no-rogue
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_db import fresh_postgres  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from bench.delivery import WorkerProcess, machine_cpu_seconds  # noqa: E402
from bench.webhook import SECRET, TOKEN, free_port  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_activities"
JOINED_PER_ACTIVITY = 20
ACTIVITIES_PER_MENTOR = 20
YOUTH_PER_MENTOR = 40
REMINDER_MINUTES = 120
MARKER = re.compile(r"กิจกรรมอาสา #\w+")
LEAD_SECONDS = 25  # due time of the burst, counted from the moment every process is up
SANDBOX_LAUNCHER = """
import sys, threading
from bot.sandbox import Sandbox
sandbox = Sandbox(sys.argv[1], sys.argv[2]).start("127.0.0.1", int(sys.argv[3]))
print(sandbox.base_url, flush=True)
threading.Event().wait()
"""


def seed(url: str, activities: int, burst_activities: int, t0: dt.datetime) -> dict:
    """Mentors, youth, activities, answers and one reminder per answer; the first `burst_activities`
    activities' reminders fall due at t0, the others over the following week."""
    from models import Activity, ActivityReminder, ActivityResponse, Role, User

    engine = create_engine(url)
    mentors = max(1, activities // ACTIVITIES_PER_MENTOR)
    started = time.perf_counter()
    with engine.begin() as connection:
        mentor_ids = _insert_ids(connection, User, [_person(_line_id(1, m), Role.MENTOR, t0) for m in range(mentors)])
        youth = [_person(_line_id(2, m * YOUTH_PER_MENTOR + y), Role.YOUTH, t0, mentor_ids[m])
                 for m in range(mentors) for y in range(YOUTH_PER_MENTOR)]
        youth_ids = _insert_ids(connection, User, youth)
        for first in range(0, activities, 1000):
            batch = range(first, min(first + 1000, activities))
            starts = [_start(index, burst_activities, t0) for index in batch]
            rows = [_activity(index, mentor_ids[index // ACTIVITIES_PER_MENTOR], start, t0)
                    for index, start in zip(batch, starts, strict=True)]
            activity_ids = _insert_ids(connection, Activity, rows)
            answers, reminders = [], []
            for index, activity_id, start in zip(batch, activity_ids, starts, strict=True):
                mentor = index // ACTIVITIES_PER_MENTOR
                half = (index % 2) * JOINED_PER_ACTIVITY
                for offset in range(JOINED_PER_ACTIVITY):
                    user_id = youth_ids[mentor * YOUTH_PER_MENTOR + half + offset]
                    answers.append({"activity_id": activity_id, "user_id": user_id, "answer": "going",
                                    "answered_at": t0 - dt.timedelta(days=1), "minutes_credited": 0})
                    reminders.append({"key": f"{activity_id}:{user_id}:{REMINDER_MINUTES}:v1",
                                      "activity_id": activity_id, "user_id": user_id,
                                      "minutes_before": REMINDER_MINUTES, "status": "pending",
                                      "due_at": start - dt.timedelta(minutes=REMINDER_MINUTES)})
            connection.execute(insert(ActivityResponse), answers)
            connection.execute(insert(ActivityReminder), reminders)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("users", "activities", "activity_responses", "activity_reminders"):
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")
    with engine.connect() as connection:
        counted = {"reminders": connection.scalar(select(func.count()).select_from(ActivityReminder)),
                   "due_in_burst": connection.scalar(select(func.count()).select_from(ActivityReminder)
                                                     .where(ActivityReminder.due_at <= t0)),
                   "seed_s": time.perf_counter() - started}
    engine.dispose()
    return counted


def _person(line_id: str, role: str, now: dt.datetime, mentor_id: int | None = None) -> dict:
    return {"line_user_id": line_id, "role": role, "status": "active", "province_code": "BKK",
            "nickname": "น้อง", "age_years": 16, "age_recorded_at": now, "mentor_id": mentor_id,
            "is_following": True, "created_at": now, "registered_at": now, "followed_at": now,
            "notify_campaigns": True, "notify_activities": True, "failed_code_attempts": 0}


def _line_id(kind: int, index: int) -> str:
    """A LINE-shaped user id ("U" + 32 hex digits), distinct per kind of person."""
    return f"U{(kind << 120) | index:032x}"


def _start(index: int, burst_activities: int, t0: dt.datetime) -> dt.datetime:
    if index < burst_activities:
        return t0 + dt.timedelta(minutes=REMINDER_MINUTES)
    return t0 + dt.timedelta(minutes=REMINDER_MINUTES, hours=1 + index % (24 * 7))


def _activity(index: int, mentor_id: int, start: dt.datetime, now: dt.datetime) -> dict:
    return {"title": f"กิจกรรมอาสา #{index}", "description": "เก็บขยะริมคลอง", "place_text": "วัดใกล้บ้าน",
            "starts_at": start, "ends_at": start + dt.timedelta(hours=3), "province_code": "BKK",
            "audience": {"mentor_id": mentor_id, "roles": ["youth"]}, "reminder_minutes": [REMINDER_MINUTES],
            "status": "scheduled", "created_by_id": mentor_id, "created_at": now, "updated_at": now,
            "invited_count": YOUTH_PER_MENTOR, "version": 1, "next_created": False}


def _insert_ids(connection, model, rows: list[dict]) -> list[int]:
    ids = []
    for first in range(0, len(rows), 5000):
        result = connection.execute(insert(model).returning(model.id, sort_by_parameter_order=True),
                                    rows[first:first + 5000])
        ids.extend(result.scalars().all())
    return ids


class Sandbox:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-c", SANDBOX_LAUNCHER, SECRET, TOKEN, str(self.port)],
                                        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base_url = self.process.stdout.readline().strip()

    def deliveries(self) -> list[tuple[float, str, str]]:
        """(accepted at, LINE user id, first text of the body) for every accepted push and multicast."""
        found = []
        for path in ("/v2/bot/message/push", "/v2/bot/message/multicast"):
            with urllib.request.urlopen(f"{self.base_url}/sandbox/calls?path={path}", timeout=60) as answer:
                for call in json.loads(answer.read()):
                    if call["status"] != 200:
                        continue
                    body = call["body"] or {}
                    recipients = body.get("to")
                    recipients = recipients if isinstance(recipients, list) else [recipients]
                    marker = _marker(body)
                    found.extend((call["at"], recipient, marker) for recipient in recipients)
        return found

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.base_url}/sandbox/calls", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _marker(body: dict) -> str:
    """The activity named in the body (every reminder names its activity's title: "กิจกรรมอาสา #123")."""
    found = MARKER.search(json.dumps(body.get("messages", []), ensure_ascii=False))
    return found.group(0) if found else ""


def start_processes(url: str, sandbox: Sandbox) -> tuple[list[subprocess.Popen], WorkerProcess]:
    env = {**os.environ, "DATABASE_URL": url, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": sandbox.base_url, "LOG_LEVEL": "WARNING"}
    schedulers = []
    for _ in range(2):
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler", "--interval", "1",
                                    "--lease-ttl", "5"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        if "scheduler started" not in process.stdout.readline():
            raise RuntimeError("a scheduler did not start")
        schedulers.append(process)
    return schedulers, WorkerProcess(env)


def rogue_loop(url: str, stop: threading.Event, runs: list[int]) -> None:
    """Call the reminder job directly, over and over, without the scheduler's lease."""
    from bot import activity_reminders
    from bot.config import Settings
    from models.db import Database

    settings = Settings.from_env()
    database = Database(url)
    while not stop.is_set():
        with database.transaction() as session:
            runs.append(activity_reminders.send_due(session, dt.datetime.now(dt.UTC), settings))
        stop.wait(0.5)


def baseline(url: str, sandbox: Sandbox, count: int) -> list[float]:
    """`count` pushes of a reminder-sized card written straight into the outbox now; their lateness."""
    from bot import activity_cards
    from bot.config import Settings
    from bot.replies import as_dicts
    from models import Activity, OutboxMessage
    from models.base import new_uuid

    now = dt.datetime.now(dt.UTC)
    start = now + dt.timedelta(minutes=REMINDER_MINUTES)
    activity = Activity(id=0, **{**_activity(0, 1, start, now), "title": "กิจกรรมอาสา #B"})
    messages = as_dicts(activity_cards.reminder_messages(activity, REMINDER_MINUTES, Settings.from_env(), False))
    engine = create_engine(url)
    rows = [{"kind": "push", "to_id": _line_id(3, index), "messages": messages, "status": "pending",
             "attempts": 0, "created_at": now, "next_attempt_at": now, "recipient_count": 1} for index in range(count)]
    for row in rows:
        row["retry_key"] = new_uuid()
    with engine.begin() as connection:
        connection.execute(insert(OutboxMessage), rows)
    engine.dispose()
    return _wait_for(sandbox, lambda found: sum(1 for _, _, marker in found if marker == "กิจกรรมอาสา #B") >= count,
                     now.timestamp(), "กิจกรรมอาสา #B", timeout=300)


def _wait_for(sandbox: Sandbox, done, since: float, marker: str | None, timeout: float) -> list[float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sandbox.deliveries()
        if done(found):
            return [at - since for at, _, mark in found if marker is None or mark == marker]
        time.sleep(1)
    raise SystemExit("timed out waiting for the sandbox")


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (f"p50 {statistics.median(ordered):.1f} s, p95 {pick(0.95):.1f} s, p99 {pick(0.99):.1f} s, "
            f"max {ordered[-1]:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=10_000, help="reminders due in the same minute")
    parser.add_argument("--no-rogue", action="store_true", help="no lease-less loop beside the two schedulers")
    args = parser.parse_args()
    url = fresh_postgres(args.database_url)
    burst_activities = args.burst // JOINED_PER_ACTIVITY
    sandbox = Sandbox()
    schedulers, worker = start_processes(url, sandbox)
    try:
        run(url, sandbox, args, burst_activities)
    finally:
        for process in schedulers:
            process.terminate()
            process.wait(timeout=15)
        worker.stop()
        sandbox.stop()


def run(url: str, sandbox: Sandbox, args, burst_activities: int) -> None:
    base = baseline(url, sandbox, args.burst)
    print(f"baseline: {args.burst:,} pushes written at once, delivered: {percentiles(base)}")
    sandbox.reset()
    lead = LEAD_SECONDS + args.activities / 200  # seeding 10,000 activities takes about half a minute
    t0 = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lead)).replace(microsecond=0)
    counted = seed(url, args.activities, burst_activities, t0)
    print(f"seeded {args.activities:,} activities, {counted['reminders']:,} reminders, "
          f"{counted['due_in_burst']:,} due at one moment ({counted['seed_s']:.1f} s)")
    if dt.datetime.now(dt.UTC) >= t0:
        print("warning: seeding took longer than the lead; the burst was already due when seeding ended")
    stop, runs = threading.Event(), []
    rogue = None if args.no_rogue else threading.Thread(target=rogue_loop, args=(url, stop, runs), daemon=True)
    if rogue:
        rogue.start()
    cpu_before = machine_cpu_seconds()
    expected = counted["due_in_burst"]
    lateness = _wait_for(sandbox, lambda found: len(found) >= expected, t0.timestamp(), None, timeout=600)
    time.sleep(5)  # deliberately: anything sent twice would arrive in these seconds (not a correctness wait)
    stop.set()
    found = sandbox.deliveries()
    twice = sum(count - 1 for count in Counter((user, marker) for _, user, marker in found).values() if count > 1)
    busy, total = (after - before for after, before in zip(machine_cpu_seconds(), cpu_before, strict=True))
    print(f"reminders: {len(found):,} delivered for {expected:,} due; sent twice: {twice}; "
          f"rogue job runs: {len(runs)} ({sum(runs):,} sent by it)")
    print(f"lateness after the due time: {percentiles(lateness)}")
    print(f"ratio p99 reminders / p99 baseline: {_p99(lateness) / max(_p99(base), 0.001):.2f}; "
          f"target: all within 60 s -> {'met' if max(lateness) <= 60 and twice == 0 else 'NOT met'}; "
          f"machine busy {busy / max(total, 0.001):.0%}")
    _check_rows(url, t0)


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _check_rows(url: str, t0: dt.datetime) -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        statuses = dict(connection.execute(text(
            "SELECT status, count(*) FROM activity_reminders GROUP BY status")).all())
        early = connection.scalar(text("SELECT count(*) FROM activity_reminders WHERE status <> 'pending' "
                                       "AND due_at > :t"), {"t": t0 + dt.timedelta(minutes=1)})
    engine.dispose()
    print(f"reminder rows by status: {statuses}; handled before their time: {early}")


if __name__ == "__main__":
    main()
