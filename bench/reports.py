"""Problem-report benchmark: the two targets of the problem-report issue, each beside a baseline measured in
the same run (the machine is shared and noisy).

    uv run python bench/reports.py                        # part 1 on SQLite (temporary files)
    createdb -h 127.0.0.1 -U postgres bench_reports       # once; it is dropped and created again by each part
    uv run python bench/reports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports
    uv run python bench/reports.py [--rate 50] [--seconds 10] [--reports 100000] [--database-url URL]
    uv run python bench/reports.py --part 1 --layouts production --database-url URL [--web-workers 2]
                                   [--worker-processes 1]

1. Confirm tap -> mentor's card, p50/p95/p99 with --rate reports/s arriving. The bot runs in this process as the
   embedded mode runs it: the Flask app under werkzeug's threaded server on loopback, the event processor and
   the delivery worker threads of bot.background.start_loops (no scheduler), the LINE sandbox posting signed
   webhooks to it over HTTP. rate x seconds youths (inserted directly, round-robin over mentors with 5 youths
   each) wait at the report flow's "confirm" step with complete answers; each taps `rp.submit` once, open loop
   at --rate taps/s (8 client threads). A tap's latency runs from its scheduled time to the sandbox's record
   (call log `at`) of the accepted push carrying that report's Flex card to the mentor; the youth's reply is
   shown too. Baseline, just before, same pace: as many other youths type "ช่วยเหลือ", scheduled time -> the
   sandbox's record of the reply. 20 taps of each kind warm the stack up first. Layouts (--layouts), each on a
   fresh database: "embedded", everything in one process (the embedded mode: sandbox and load generator share
   the bot's GIL); "split", the same bot with the sandbox and the load generator in a child process; and on
   PostgreSQL "production": gunicorn (--web-workers, the webhook only) and --worker-processes separate
   `flask --app app worker` processes, the sandbox and load generator in a child process. Printed: arrivals,
   p50/p95/p99/max, how many arrived per second (below --rate: a queue grew), CPU per tap of the bot's
   process(es), the child, PostgreSQL and the whole machine (/proc; other people's work counts there), the
   card/baseline ratios, and the verdict (target: p99 < 1 s at 50/s).
2. Escalation sweep, PostgreSQL only. --reports open reports (Core executemany; 20% as many youths, 5 per
   mentor, 2 coordinators per province, 3 national; 2% urgent; levels 80% mentor, 15% province, 5% national)
   with deadlines spread evenly over one day, so that a sweep at T0 + x% of a day finds x% due.
   `bot.escalation.sweep(session, now, settings)` is timed in one transaction, commit included, with nothing,
   1% and 10% due; the tables are restored after each. Baselines: the sweep with nothing due (the index lookup
   alone), and inserting the same outbox rows directly (Core executemany, one transaction). EXPLAIN ANALYZE
   of the due-reports query exactly as SQLAlchemy sends it (captured) shows the index it uses.
   Target: under 5 s with 100,000 open reports.

--database-url (or DATABASE_URL) names a PostgreSQL database whose name starts with "bench": it is dropped and
created again. Environment: BENCH_BOT_LOG=path keeps the app's JSON log (default /dev/null); BENCH_ALL_SWEEPS=1
runs a sweep even when the previous one's pace says it would take over two minutes (the default run leaves
it out); BENCH_PROFILE=1 adds a cProfile of the 1% sweep (an untimed rerun).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import fresh_postgres  # noqa: E402
from sqlalchemy import create_engine, event, func, insert, select  # noqa: E402

from bench.delivery import WorkerProcess, machine_cpu_seconds, postgres_cpu_seconds, process_cpu_seconds  # noqa: E402
from bench.webhook import SECRET, TOKEN, Server  # noqa: E402
from bot import postback  # noqa: E402
from bot.thai import PROVINCES  # noqa: E402
from handlers.report import CHIP_SEND  # noqa: E402
from models import Conversation, OutboxMessage, Report, Role, User, UserStatus  # noqa: E402
from models.schema import upgrade_to_head  # noqa: E402

STORY = "พ่อเมาแล้วทุบตีแม่กับน้องทุกคืน น้องร้องไห้เสียงดัง"
MARKER = re.compile(r"\[bench-(\d+)\]")
YOUTHS_PER_MENTOR = 5
CLIENT_THREADS = 8
PUSH, REPLY = "/v2/bot/message/push", "/v2/bot/message/reply"
DAY = dt.timedelta(days=1)
CARD_TARGET_S, SWEEP_TARGET_S = 1.0, 5.0
LAYOUTS = {
    "embedded": "one process: sandbox and load generator beside werkzeug, processor and worker (embedded mode)",
    "split": "the bot (embedded mode) in this process, the sandbox and the load generator in a child process",
    "production": "gunicorn --workers {web} (webhook only) + {workers} `flask worker` process(es), the sandbox "
                  "and the load generator in a child process",
}
MAX_SWEEP_S = 120  # a sweep expected to take longer is left out of the default run


# -- databases ------------------------------------------------------------------------------------------------
def fresh_database(url: str | None, workdir: Path, part: str) -> str:
    """A new, migrated database: a temporary SQLite file, or the named PostgreSQL database dropped and created."""
    if url is not None:
        return fresh_postgres(url)
    url = f"sqlite:///{workdir / f'{part}.sqlite3'}"
    upgrade_to_head(url)
    return url


def vacuum_analyze(engine, *tables: str) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM ANALYZE {', '.join(tables)}")


def person(user_id: str, role: str, now: dt.datetime, province: str | None, nickname: str, mentor_id=None) -> dict:
    return {"line_user_id": user_id, "role": role, "status": UserStatus.ACTIVE, "province_code": province,
            "nickname": nickname, "mentor_id": mentor_id, "age_years": 15 if role == Role.YOUTH else 35,
            "age_recorded_at": now, "is_following": True, "created_at": now, "registered_at": now,
            "followed_at": now, "last_active_at": now}


def insert_people(connection, rows: list[dict]) -> dict[str, int]:
    """Insert users (Core executemany); returns their ids by LINE user id."""
    for start in range(0, len(rows), 5000):
        connection.execute(insert(User), rows[start:start + 5000])
    ids = [row["line_user_id"] for row in rows]
    found = connection.execute(select(User.line_user_id, User.id).where(User.line_user_id.in_(ids))).all()
    return dict(found)


def line_id(tag: int, index: int) -> str:
    """A LINE-shaped user id ("U" + 32 hex digits), distinct per (tag, index)."""
    return f"U{tag:02x}{index:030x}"


def seed_mentors_and_youths(connection, now: dt.datetime, tag: int, youths: int, per_mentor: int):
    """Mentors spread over the provinces, each with about `per_mentor` youths (dealt round-robin); returns
    (mentor rows, youth rows with their ids)."""
    mentors = [person(line_id(tag, index), Role.MENTOR, now, PROVINCES[index % len(PROVINCES)].code, f"พี่{index}")
               for index in range(-(-youths // per_mentor))]
    mentor_ids = insert_people(connection, mentors)
    youth_rows = []
    for index in range(youths):
        mentor = mentors[index % len(mentors)]  # consecutive youths (and taps) belong to different mentors
        youth_rows.append(person(line_id(tag + 1, index), Role.YOUTH, now, mentor["province_code"],
                                 f"ฟ้า{index}", mentor_ids[mentor["line_user_id"]]))
    youth_ids = insert_people(connection, youth_rows)
    return mentors, [{**row, "id": youth_ids[row["line_user_id"]]} for row in youth_rows]


# -- part 1: confirm tap -> mentor's card -------------------------------------------------------------------------
def confirm_data(index: int) -> dict:
    """The report flow's data of a youth who answered everything and waits at "confirm"."""
    return {"urgent": False, "description": f"{STORY} [bench-{index}]", "suggested": "domestic_violence",
            "category": "domestic_violence", "place_text": f"ซอย 5 หมู่ 3 บ้าน {index}", "place_done": True,
            "photos_done": True, "contact_ok": True}


