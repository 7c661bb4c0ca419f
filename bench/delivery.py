"""Campaign fan-out benchmark: one bulk send to N following users through the LINE sandbox rate-limited at
LINE's multicast limit (200 requests/s, 500 ids each), sent by a separate `flask --app app worker` process.

    uv run python bench/delivery.py [--databases postgresql sqlite] [--sizes 100000 1000000] [--threads 8]

For each database and size: a fresh database seeded with N following users (one INSERT ... SELECT), the
sandbox in its own process (record_bodies=False, 429 above 200 multicast calls/s), and a worker process
started and idle before the clock starts. "send" (t0) is the start of the snapshot transaction
(bot.bulk.snapshot over bot.bulk.following_users(), done here); the end is the sandbox's timestamp of the
last accepted (200) multicast call, once bot.bulk.progress shows every recipient sent. Printed per size:
snapshot seconds, total seconds, the floor (recipients / 100,000 per second), total / floor, when the first
batch was accepted, the sending pace, the worker's peak RSS (VmHWM from /proc) and its idle RSS; then CPU
per multicast call of the worker, the sandbox and PostgreSQL (all on this host), and the CPU other processes
took meanwhile (a shared machine); then the peak RSS growth from the smallest to the largest size.
The worker's log goes to BENCH_WORKER_LOG (default /dev/null).
Targets (PostgreSQL): total within 2x the floor at every size; peak RSS growing by less than 50 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.webhook as webhook_bench  # noqa: E402
from bench.webhook import SECRET, TOKEN, free_port  # noqa: E402

PG_BENCH_DB = "bench_delivery"
MULTICAST_PATH = "/v2/bot/message/multicast"
LINE_MULTICAST_PER_S = 200
IDS_PER_CALL = 500
FLOOR_RECIPIENTS_PER_S = LINE_MULTICAST_PER_S * IDS_PER_CALL  # 100,000
CAMPAIGN_TEXT = "📣 ข่าวจาก อพม.น้อย: กิจกรรมอาสาเดือนนี้เปิดรับสมัครแล้ว ดูรายละเอียดในเมนูนะคะ"

# The sandbox runs in its own process so that the worker's RSS is the worker's alone.
SANDBOX_LAUNCHER = """
import sys, threading
from bot.sandbox import Sandbox
secret, token, port, path, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
sandbox = Sandbox(secret, token, record_bodies=False, rate_limits={path: rate}).start("127.0.0.1", port)
print(sandbox.base_url, flush=True)
threading.Event().wait()
"""


def fresh_database(kind: str, workdir: Path) -> str:
    """bench/webhook.py's fresh database (migrated to head), under this benchmark's own PostgreSQL name."""
    webhook_bench.PG_BENCH_DB = PG_BENCH_DB
    workdir.mkdir(parents=True, exist_ok=True)
    return webhook_bench.fresh_database(kind, workdir)


def seed_users(url: str, count: int) -> float:
    """`count` following users with distinct LINE ids, in one statement; returns the seconds it took."""
    from sqlalchemy import create_engine

    started = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "INSERT INTO users (line_user_id, is_following, created_at, followed_at) "
                "SELECT 'U' || lpad(to_hex(g), 32, '0'), true, now(), now() FROM generate_series(1, %(n)s) AS g",
                {"n": count})
        else:
            connection.exec_driver_sql(
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?) "
                "INSERT INTO users (line_user_id, is_following, created_at, followed_at) "
                "SELECT printf('U%032x', n), 1, datetime('now'), datetime('now') FROM g", (count,))
    if engine.dialect.name == "postgresql":  # fresh statistics and visibility map, as an old table would have
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE users")
    engine.dispose()
    return time.perf_counter() - started


class SandboxProcess:
    def __init__(self, rate: float):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SANDBOX_LAUNCHER, SECRET, TOKEN, str(self.port), MULTICAST_PATH, str(rate)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.stop()
            raise RuntimeError("the sandbox process did not start")

    def multicast_calls(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.base_url}/sandbox/calls?path={MULTICAST_PATH}", timeout=30) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class WorkerProcess:
    """`python -m flask --app app worker`: the event processor and the delivery worker, nothing else."""

    def __init__(self, env: dict[str, str]):
        log_path = os.environ.get("BENCH_WORKER_LOG", os.devnull)
        with open(log_path, "a") as worker_log:
            self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=ROOT,
                                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=worker_log,
                                            text=True)
        line = self.process.stdout.readline()
        if "worker started" not in line:
            self.stop()
            raise RuntimeError(f"the worker did not start (said {line!r}); set BENCH_WORKER_LOG=path to see why")

    def memory_kb(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) of the worker, in kB."""
        values = {}
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, amount, _unit = line.split()
                    values[name.rstrip(":")] = int(amount)
        return values

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # the worker command stops its loops on KeyboardInterrupt
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postgres_cpu_seconds() -> float:
    """CPU seconds of every process named postgres on this host (server and backends; loopback only)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() != "postgres":
                        continue
            except OSError:
                continue
            total += process_cpu_seconds(int(entry))
    return total


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def cpu_snapshot(worker_pid: int, sandbox_pid: int) -> dict[str, float]:
    busy, total = machine_cpu_seconds()
    return {"worker": process_cpu_seconds(worker_pid), "sandbox": process_cpu_seconds(sandbox_pid),
            "postgres": postgres_cpu_seconds(), "bench": process_cpu_seconds(os.getpid()),
            "machine_busy": busy, "machine_total": total}


def run_size(kind: str, size: int, args, workdir: Path) -> dict:
    from linebot.v3.messaging import TextMessage

    from bot import bulk
    from models.db import Database

    url = fresh_database(kind, workdir / f"{kind}-{size}")
    seed_seconds = seed_users(url, size)
    sandbox = SandboxProcess(args.rate)
    worker = None
    db = Database(url)
    try:
        worker = WorkerProcess({
            "DATABASE_URL": url, "LINE_API_BASE_URL": sandbox.base_url, "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "RATE_MULTICAST_PER_S": str(args.rate),
            "DELIVERY_THREADS": str(args.threads), "LOG_LEVEL": args.log_level, "APP_ENV": "development"})
        # Past the worker's first rounds: it is idle, polling an empty outbox every 0.5 s; the jitter puts t0 at
        # a random point of that poll (a fixed settle time would always land on the same phase of it).
        time.sleep(args.settle + random.uniform(0.0, 0.5))
        idle = worker.memory_kb()
        floor = size / FLOOR_RECIPIENTS_PER_S
        deadline_seconds = max(args.deadline_factor * floor, 30.0)

        cpu_before = cpu_snapshot(worker.process.pid, sandbox.process.pid)
        t0 = time.time()
        with db.transaction() as session:
            campaign = bulk.snapshot(session, "bench campaign", [TextMessage(text=CAMPAIGN_TEXT)],
                                     bulk.following_users(), dt.datetime.now(dt.UTC))
        snapshot_seconds = time.time() - t0
        bulk_id, expected = campaign.id, campaign.recipient_total
        if expected != size:
            raise RuntimeError(f"the snapshot queued {expected} recipients, expected {size}")

        while True:
            time.sleep(args.poll)
            with db.sessions() as session:
                state = bulk.progress(session, bulk_id)
            if state.sent + state.failed == expected:
                polled_end = time.time()
                cpu_after = cpu_snapshot(worker.process.pid, sandbox.process.pid)
                break
            if worker.process.poll() is not None:
                raise RuntimeError(f"the worker exited with {worker.process.returncode} during the run")
            if time.time() - t0 > deadline_seconds:
                raise RuntimeError(f"{kind} {size:,}: not done {deadline_seconds:.0f} s after send "
                                   f"({args.deadline_factor:g}x the floor, at least 30 s): "
                                   f"{state.sent:,} sent, {state.queued:,} queued, {state.failed:,} failed")
        memory = worker.memory_kb()
        calls = sandbox.multicast_calls()
    finally:
        if worker is not None:
            worker.stop()
        sandbox.stop()
        db.dispose()

    accepted = [call["at"] for call in calls if call["status"] == 200]
    statuses: dict[int, int] = {}
    for call in calls:
        statuses[call["status"]] = statuses.get(call["status"], 0) + 1
    first, last = min(accepted), max(accepted)
    return {"size": size, "seed_s": seed_seconds, "snapshot_s": snapshot_seconds, "total_s": last - t0,
            "floor_s": floor, "first_accept_s": first - t0, "sending_s": last - first, "calls": len(accepted),
            "statuses": statuses, "failed": state.failed, "polled_total_s": polled_end - t0,
            "idle_rss_mb": idle["VmRSS"] / 1024, "peak_rss_mb": memory["VmHWM"] / 1024,
            "cpu": {name: cpu_after[name] - cpu_before[name] for name in cpu_before},
            "accepted_at": sorted(at - t0 for at in accepted)}


def report(kind: str, rows: list[dict], args) -> None:
    print(f"\n== {kind}: worker DELIVERY_THREADS={args.threads}, RATE_MULTICAST_PER_S={args.rate:g}, sandbox 429 "
          f"above {args.rate:g} multicast calls/s ==")
    print(f"{'recipients':>11}{'snapshot s':>11}{'total s':>9}{'floor s':>9}{'ratio':>7}{'1st accept s':>13}"
          f"{'sending s':>10}{'calls/s':>8}{'non-200':>8}{'peak RSS MB':>12}{'idle RSS MB':>12}")
    for row in rows:
        non_200 = sum(count for status, count in row["statuses"].items() if status != 200)
        pace = (row["calls"] - 1) / row["sending_s"] if row["sending_s"] > 0 else float("nan")
        print(f"{row['size']:>11,}{row['snapshot_s']:>11.2f}{row['total_s']:>9.2f}{row['floor_s']:>9.2f}"
              f"{row['total_s'] / row['floor_s']:>7.2f}{row['first_accept_s']:>13.2f}{row['sending_s']:>10.2f}"
              f"{pace:>8.1f}{non_200:>8}{row['peak_rss_mb']:>12.1f}{row['idle_rss_mb']:>12.1f}")
    print("CPU from t0 to the end (2 cores: at most 2 CPU-seconds per second; 'other' = the rest of the machine):")
    print(f"{'recipients':>11}{'worker ms/call':>15}{'sandbox ms/call':>16}{'postgres ms/call':>17}"
          f"{'snapshot+polls s':>17}{'other s':>9}{'machine busy':>13}")
    for row in rows:
        cpu, calls = row["cpu"], row["calls"]
        other = cpu["machine_busy"] - sum(cpu[name] for name in ("worker", "sandbox", "postgres", "bench"))
        print(f"{row['size']:>11,}{1000 * cpu['worker'] / calls:>15.2f}{1000 * cpu['sandbox'] / calls:>16.2f}"
              f"{1000 * cpu['postgres'] / calls:>17.2f}{cpu['bench']:>17.2f}{other:>9.2f}"
              f"{100 * cpu['machine_busy'] / cpu['machine_total']:>12.0f}%")
    for row in rows:
        if row["failed"]:
            print(f"WARNING: {row['failed']:,} of {row['size']:,} recipients failed (see BENCH_WORKER_LOG)")
    sizes = sorted({row["size"] for row in rows})
    ratios = {size: statistics.median(row["total_s"] / row["floor_s"] for row in rows if row["size"] == size)
              for size in sizes}
    worst = max(ratios.values())
    print("time: total/floor " + ", ".join(f"{ratios[size]:.2f} at {size:,}" for size in sizes)
          + f"{' (median of runs)' if args.repeat > 1 else ''} (target <= 2.00): {'met' if worst <= 2 else 'NOT met'}")
    if len(sizes) > 1:
        peaks = {size: max(row["peak_rss_mb"] for row in rows if row["size"] == size) for size in sizes}
        small, large = sizes[0], sizes[-1]
        growth = peaks[large] - peaks[small]
        print(f"memory: worker peak RSS {peaks[small]:.1f} MB at {small:,} -> {peaks[large]:.1f} MB at {large:,}: "
              f"growth {growth:+.1f} MB (target < 50 MB): {'met' if growth < 50 else 'NOT met'}")
    print("(t0 = start of the snapshot transaction; end = the sandbox's timestamp of the last accepted multicast "
          "call; one host clock)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", nargs="+", default=["postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--threads", type=int, default=8, help="the worker's DELIVERY_THREADS (default 8, as deployed)")
    parser.add_argument("--rate", type=float, default=LINE_MULTICAST_PER_S,
                        help="multicast calls/s: the worker's RATE_MULTICAST_PER_S and the sandbox's 429 limit")
    parser.add_argument("--log-level", default="INFO", help="the worker's LOG_LEVEL (its log goes to BENCH_WORKER_LOG)")
    parser.add_argument("--deadline-factor", type=float, default=10.0, help="fail after this many floors")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between progress polls and RSS samples")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (the verdict takes the median)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds the worker idles before t0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for kind in args.databases:
            rows = [run_size(kind, size, args, Path(directory) / f"run{run}")
                    for size in sorted(args.sizes) for run in range(args.repeat)]
            report(kind, rows, args)


if __name__ == "__main__":
    main()
