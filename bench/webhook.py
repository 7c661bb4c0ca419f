"""Webhook benchmark: signed LINE events against the bot under gunicorn on loopback, beside a bare Flask
endpoint under the same server settings in the same run (the ceiling of the stack).

    uv run python bench/webhook.py [--databases sqlite postgresql] [--seconds 10] [--rate 500] [--workers 4]

Two measurements per server:
1. saturation: wrk (Debian package `wrk`) with 2 threads and 32 connections for --seconds: events/s, p50, p99;
2. fixed rate: an open-loop client sends --rate events/s for --seconds; latency is measured from each
   request's scheduled time, so queueing counts (no coordinated omission): p50, p99.
Every request is one distinct signed text-message event from one of 2,000 users, so each one does the
full work: inbox insert, user and conversation rows, handler, outbox row, commit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.sandbox import Sandbox  # noqa: E402

SECRET = "bench-channel-secret-0123456789"
TOKEN = "bench-access-token"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "bench_webhook"


def signed_bodies(count: int, users: int = 2000) -> list[tuple[str, str]]:
    """`count` distinct single-event webhook bodies with their X-Line-Signature."""
    sandbox = Sandbox(channel_secret=SECRET, access_token=TOKEN)
    user_ids = [f"U{index:032x}" for index in range(users)]
    bodies = []
    for index in range(count):
        event = sandbox.build_event(user_ids[index % users], "message", message={"type": "text", "text": "สวัสดีค่ะ"})
        body = json.dumps({"destination": sandbox.bot_user_id, "events": [event]}, ensure_ascii=False)
        bodies.append((sandbox.sign(body), body))
    return bodies


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_database(kind: str, workdir: Path) -> str:
    from sqlalchemy import create_engine

    from models.schema import upgrade_to_head

    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            connection.exec_driver_sql(f"CREATE DATABASE {PG_BENCH_DB}")
        admin.dispose()
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
    upgrade_to_head(url)
    return url


class Server:
    """gunicorn serving an app factory on a free loopback port, same settings for bot and bare app."""

    def __init__(self, factory: str, workers: int, env: dict[str, str], threads: int = 1):
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
                   "--bind", f"127.0.0.1:{self.port}",
                   "--log-level", "warning", "--keep-alive", "30", "--backlog", "2048", factory]
        with open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "a") as server_log:
            self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                                            stdout=subprocess.DEVNULL, stderr=server_log)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        """Until every worker has booted: 50 answers in a row, each within 50 ms (gunicorn's master
        accepts connections before its workers have imported the app)."""
        deadline, fast_in_a_row = time.monotonic() + timeout, 0
        while time.monotonic() < deadline and fast_in_a_row < 50:
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/ready-probe")
                connection.getresponse().read()
                fast_in_a_row = fast_in_a_row + 1 if time.perf_counter() - started < 0.05 else 0
            except OSError:
                fast_in_a_row = 0
                time.sleep(0.1)
        if fast_in_a_row < 50:
            raise RuntimeError(f"gunicorn did not become ready on port {self.port}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def run_wrk(port: int, bodies_file: Path, seconds: int) -> dict[str, float]:
    env = {**os.environ, "BENCH_BODIES": str(bodies_file), "BENCH_THREADS": "2"}
    output = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", str(ROOT / "bench" / "webhook.lua"),
         f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True, check=True).stdout
    return {"events_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50_ms": _wrk_latency(output, "50%"), "p99_ms": _wrk_latency(output, "99%"),
            "non_2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0}


def _wrk_latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_fixed_rate(port: int, bodies: list[tuple[str, str]], rate: int, seconds: int,
                   connections: int = 32) -> dict[str, float]:
    """Open loop: request i is due at start + i/rate; latency counts from that moment."""
    total = rate * seconds
    latencies: list[float] = []
    errors = [0]
    next_index = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= total:
                break
            due = start + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            signature, body = bodies[index % len(bodies)]
            connection.request("POST", "/callback", body.encode(), {"Content-Type": "application/json",
                                                                     "X-Line-Signature": signature})
            response = connection.getresponse()
            response.read()
            with lock:
                latencies.append((time.perf_counter() - due) * 1000)
                errors[0] += response.status != 200
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    quantiles = statistics.quantiles(latencies, n=100)
    return {"rate": rate, "p50_ms": quantiles[49], "p99_ms": quantiles[98], "errors": errors[0]}


def bench_database(kind: str, args, workdir: Path) -> dict:
    url = fresh_database(kind, workdir)
    saturation_bodies = signed_bodies(args.bodies)
    bodies_file = workdir / "bodies.tsv"
    bodies_file.write_text("".join(f"{sig}\t{body}\n" for sig, body in saturation_bodies))
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "DATABASE_URL": url,
           "LINE_API_BASE_URL": "http://127.0.0.1:9", "LOG_LEVEL": "INFO"}
    results = {}
    for name, factory in (("bare", "bench.bare_app:create_app()"), ("bot", "app:create_app()")):
        server = Server(factory, args.workers, env, args.threads)
        try:
            results[name] = run_wrk(server.port, bodies_file, args.seconds)
            rate_bodies = signed_bodies(args.rate * args.seconds)
            results[name]["fixed"] = run_fixed_rate(server.port, rate_bodies, args.rate, args.seconds)
        finally:
            server.stop()
    return results


def report(kind: str, results: dict, args) -> None:
    bare, bot = results["bare"], results["bot"]
    print(f"\n== {kind}: gunicorn --workers {args.workers} --threads {args.threads}, "
          f"wrk -t2 -c32 -d{args.seconds}s ==")
    print(f"{'':22}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}   at {args.rate}/s: {'p50 ms':>7}{'p99 ms':>8}")
    for name, row in (("bare Flask endpoint", bare), ("bot /callback", bot)):
        fixed = row["fixed"]
        print(f"{name:22}{row['events_per_s']:>10.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
              f"   {'':>10}{fixed['p50_ms']:>7.2f}{fixed['p99_ms']:>8.2f}")
    print(f"throughput ratio bot/bare: {bot['events_per_s'] / bare['events_per_s']:.2f} (target >= 0.60)")
    print(f"p99 at {args.rate}/s: {bot['fixed']['p99_ms']:.1f} ms (target < 50 ms); "
          f"non-2xx: {bot['non_2xx']} saturation, {bot['fixed']['errors']} fixed-rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads (> 1: gthread workers)")
    parser.add_argument("--bodies", type=int, default=60000, help="distinct signed bodies for the wrk run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as directory:
        for kind in args.databases:
            report(kind, bench_database(kind, args, Path(directory)), args)


if __name__ == "__main__":
    main()