def seed_part_one(url: str, taps: int, warmup: int) -> dict:
    """Youths at the confirm step (the measured ones first, then the warm-up ones), youths who only ask for
    help, and their mentors. Returns LINE ids, conversation tokens and nicknames."""
    from models.user import new_conversation_token

    now = dt.datetime.now(dt.UTC)
    engine = create_engine(url)
    with engine.begin() as connection:
        mentors, reporters = seed_mentors_and_youths(connection, now, 0x10, taps + warmup, YOUTHS_PER_MENTOR)
        helpers = seed_mentors_and_youths(connection, now, 0x20, taps + warmup, YOUTHS_PER_MENTOR)[1]
        tokens = [new_conversation_token() for _ in reporters]
        connection.execute(insert(Conversation), [
            {"user_id": youth["id"], "flow": "report", "step": "confirm", "data": confirm_data(index),
             "token": tokens[index], "version": 1, "updated_at": now} for index, youth in enumerate(reporters)])
    vacuum_analyze(engine, "users", "conversations")
    engine.dispose()
    return {"mentors": [(m["line_user_id"], m["nickname"]) for m in mentors],
            "reporters": [(y["line_user_id"], y["nickname"], tokens[i]) for i, y in enumerate(reporters)],
            "helpers": [(y["line_user_id"], y["nickname"]) for y in helpers]}


