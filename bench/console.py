"""Console pages at programme scale: 1,000,000 volunteers and 200,000 reports on PostgreSQL.

Server time of the dashboard and the report list (first page, a filtered page, a deep page) for a national and
a provincial coordinator, measured in-process through Flask's test client (routing, session, queries,
templates; no network), `--repeat` times each after one warm-up; p50 / p95 / max in ms. Baseline in the
same run: the sign-in page (a template, no query), so the figures can be read as ratios on a noisy machine.
Target: p95 under 300 ms for the dashboard and the report list.

    uv run python bench/console.py                 # PostgreSQL 127.0.0.1:5432/bench_console (dropped, created)
    uv run python bench/console.py --volunteers 100000 --reports 20000 --repeat 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_db import fresh_postgres  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_console"
NOW = dt.datetime(2026, 11, 29, 5, 0, tzinfo=dt.UTC)
TARGET_MS = 300


def seed(url: str, volunteers: int, reports: int) -> float:
    """Volunteers (5% mentors) over the 77 provinces, registered over two years; reports over a year, 30% with a
    location, a realistic mix of statuses (most closed), categories and urgency; two coordinators."""
    from bot.report_categories import CATEGORIES
    from bot.thai import PROVINCES

    codes = "ARRAY[" + ",".join(f"'{province.code}'" for province in PROVINCES) + "]"
    categories = "ARRAY[" + ",".join(f"'{category.code}'" for category in CATEGORIES) + "]"
    started = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"""
            INSERT INTO users (line_user_id, role, status, province_code, nickname, community, is_following,
                               created_at, registered_at, notify_campaigns, notify_activities, failed_code_attempts,
                               age_years, age_recorded_at)
            SELECT 'U' || lpad(to_hex(g), 32, '0'), CASE WHEN g %% 20 = 0 THEN 'mentor' ELSE 'youth' END, 'active',
                   ({codes})[1 + g %% 77], 'น้อง' || g, 'ชุมชน' || (g %% 500), true,
                   %(now)s - (g %% 730) * interval '1 day', %(now)s - (g %% 730) * interval '1 day', true, true, 0,
                   10 + g %% 16, %(now)s
            FROM generate_series(1, %(n)s) AS g""", {"n": volunteers, "now": NOW})
        connection.exec_driver_sql("""
            INSERT INTO users (line_user_id, role, status, province_code, nickname, is_following, created_at,
                               registered_at, notify_campaigns, notify_activities, failed_code_attempts)
            VALUES ('Ucoordinator-national', 'coordinator', 'active', NULL, 'ชาติ', true, %(now)s, %(now)s, true,
                    true, 0),
                   ('Ucoordinator-bkk', 'coordinator', 'active', 'BKK', 'วิภา', true, %(now)s, %(now)s, true, true, 0)
            """, {"now": NOW})
        connection.exec_driver_sql(f"""
            INSERT INTO reports (ref, reporter_id, mentor_id, province_code, category, urgent, status, description,
                                 place_text, latitude, longitude, escalation_level, next_escalation_at, created_at,
                                 submitted_at, updated_at)
            SELECT 'R-' || lpad(to_hex(g), 8, '0'), 1 + (g * 7) %% %(v)s, 20 * (1 + g %% (%(v)s / 20)),
                   ({codes})[1 + g %% 77], ({categories})[1 + g %% {len(CATEGORIES)}], g %% 50 = 0,
                   CASE WHEN g %% 10 < 7 THEN 'closed' WHEN g %% 10 = 7 THEN 'open' WHEN g %% 10 = 8 THEN 'in_progress'
                        ELSE 'acknowledged' END,
                   'เรื่องที่ ' || g, 'ซอย ' || (g %% 100),
                   CASE WHEN g %% 10 IN (1, 2, 7, 8) THEN 13.0 + (g %% 1000) / 200.0 END,
                   CASE WHEN g %% 10 IN (1, 2, 7, 8) THEN 100.0 + (g %% 777) / 300.0 END,
                   CASE WHEN g %% 10 = 7 AND g %% 3 = 0 THEN 1 ELSE 0 END,
                   CASE WHEN g %% 10 = 7 THEN %(now)s + ((g %% 48) - 24) * interval '1 hour' END,
                   %(now)s - (g %% 365) * interval '1 day', %(now)s - (g %% 365) * interval '1 day',
                   %(now)s - (g %% 365) * interval '1 day'
            FROM generate_series(1, %(r)s) AS g""", {"r": reports, "v": volunteers, "now": NOW})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def signed_in_client(app, line_user_id: str):
    from sqlalchemy import select

    from bot.services import services
    from models import User
    from web import accounts

    client = app.test_client()
    with services(app).db.transaction() as session:
        user = session.scalars(select(User).where(User.line_user_id == line_user_id)).one()
        token = accounts.issue_link(session, user, services(app).clock())
    assert client.get(f"/console/link/{token}").status_code == 302
    return client


def timed(client, path: str, repeat: int, forget=None) -> list[float]:
    assert client.get(path).status_code == 200, path  # warm-up (and a check that it works)
    times = []
    for _ in range(repeat):
        if forget:
            forget()
        started = time.perf_counter()
        answer = client.get(path)
        answer.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
    return times


def summary(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--volunteers", type=int, default=1_000_000)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    url = fresh_postgres(args.database_url)
    print(f"seeded {args.volunteers:,} volunteers and {args.reports:,} reports in "
          f"{seed(url, args.volunteers, args.reports):.1f} s")
    from app import create_app
    from bot.clock import ManualClock
    from bot.config import Settings

    app = create_app(Settings(database_url=url, log_level="WARNING"), clock=ManualClock(NOW))
    pages = [("sign-in page (baseline)", None, "/console/login"),
             ("dashboard, national, counted anew", "Ucoordinator-national", "/console/dashboard", True),
             ("dashboard, national (counts < 1 min old)", "Ucoordinator-national", "/console/dashboard"),
             ("dashboard, Bangkok, counted anew", "Ucoordinator-bkk", "/console/dashboard", True),
             ("dashboard, Bangkok (counts < 1 min old)", "Ucoordinator-bkk", "/console/dashboard"),
             ("report list, national", "Ucoordinator-national", "/console/reports"),
             ("report list, open + overdue", "Ucoordinator-national", "/console/reports?status=open&overdue=1"),
             ("report list, a category in a province", "Ucoordinator-national",
              "/console/reports?category=elderly&province=CMI"),
             ("report list, page 100", "Ucoordinator-national", "/console/reports?page=100"),
             ("report list, Bangkok", "Ucoordinator-bkk", "/console/reports"),
             ("people search, national", "Ucoordinator-national", "/console/people?q=น้อง12345")]
    clients = {}
    baseline = None
    print(f"{'page':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/baseline':>13}")
    from web.dashboard_figures import CACHE_KEY

    for label, who, path, *cold in pages:
        client = clients.setdefault(who, app.test_client() if who is None else signed_in_client(app, who))
        forget = (lambda: app.extensions.pop(CACHE_KEY, None)) if cold else None
        p50, p95, worst = summary(timed(client, path, args.repeat, forget))
        baseline = baseline or p95
        verdict = "" if who is None else ("  met" if p95 < TARGET_MS else "  NOT met")
        print(f"{label:<44} {p50:8.1f} {p95:8.1f} {worst:8.1f} {p95 / baseline:13.1f}{verdict}")


if __name__ == "__main__":
    main()
