"""Campaign audience benchmark (PostgreSQL): how long the dispatch job takes to snapshot a national campaign
for 100,000 youth across the 77 provinces, beside a baseline measured in the same run.

    uv run python bench/campaigns.py
    uv run python bench/campaigns.py --users 100000 --repeat 5 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_campaigns

The database named in --database-url is dropped and created again (its name must start with "bench"), then
migrated to head and seeded in a few INSERT ... SELECT generate_series statements: --users youth spread
evenly over the 77 provinces (ages 10-25 told up to two years ago, so about half are minors; 2% no longer
follow the bot, 1% turned campaign news off, 5% muted the campaign's tag) and one national coordinator.

Measured, each in one transaction with its commit, --repeat times in alternating order (the outbox and the
campaign are put back between runs):
- campaign: `bot.campaigns.dispatch_due` at 10:00 Bangkok time for a campaign to every youth tagged with the
  muted tag: the permission check, the per-province counts, and one `bot.bulk.snapshot` per province with
  that province's Flex card (77 bulk sends);
- baseline: one `bot.bulk.snapshot` of the plain `bot.bulk.following_users()` audience limited to the same
  number of recipients, with the same messages (what a campaign without provinces, roles or tags costs).
Also printed once: the same campaign at 22:00 (adults now) and its minors' wave at 07:00.
Target: the campaign snapshot under 2 s. Delivery of a snapshot within 2x LINE's multicast floor is measured
by bench/delivery.py (`uv run python bench/delivery.py --sizes 100000`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import fresh_postgres  # noqa: E402
from sqlalchemy import create_engine, func, select, update  # noqa: E402

from bot.thai import PROVINCES  # noqa: E402
from models import BulkSend, Campaign, CampaignStatus, OutboxMessage, User  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_campaigns"
TAG = "ยาเสพติด"
DAY_RUN = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)  # 10:00 in Bangkok
NIGHT_RUN = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)  # 22:00
TARGET_S = 2.0


def seed(url: str, users: int, now: dt.datetime) -> float:
    started = time.perf_counter()
    codes = "ARRAY[" + ", ".join(f"'{province.code}'" for province in PROVINCES) + "]"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO users (line_user_id, role, status, province_code, age_years, age_recorded_at, "
            "is_following, notify_campaigns, created_at, registered_at, followed_at) "
            f"SELECT 'U' || lpad(to_hex(g), 32, '0'), 'youth', 'active', ({codes})[1 + g %% 77], 10 + g %% 16, "
            "%(now)s - make_interval(days => g %% 730), g %% 50 <> 0, g %% 100 <> 1, %(now)s, %(now)s, %(now)s "
            "FROM generate_series(1, %(n)s) AS g", {"n": users, "now": now})
        connection.exec_driver_sql(
            "INSERT INTO user_tags (user_id, tag, kind, at) SELECT id, %(tag)s, 'muted', %(now)s FROM users "
            "WHERE id %% 20 = 3", {"tag": TAG, "now": now})
        connection.exec_driver_sql(
            "INSERT INTO users (line_user_id, role, status, province_code, is_following, created_at) "
            "VALUES ('Ucoordinator', 'coordinator', 'active', NULL, true, %(now)s)", {"now": now})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE users, user_tags")
    engine.dispose()
    return time.perf_counter() - started


def new_campaign(db, settings, now: dt.datetime) -> int:
    from bot import campaigns

    with db.transaction() as session:
        sender = session.scalar(select(User).where(User.line_user_id == "Ucoordinator"))
        campaign = campaigns.schedule(
            session, sender, title="รู้ทันยาเสพติด", body="ชวนน้อง ๆ ร่วมรณรงค์วันต่อต้านยาเสพติดโลก " * 10,
            link_url="https://www.m-society.go.th", tags=[TAG], audience=campaigns.Audience(roles=("youth",)),
            send_at=now, now=now, settings=settings)
        return campaign.id


def reset(db, campaign_id: int, send_at: dt.datetime) -> None:
    """Put the campaign back to scheduled and empty the outbox (then fresh statistics)."""
    with db.transaction() as session:
        session.execute(OutboxMessage.__table__.delete())
        session.execute(BulkSend.__table__.delete())
        session.execute(update(Campaign).where(Campaign.id == campaign_id).values(
            status=CampaignStatus.SCHEDULED, send_at=send_at, started_at=None, minors_due_at=None,
            recipient_count=0, request_count=0, quota_cost=0))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE outbox_messages, bulk_sends, campaigns")


def timed_dispatch(db, settings, now: dt.datetime) -> tuple[float, int]:
    from bot import campaigns

    started = time.perf_counter()
    with db.transaction() as session:
        waves = campaigns.dispatch_due(session, now, settings)
    return time.perf_counter() - started, waves


def timed_baseline(db, settings, campaign_id: int, recipients: int, now: dt.datetime) -> float:
    from bot import bulk, campaign_cards

    with db.transaction() as session:
        messages = campaign_cards.recipient_messages(session.get(Campaign, campaign_id), settings, None)
    started = time.perf_counter()
    with db.transaction() as session:
        sent = bulk.snapshot(session, "baseline", messages, bulk.following_users().limit(recipients), now)
    seconds = time.perf_counter() - started
    if sent.recipient_total != recipients:
        raise RuntimeError(f"baseline queued {sent.recipient_total}, expected {recipients}")
    return seconds


def counts(db, campaign_id: int) -> tuple[int, int, int, str]:
    with db.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        sends = session.scalar(select(func.count()).select_from(BulkSend).where(BulkSend.campaign_id == campaign_id))
        return campaign.recipient_count, campaign.request_count, sends, campaign.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL; dropped and created again")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("--database-url must be a postgresql+psycopg:// URL")
    from bot.config import Settings
    from bot.logs import configure
    from models.db import Database

    configure("WARNING")
    url = fresh_postgres(args.database_url)
    seed_seconds = seed(url, args.users, DAY_RUN)
    settings = Settings(database_url=url, environment="development", public_base_url="https://bot.example.org",
                        line_bot_basic_id="@aphmnoi").validated()
    db = Database(url)
    try:
        campaign_id = new_campaign(db, settings, DAY_RUN)
        runs = {"campaign": [], "baseline": []}
        recipients = requests = sends = 0
        for index in range(args.repeat):
            for kind in (("campaign", "baseline") if index % 2 == 0 else ("baseline", "campaign")):
                reset(db, campaign_id, DAY_RUN)
                if kind == "campaign":
                    seconds, waves = timed_dispatch(db, settings, DAY_RUN)
                    recipients, requests, sends, status = counts(db, campaign_id)
                    assert waves == 1 and status == CampaignStatus.SENT, (waves, status)
                else:
                    seconds = timed_baseline(db, settings, campaign_id, recipients or args.users, DAY_RUN)
                runs[kind].append(seconds)
        night = night_waves(db, settings, campaign_id)
    finally:
        db.dispose()
    report(args, seed_seconds, runs, recipients, requests, sends, night)


def night_waves(db, settings, campaign_id: int) -> dict:
    reset(db, campaign_id, NIGHT_RUN)
    adults_s, _ = timed_dispatch(db, settings, NIGHT_RUN)
    adults, adult_requests, _, status = counts(db, campaign_id)
    with db.transaction() as session:
        due = session.get(Campaign, campaign_id).minors_due_at
    minors_s, _ = timed_dispatch(db, settings, due)
    total, total_requests, sends, done = counts(db, campaign_id)
    return {"adults_s": adults_s, "adults": adults, "minors_s": minors_s, "minors": total - adults,
            "requests": total_requests, "sends": sends, "status": (status, done), "due": due}


def report(args, seed_seconds, runs, recipients, requests, sends, night) -> None:
    campaign, baseline = statistics.median(runs["campaign"]), statistics.median(runs["baseline"])
    print(f"== campaign audience snapshot, PostgreSQL, {args.users:,} youth in 77 provinces "
          f"(seeded in {seed_seconds:.1f} s), {args.repeat} runs each, medians ==")
    print(f"recipients {recipients:,} in {sends} bulk sends, {requests:,} multicast requests")
    print(f"{'':28}{'median s':>10}  runs s")
    for name, label in (("campaign", "campaign (dispatch_due)"), ("baseline", "baseline (bulk.snapshot)")):
        print(f"{label:28}{statistics.median(runs[name]):>10.3f}  {', '.join(f'{s:.3f}' for s in runs[name])}")
    print(f"ratio campaign / baseline: {campaign / baseline:.2f}")
    print(f"at 22:00: adults {night['adults']:,} in {night['adults_s']:.3f} s; minors {night['minors']:,} at "
          f"{night['due']:%H:%M} UTC in {night['minors_s']:.3f} s; {night['sends']} bulk sends, "
          f"{night['requests']:,} requests; status {night['status'][0]} -> {night['status'][1]}")
    verdict = "met" if campaign < TARGET_S else "NOT met"
    print(f"target: campaign snapshot < {TARGET_S:g} s: {campaign:.2f} s, {verdict}")
    print("(each figure: one transaction, commit included; delivery: uv run python bench/delivery.py --sizes 100000)")


if __name__ == "__main__":
    main()