ACTS = {"help": lambda user, person: user.send_text("ช่วยเหลือ"),
        "submit": lambda user, person: user.tap_postback(postback.encode("rp.submit", person[2]), CHIP_SEND)}


class LocalLine:
    """LINE's side: the sandbox, and the simulated users' taps fired from this process at a fixed pace."""

    def __init__(self):
        from bot.sandbox import Sandbox

        self.sandbox = Sandbox(channel_secret=SECRET, access_token=TOKEN).start()
        self.base_url = self.sandbox.base_url

    def set_webhook(self, url: str) -> None:
        self.sandbox.webhook_url = url

    def add_users(self, people: list) -> None:
        for user_id, name, *_ in people:
            self.sandbox.user(user_id, display_name=name)

    def fire(self, people: list, act: str, rate: float) -> dict:
        """Open loop: person i acts at start + i/rate (wall clock), on one of CLIENT_THREADS threads; returns
        each one's scheduled time, the reply tokens (token -> i) and how many webhooks were not answered 200."""
        users = [self.sandbox.user(user_id, display_name=name) for user_id, name, *_ in people]
        results: list = [None] * len(people)
        next_index, lock, start = [0], threading.Lock(), time.time() + 0.2

        def client():
            while True:
                with lock:
                    index, next_index[0] = next_index[0], next_index[0] + 1
                if index >= len(people):
                    return
                due = start + index / rate
                time.sleep(max(0.0, due - time.time()))
                results[index] = (due, ACTS[act](users[index], people[index]))

        threads = [threading.Thread(target=client) for _ in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return {"due": [due for due, _ in results], "errors": sum(result.status != 200 for _, result in results),
                "tokens": {result.events[0]["replyToken"]: index for index, (_, result) in enumerate(results)}}

    def calls(self, path: str) -> list[dict]:
        return self.sandbox.calls(path)

    def accepted(self, path: str) -> int:
        """How many calls to `path` were accepted (cheap enough to poll during a run)."""
        with self.sandbox.lock:
            return sum(record["status"] == 200 for record in self.sandbox.call_log.records(path))

    def stop(self) -> None:
        self.sandbox.stop()


def serve_line() -> None:
    """The child process of the split layout: a LocalLine driven by JSON lines on stdin, answering on stdout."""
    line = LocalLine()
    print(json.dumps({"base_url": line.base_url}), flush=True)
    for raw in sys.stdin:
        command = json.loads(raw)
        if command.pop("cmd") == "stop":
            break
        print(json.dumps(getattr(line, command.pop("method"))(**command)), flush=True)
    line.stop()


class ChildLine:
    """A LocalLine in its own process, so that LINE's side and the load generator do not share the bot's GIL."""

    def __init__(self):
        launcher = (f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'bench')!r}]; "
                    "from bench.reports import serve_line; serve_line()")
        self.process = subprocess.Popen([sys.executable, "-c", launcher], cwd=ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base_url = json.loads(self.process.stdout.readline())["base_url"]

    def _ask(self, method: str, **arguments):
        self.process.stdin.write(json.dumps({"cmd": "call", "method": method, **arguments}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def __getattr__(self, method: str):
        if method not in ("set_webhook", "add_users", "fire", "calls", "accepted"):
            raise AttributeError(method)
        return lambda **arguments: self._ask(method, **arguments)

    def stop(self) -> None:
        self.process.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
        self.process.stdin.close()
        self.process.wait(timeout=10)


class EmbeddedStack:
    """The bot as `uv run app.py` runs it, in this process: werkzeug's threaded server on loopback, the event
    processor and the delivery worker threads (no scheduler), talking to `line`."""

    def __init__(self, url: str, line):
        from werkzeug.serving import make_server

        from app import create_app
        from bot.background import start_loops
        from bot.config import Settings
        from bot.services import services

        settings = Settings(channel_secret=SECRET, channel_access_token=TOKEN, line_api_base_url=line.base_url,
                            database_url=url, environment="development", start_scheduler=False).validated()
        self.app = create_app(settings)
        quiet_logs()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, name="web", daemon=True).start()
        line.set_webhook(url=f"http://127.0.0.1:{self.server.server_port}/callback")
        self.stop_event = threading.Event()
        self.loops = start_loops(services(self.app), self.stop_event)

    def pids(self) -> list[int]:
        return [os.getpid()]

    def close(self) -> None:
        from bot.services import services

        self.stop_event.set()
        self.server.shutdown()
        for thread in self.loops:  # they notice the stop within their idle wait
            thread.join(timeout=10)
        services(self.app).db.dispose()


class ProductionStack:
    """The bot as production runs it: gunicorn web workers (the webhook only) and separate
    `flask --app app worker` processes (event processor, delivery worker, photo fetcher), talking to `line`."""

    def __init__(self, url: str, line, web_workers: int, worker_processes: int):
        env = {"DATABASE_URL": url, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
               "LINE_API_BASE_URL": line.base_url, "LOG_LEVEL": "INFO", "APP_ENV": "development"}
        self.web = Server("app:create_app()", web_workers, env)
        self.workers = []
        try:
            self.workers = [WorkerProcess(env) for _ in range(worker_processes)]
        except Exception:
            self.close()
            raise
        line.set_webhook(url=f"http://127.0.0.1:{self.web.port}/callback")

    def pids(self) -> list[int]:
        return [*family(self.web.process.pid), *(pid for worker in self.workers for pid in family(worker.process.pid))]

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.web.stop()


def family(pid: int) -> list[int]:
    """A process and its descendants (gunicorn's master and its workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                todo.extend(int(child) for child in children.read().split())
        except OSError:
            pass
    return found


def quiet_logs() -> None:
    """Keep the app's JSON log at INFO (its cost is part of the stack) but send it to BENCH_BOT_LOG."""
    import logging

    from bot import logs

    logs.configure("INFO")
    stream = open(os.environ.get("BENCH_BOT_LOG", os.devnull), "a")  # noqa: SIM115 (open for the whole run)
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_bot_json", False):
            handler.setStream(stream)


def wait_for(line, path: str, calls: int, grace: float) -> None:
    """Until the sandbox has accepted `calls` calls to `path` in all, or `grace` seconds have passed (polling a
    count every 0.2 s: reading the whole call log while the bot works would take the bot's CPU)."""
    deadline = time.time() + grace
    while line.accepted(path=path) < calls and time.time() < deadline:
        time.sleep(0.2)


def replies_by_token(tokens: dict[str, int]):
    """Accepted replies, by the index of the event whose reply token they used."""
    def match(line) -> dict[int, float]:
        return {tokens[call["body"]["replyToken"]]: call["at"] for call in line.calls(path=REPLY)
                if call["status"] == 200 and call["body"]["replyToken"] in tokens}
    return match


def cards_by_marker(first: int, count: int):
    """Accepted pushes of a Flex card, by the index of the report (its description's marker) minus `first`."""
    def match(line) -> dict[int, float]:
        found: dict[int, float] = {}
        for call in line.calls(path=PUSH):
            for message in call["body"]["messages"] if call["status"] == 200 else []:
                marker = MARKER.search(json.dumps(message.get("contents", ""), ensure_ascii=False))
                if message["type"] == "flex" and marker and first <= int(marker.group(1)) < first + count:
                    found.setdefault(int(marker.group(1)) - first, call["at"])
        return found
    return match


def latencies(phase: dict, arrived: dict[int, float]) -> list[float]:
    return [arrived[index] - due for index, due in enumerate(phase["due"]) if index in arrived]


def part_one(url: str, args, layout: str) -> dict:
    """Warm up, then the baseline phase, then the confirm phase, on a freshly seeded database."""
    taps, warmup = int(args.rate * args.seconds), 20
    seed_started = time.perf_counter()
    people = seed_part_one(url, taps, warmup)
    seed_seconds = time.perf_counter() - seed_started
    line = LocalLine() if layout == "embedded" else ChildLine()
    try:
        stack = (ProductionStack(url, line, args.web_workers, args.worker_processes) if layout == "production"
                 else EmbeddedStack(url, line))
    except Exception:
        line.stop()
        raise
    try:
        line.add_users(people=people["mentors"])
        line.fire(people=people["helpers"][taps:], act="help", rate=10)  # imports, pools, first queries
        line.fire(people=people["reporters"][taps:], act="submit", rate=10)
        wait_for(line, REPLY, 2 * warmup, 30)
        wait_for(line, PUSH, warmup, 30)
        before = cpu_snapshot(line, stack)
        helped = line.fire(people=people["helpers"][:taps], act="help", rate=args.rate)
        wait_for(line, REPLY, 2 * warmup + taps, 60)
        middle = cpu_snapshot(line, stack)
        confirmed = line.fire(people=people["reporters"][:taps], act="submit", rate=args.rate)
        wait_for(line, REPLY, 2 * warmup + 2 * taps, 60)
        wait_for(line, PUSH, warmup + taps, 30)
        after = cpu_snapshot(line, stack)
        help_replies = replies_by_token(helped["tokens"])(line)
        cards, youth_replies = cards_by_marker(0, taps)(line), replies_by_token(confirmed["tokens"])(line)
    finally:
        stack.close()
        line.stop()
    return {"taps": taps, "seed_s": seed_seconds, "layout": layout, "help": latencies(helped, help_replies),
            "card": latencies(confirmed, cards), "youth": latencies(confirmed, youth_replies),
            "errors": helped["errors"] + confirmed["errors"],
            "cpu": {"help": cpu_used(before, middle), "card": cpu_used(middle, after)},
            "pace": {"help": completed_per_s(helped, help_replies), "card": completed_per_s(confirmed, cards)}}


def cpu_snapshot(line, stack) -> dict[str, float]:
    """CPU seconds so far of the bot's processes, the child (sandbox and load generator, when apart),
    PostgreSQL and the whole machine, and the wall clock."""
    child = line.process.pid if isinstance(line, ChildLine) else None
    busy, _total = machine_cpu_seconds()
    return {"this": sum(process_cpu_seconds(pid) for pid in stack.pids()),
            "child": process_cpu_seconds(child) if child else 0.0,
            "postgres": postgres_cpu_seconds(), "machine": busy, "wall": time.time()}


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before}


def completed_per_s(phase: dict, arrived: dict[int, float]) -> float:
    """How many per second arrived, from the first scheduled tap to the last arrival."""
    return len(arrived) / (max(arrived.values()) - phase["due"][0]) if arrived else 0.0


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (float("nan"),) * 3
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def report_part_one(kind: str, result: dict, args) -> None:
    taps = result["taps"]
    layout = LAYOUTS[result["layout"]].format(web=args.web_workers, workers=args.worker_processes)
    print(f"\n== part 1 ({kind}): {taps} taps at {args.rate:g}/s for {args.seconds:g} s; {layout}; "
          f"seeded in {result['seed_s']:.1f} s ==")
    print(f"{'':38}{'arrived':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'done/s':>8}")
    rows = (("baseline: ช่วยเหลือ -> reply", result["help"], result["pace"]["help"]),
            ("confirm tap -> mentor's Flex card", result["card"], result["pace"]["card"]),
            ("confirm tap -> youth's reply", result["youth"], None))
    for name, values, pace in rows:
        p50, p95, p99 = percentiles(values)
        print(f"{name:38}{len(values):>5}/{taps:<3}{1000 * p50:>9.1f}{1000 * p95:>9.1f}{1000 * p99:>9.1f}"
              f"{1000 * max(values, default=float('nan')):>9.1f}{'' if pace is None else f'{pace:.1f}':>8}")
    print("CPU per tap in ms (whole phase, incl. waiting for the last one; 'this' = the bot's process(es)"
          + (" with the sandbox and load generator)" if result["layout"] == "embedded" else ")"))
    for name in ("help", "card"):
        used = result["cpu"][name]
        parts = [f"{what} {1000 * used[what] / taps:.1f}" for what in ("this", "child", "postgres", "machine")
                 if used[what] or what == "this"]
        print(f"  {'baseline' if name == 'help' else 'confirm':9}" + ", ".join(parts)
              + f"; the bot busy {100 * used['this'] / used['wall']:.0f}% of one core for {used['wall']:.1f} s")
    base, card = percentiles(result["help"]), percentiles(result["card"])
    ratios = (f"{name} {c / b:.2f}" for name, c, b in zip(("p50", "p95", "p99"), card, base, strict=True))
    print("ratio card / baseline: " + ", ".join(ratios))
    verdict = "met" if card[2] < CARD_TARGET_S and len(result["card"]) == taps else "NOT met"
    print(f"target p99 < 1 s: {1000 * card[2]:.0f} ms, {verdict}; webhook errors (non-200): {result['errors']}"
          f"; done/s below {args.rate:g} = the stack fell behind (a queue grew during the run)")


# -- part 2: the escalation sweep -----------------------------------------------------------------------------
def seed_part_two(url: str, count: int, t0: dt.datetime) -> float:
    """`count` open reports of 20% as many youths (5 per mentor), 2 coordinators per province and 3 national
    ones; deadlines spread evenly over [t0, t0 + 1 day); levels 80% mentor, 15% province, 5% national; 2%
    urgent; two or more timeline entries each. Returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(7)
    engine = create_engine(url)
    with engine.begin() as connection:
        staff = [person(line_id(0x30, 2 * i + n), Role.COORDINATOR, t0, p.code, f"ผป{p.code}{n}")
                 for i, p in enumerate(PROVINCES) for n in range(2)]
        staff += [person(line_id(0x31, n), Role.COORDINATOR, t0, None, f"ส่วนกลาง{n}") for n in range(3)]
        insert_people(connection, staff)
        youths = seed_mentors_and_youths(connection, t0, 0x40, max(count // 5, 1), YOUTHS_PER_MENTOR)[1]
        rows = []
        for index in range(count):
            youth, urgent = rng.choice(youths), rng.random() < 0.02
            deadline = t0 + DAY * (index + rng.random()) / count
            created = deadline - (dt.timedelta(minutes=15) if urgent else DAY)
            level = 0 if rng.random() < 0.80 else 1 if rng.random() < 0.75 else 2
            rows.append({"ref": f"R-B{index:07d}", "reporter_id": youth["id"], "mentor_id": youth["mentor_id"],
                         "province_code": youth["province_code"], "category": "domestic_violence", "urgent": urgent,
                         "status": "open", "description": f"{STORY} [bench-{index}]", "place_text": "ซอย 5 หมู่ 3",
                         "contact_ok": True, "escalation_level": level, "next_escalation_at": deadline,
                         "created_at": created, "submitted_at": created, "updated_at": created})
        for start in range(0, count, 5000):
            connection.execute(insert(Report), rows[start:start + 5000])
        connection.exec_driver_sql(
            "INSERT INTO report_events (report_id, at, actor_id, kind, detail, key) "
            "SELECT id, created_at, reporter_id, 'created', CAST('{}' AS json), NULL FROM reports "
            "UNION ALL SELECT id, created_at, NULL, 'sent_to_mentor', CAST('{\"notified\": []}' AS json), 'level:0' "
            "FROM reports UNION ALL SELECT id, created_at, NULL, 'escalated', CAST('{\"notified\": []}' AS json), "
            "'level:' || n "
            "FROM reports CROSS JOIN (VALUES (1), (2)) AS levels(n) WHERE n <= escalation_level")
        connection.exec_driver_sql("CREATE TABLE bench_reports_seed AS "
                                   "SELECT id, escalation_level, next_escalation_at, updated_at FROM reports")
    vacuum_analyze(engine, "users", "reports", "report_events", "outbox_messages")
    engine.dispose()
    return time.perf_counter() - started


def high_water(connection) -> tuple[int, int]:
    return (connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM outbox_messages").scalar_one(),
            connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM report_events").scalar_one())


def restore(engine, marks: tuple[int, int]) -> None:
    """Put the reports, their timelines and the outbox back as seeded."""
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM outbox_messages WHERE id > %(m)s", {"m": marks[0]})
        connection.exec_driver_sql("DELETE FROM report_events WHERE id > %(m)s", {"m": marks[1]})
        connection.exec_driver_sql(
            "UPDATE reports AS r SET escalation_level = s.escalation_level, "
            "next_escalation_at = s.next_escalation_at, updated_at = s.updated_at "
            "FROM bench_reports_seed AS s WHERE r.id = s.id AND (r.updated_at <> s.updated_at "
            "OR r.escalation_level <> s.escalation_level "
            "OR r.next_escalation_at IS DISTINCT FROM s.next_escalation_at)")
    vacuum_analyze(engine, "reports", "report_events", "outbox_messages")


def timed_sweep(db, engine, now: dt.datetime, settings) -> dict:
    """One sweep in one transaction (commit included); then the outbox rows it wrote, and the table restored."""
    from bot import escalation

    with engine.connect() as connection:
        marks = high_water(connection)
    started = time.perf_counter()
    with db.transaction() as session:
        climbed = escalation.sweep(session, now, settings)
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        written = [dict(row._mapping) for row in connection.execute(
            select(OutboxMessage.kind, OutboxMessage.to_id, OutboxMessage.messages, OutboxMessage.created_at,
                   OutboxMessage.next_attempt_at).where(OutboxMessage.id > marks[0]).order_by(OutboxMessage.id))]
    restore(engine, marks)
    return {"climbed": climbed, "seconds": seconds, "outbox": written, "rows": len(written), "marks": marks}


def due_count(engine, now: dt.datetime) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Report).where(
            Report.status == "open", Report.next_escalation_at <= now)).scalar_one()


def timed_insert(engine, rows: list[dict], marks: tuple[int, int]) -> float:
    """The floor of a sweep's writes: the same outbox rows inserted directly (Core executemany), committed."""
    if not rows:
        return float("nan")
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(insert(OutboxMessage), rows)
    seconds = time.perf_counter() - started
    restore(engine, marks)
    return seconds


def captured_due_query(db, now: dt.datetime) -> tuple[str, dict]:
    """The SQL and parameters `escalation.due_for_escalation` really sends (captured, then rolled back)."""
    from bot import escalation

    seen: list = []

    def capture(connection, cursor, statement, parameters, context, executemany):
        if "next_escalation_at <=" in statement and not seen:
            seen.append((statement, dict(parameters)))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.sessions() as session:
            escalation.due_for_escalation(session, now, escalation.SWEEP_BATCH)
            session.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen[0]


def explain(engine, query: tuple[str, dict], old_now: dt.datetime, now: dt.datetime) -> list[str]:
    statement, parameters = query
    parameters = {key: now if value == old_now else value for key, value in parameters.items()}
    with engine.connect() as connection:
        plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)]
        connection.rollback()
    return plan


