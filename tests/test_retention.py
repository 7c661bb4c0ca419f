"""What people wrote is emptied from stored events and sent messages after the retention period, by a
scheduled job that touches each row once; failed events stay for replay."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from bot import retention
from models import InboxEvent, InboxStatus, OutboxMessage
from tests.chat import Chat
from tests.test_onboarding import register


def bodies(db):
    with db.transaction() as session:
        events = {e.id: (e.status, e.payload) for e in session.scalars(select(InboxEvent))}
        messages = {m.id: m.messages for m in session.scalars(select(OutboxMessage))}
    return events, messages


def test_old_payloads_and_bodies_are_emptied_and_recent_ones_kept(app, sandbox, worker, db, clock):
    register(Chat(sandbox, worker, sandbox.user()), community="ชุมชนลับ")
    with db.transaction() as session:
        failed = session.scalars(select(InboxEvent).order_by(InboxEvent.id)).first()
        failed.status = InboxStatus.FAILED
    clock.advance(days=31)
    recent = Chat(sandbox, worker, sandbox.user())
    recent.follow()
    recent.say("12")

    with db.transaction() as session:
        retention.expire_old_bodies(session, clock())
    events, messages = bodies(db)
    old_events = [payload for status, payload in events.values() if payload == retention.EXPIRED_PAYLOAD]
    assert len(old_events) == len(events) - 1 - 2, "all but the failed one and the two recent ones"
    assert events[failed.id][1] != retention.EXPIRED_PAYLOAD
    assert "ชุมชนลับ" not in str(messages)
    assert any(body for body in messages.values()), "the recent answers are still there"

    with db.transaction() as session:  # a second run finds nothing new
        retention.expire_old_bodies(session, clock())
    assert bodies(db) == (events, messages)


def test_a_fresh_process_that_builds_the_app_schedules_every_job(tmp_path):
    """Jobs register on import: the app must import them all, or a scheduler process silently skips some."""
    script = ("from app import create_app; from bot.config import Settings; from bot.scheduler import JOBS;"
              f"create_app(Settings(database_url='sqlite:///{tmp_path}/x.sqlite3'));"
              "print(' '.join(sorted(job.name for job in JOBS)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert set(done.stdout.split()) >= {"message-retention", "report-escalation", "report-purge", "held-pushes",
                                        "heartbeat-sweep", "tick-sweep"}
