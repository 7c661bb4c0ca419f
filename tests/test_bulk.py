"""Bulk sends: the audience is snapshotted into multicast batches of at most 500, progress is countable,
a refused batch fails alone, and LINE's monthly limit pauses bulk sends and tells the coordinators."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import insert, select

from bot import bulk, replies
from bot.pause import COORDINATOR_NOTICE, bulk_paused
from models import OutboxMessage, OutboxStatus, Role, User
from tests.openapi_check import assert_valid_request

MONTHLY_LIMIT = "You have reached your monthly limit."


def add_users(db, clock, count: int, role: str | None = Role.YOUTH, following: bool = True) -> list[str]:
    ids = [f"U{index:032x}" for index in range(len(_existing(db)), len(_existing(db)) + count)]
    with db.transaction() as session:
        session.execute(insert(User), [{"line_user_id": line_id, "role": role, "is_following": following,
                                        "created_at": clock()} for line_id in ids])
    return ids


def _existing(db) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(User.line_user_id)))


def queue_campaign(db, clock, title="ข่าวอาสา", audience=None):
    with db.transaction() as session:
        sent = bulk.snapshot(session, title, [replies.text("ชวนร่วมกิจกรรมวันเด็ก")],
                             audience if audience is not None else bulk.following_users(), clock())
        return sent.id, sent.recipient_total, sent.batch_count


def progress(db, bulk_id):
    with db.transaction() as session:
        return bulk.progress(session, bulk_id)


def accepted_recipients(sandbox) -> Counter:
    return Counter(user_id for call in sandbox.calls(path="/v2/bot/message/multicast") if call["status"] == 200
                   for user_id in call["body"]["to"])


def test_audience_is_snapshotted_into_batches_of_at_most_500(db, clock, worker, sandbox):
    youths = add_users(db, clock, 1234)
    add_users(db, clock, 7, following=False)
    bulk_id, total, batches = queue_campaign(db, clock)
    assert (total, batches) == (1234, 3)
    with db.transaction() as session:
        sizes = session.scalars(select(OutboxMessage.recipient_count).where(OutboxMessage.bulk_send_id == bulk_id)
                                .order_by(OutboxMessage.id)).all()
    assert sizes == [500, 500, 234]
    assert progress(db, bulk_id) == bulk.Progress(queued=1234, sent=0, failed=0)

    add_users(db, clock, 10)  # joined after "send": not in this campaign
    worker.run_until_idle()
    assert accepted_recipients(sandbox) == Counter(youths)
    assert progress(db, bulk_id) == bulk.Progress(queued=0, sent=1234, failed=0)


def test_a_batch_line_refuses_fails_alone_and_is_recorded(db, clock, worker, sandbox):
    add_users(db, clock, 1500)
    bulk_id, _, _ = queue_campaign(db, clock)
    sandbox.faults.add(path="/v2/bot/message/multicast", status=400, times=1, message="The request body has 1 error(s)")
    worker.run_until_idle()
    assert progress(db, bulk_id) == bulk.Progress(queued=0, sent=1000, failed=500)
    with db.transaction() as session:
        failed = session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)).one()
    assert failed.http_status == 400 and "1 error" in failed.last_error
    assert sum(accepted_recipients(sandbox).values()) == 1000


def test_monthly_limit_pauses_bulk_sends_and_tells_coordinators(db, clock, worker, sandbox, runner, youth):
    coordinators = add_users(db, clock, 2, role=Role.COORDINATOR)
    for line_id in coordinators:
        sandbox.user(line_id, display_name="คุณวิภา")
    add_users(db, clock, 1200)
    bulk_id, _, _ = queue_campaign(db, clock, audience=bulk.following_users().where(User.role == Role.YOUTH))
    sandbox.faults.add(path="/v2/bot/message/multicast", status=429, times=1, message=MONTHLY_LIMIT)
    worker.run_until_idle()

    with db.transaction() as session:
        assert bulk_paused(session)["reason"].startswith("You have reached your monthly limit")
    assert progress(db, bulk_id).sent == 0, "no batch goes out while paused"
    for line_id in coordinators:
        assert [message["text"] for message in sandbox.messages_for(line_id)] == [COORDINATOR_NOTICE]
    youth.send_text("ช่วยเหลือ")  # replies are free and are not paused
    worker.run_until_idle()
    assert len(sandbox.messages_for(youth.user_id)) == 1

    result = runner.invoke(args=["bulk-resume"])
    assert result.exit_code == 0 and "resumed" in result.output
    worker.run_until_idle()
    assert progress(db, bulk_id) == bulk.Progress(queued=0, sent=1200, failed=0)
    assert max(accepted_recipients(sandbox).values()) == 1


def test_bulk_rows_use_multicast_with_their_retry_key(db, clock, worker, sandbox):
    add_users(db, clock, 600)
    bulk_id, _, _ = queue_campaign(db, clock)
    worker.run_until_idle()
    with db.transaction() as session:
        keys = set(session.scalars(select(OutboxMessage.retry_key).where(OutboxMessage.bulk_send_id == bulk_id)))
    calls = sandbox.calls(path="/v2/bot/message/multicast")
    assert {call["retry_key"] for call in calls} == keys and len(calls) == 2
    for call in calls:
        assert_valid_request(call)  # LINE's OpenAPI spec