def part_two(url: str, args) -> dict:
    """Seed, then the sweep at three moments (nothing, 1% and 10% due), each from the seeded state. A sweep that
    would take over MAX_SWEEP_S at the previous one's pace is left out (BENCH_ALL_SWEEPS=1 runs it anyway)."""
    from bot.config import Settings
    from models.db import Database

    quiet_logs()
    t0 = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    seed_seconds = seed_part_two(url, args.reports, t0)
    settings = Settings(database_url=url, environment="development").validated()
    db, engine = Database(url), create_engine(url)
    cases = [("nothing due", t0 - dt.timedelta(seconds=1)), ("1% due", t0 + DAY * 0.01), ("10% due", t0 + DAY * 0.10)]
    query = captured_due_query(db, cases[0][1])
    results: list[dict] = []
    try:
        for name, now in cases:
            case = {"name": name, "due": due_count(engine, now), "plan": explain(engine, query, cases[0][1], now)}
            paced = [done for done in results if done.get("climbed")]
            estimate = paced[-1]["seconds"] / paced[-1]["climbed"] * case["due"] if paced else 0.0
            if estimate > MAX_SWEEP_S and not os.environ.get("BENCH_ALL_SWEEPS"):
                case["estimate"] = estimate
            else:
                case.update(timed_sweep(db, engine, now, settings))
                case["insert_s"] = timed_insert(engine, case.pop("outbox"), case["marks"])
            results.append(case)
        profile = profile_sweep(db, engine, cases[1][1], settings) if os.environ.get("BENCH_PROFILE") else None
    finally:
        db.dispose()
        engine.dispose()
    return {"seed_s": seed_seconds, "cases": results, "profile": profile}


def profile_sweep(db, engine, now: dt.datetime, settings) -> cProfile.Profile:
    """The 1% sweep again under cProfile (untimed), the tables restored after it."""
    from bot import escalation

    with engine.connect() as connection:
        marks = high_water(connection)
    profiler = cProfile.Profile()
    with db.transaction() as session:
        profiler.runcall(escalation.sweep, session, now, settings)
    restore(engine, marks)
    return profiler


def report_part_two(result: dict, args) -> None:
    cases = result["cases"]
    print(f"\n== part 2 (postgresql): sweep over {args.reports:,} open reports, deadlines spread over one day; "
          f"seeded in {result['seed_s']:.1f} s ==")
    print(f"{'case':14}{'due':>8}{'escalated':>10}{'outbox rows':>12}{'sweep s':>9}{'ms/report':>10}"
          f"{'/ nothing due':>14}{'direct insert s':>16}{'sweep/insert':>13}")
    nothing = cases[0]["seconds"]
    for case in cases:
        if "estimate" in case:
            print(f"{case['name']:14}{case['due']:>8,}   skipped: about {case['estimate']:.0f} s at the previous "
                  f"pace (over {MAX_SWEEP_S} s; BENCH_ALL_SWEEPS=1 runs it)")
            continue
        per = 1000 * case["seconds"] / case["climbed"] if case["climbed"] else float("nan")
        print(f"{case['name']:14}{case['due']:>8,}{case['climbed']:>10,}{case['rows']:>12,}{case['seconds']:>9.3f}"
              f"{per:>10.2f}{case['seconds'] / nothing:>14.0f}{case['insert_s']:>16.3f}"
              f"{case['seconds'] / case['insert_s']:>13.1f}")
    for case in cases:
        print(f"EXPLAIN ANALYZE of the due-reports query ({case['name']}):")
        print("\n".join("    " + line for line in case["plan"]))
    worst = max(case.get("seconds", case.get("estimate", 0.0)) for case in cases)
    print(f"target < {SWEEP_TARGET_S:g} s: largest {worst:.2f} s, {'met' if worst < SWEEP_TARGET_S else 'NOT met'} "
          "(one transaction, commit included; direct insert = the same outbox rows, Core executemany, committed)")
    if result["profile"] is not None:
        print("\ncProfile of the 1% sweep (an untimed rerun), top 30 by cumulative time:")
        pstats.Stats(result["profile"]).strip_dirs().sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=100_000, help="open reports for the sweep (part 2)")
    parser.add_argument("--rate", type=float, default=50, help="taps per second (part 1)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of taps per phase (part 1)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL (dropped and created again; name starting with 'bench'); default SQLite")
    parser.add_argument("--part", type=int, choices=(1, 2), help="only part 1 (latency) or part 2 (sweep)")
    parser.add_argument("--layouts", nargs="+", choices=sorted(LAYOUTS),
                        help="part 1's layouts (default: embedded split, and production on PostgreSQL)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (production layout)")
    parser.add_argument("--worker-processes", type=int, default=1, help="`flask worker` processes (production)")
    args = parser.parse_args()
    if "production" in (args.layouts or []) and not args.database_url:
        raise SystemExit("the production layout needs PostgreSQL: give --database-url")
    if args.database_url and not args.database_url.startswith("postgresql"):
        raise SystemExit("--database-url must be a postgresql+psycopg:// URL (SQLite is the default)")
    kind = "postgresql" if args.database_url else "sqlite"
    with tempfile.TemporaryDirectory() as directory:
        layouts = args.layouts or ["embedded", "split"] + (["production"] if kind == "postgresql" else [])
        for layout in layouts if args.part != 2 else ():
            url = fresh_database(args.database_url, Path(directory), f"part1-{layout}")
            report_part_one(kind, part_one(url, args, layout), args)
        if kind == "postgresql" and args.part != 1:
            report_part_two(part_two(fresh_database(args.database_url, Path(directory), "part2"), args), args)
        else:
            print("\npart 2 (escalation sweep) runs on PostgreSQL only: give --database-url")


if __name__ == "__main__":
    main()
