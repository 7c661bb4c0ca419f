"""The first delivery worker against the sandbox: reply while fresh, push with a retry key after."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from models import OutboxMessage, OutboxStatus


def outbox_rows(db):
    with db.transaction() as session:
        return session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_fresh_reply_token_is_used_once_without_retry_key(sandbox, youth, worker):
    youth.follow()
    worker.run_once()
    (call,) = sandbox.calls(path="/v2/bot/message/reply")
    assert call["status"] == 200
    assert call["retry_key"] is None
    assert sandbox.calls(path="/v2/bot/message/push") == []


def test_expired_reply_token_falls_back_to_push_with_the_rows_retry_key(sandbox, youth, worker, clock, db):
    youth.follow()
    clock.advance(seconds=61)
    worker.run_once()
    assert sandbox.calls(path="/v2/bot/message/reply") == []
    (push,) = sandbox.calls(path="/v2/bot/message/push")
    (row,) = outbox_rows(db)
    assert push["status"] == 200
    assert push["retry_key"] == row.retry_key
    assert uuid.UUID(row.retry_key)
    assert row.status == OutboxStatus.SENT
    assert "ยินดีต้อนรับ" in sandbox.messages_for(youth.user_id)[0]["text"]


def test_reply_token_rejected_by_line_falls_back_to_push(sandbox, youth, worker, db):
    youth.follow()
    sandbox.faults.add(path="/v2/bot/message/reply", status=400, times=1, message="Invalid reply token")
    worker.run_once()
    (push,) = sandbox.calls(path="/v2/bot/message/push")
    assert push["status"] == 200
    assert len(sandbox.messages_for(youth.user_id)) == 1


def test_server_error_is_retried_later_with_the_same_key(sandbox, youth, worker, clock, db):
    youth.follow()
    clock.advance(seconds=61)
    sandbox.faults.add(path="/v2/bot/message/push", status=500, times=1)
    worker.run_once()
    (row,) = outbox_rows(db)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert worker.run_once() == 0, "not due before its backoff"
    clock.advance(seconds=5)
    worker.run_once()
    first, second = sandbox.calls(path="/v2/bot/message/push")
    assert (first["status"], second["status"]) == (500, 200)
    assert first["retry_key"] == second["retry_key"] == row.retry_key
    assert outbox_rows(db)[0].status == OutboxStatus.SENT
    assert len(sandbox.messages_for(youth.user_id)) == 1


def test_other_client_error_is_failed_and_recorded_with_lines_message(sandbox, youth, worker, clock, db):
    youth.follow()
    clock.advance(seconds=61)
    sandbox.faults.add(path="/v2/bot/message/push", status=403, times=1, message="Access to this API is not available")
    worker.run_once()
    (row,) = outbox_rows(db)
    assert row.status == OutboxStatus.FAILED
    assert row.http_status == 403
    assert "not available" in row.last_error


def test_row_older_than_its_retry_key_is_dead_not_resent(sandbox, youth, worker, clock, db):
    youth.follow()
    clock.advance(seconds=61)
    sandbox.faults.add(path="/v2/bot/message/push", status=500, times=1)
    worker.run_once()
    clock.advance(hours=24)
    worker.run_once()
    (row,) = outbox_rows(db)
    assert row.status == OutboxStatus.DEAD
    assert len(sandbox.calls(path="/v2/bot/message/push")) == 1


def test_messages_for_one_user_keep_their_order_across_retries(sandbox, youth, worker, clock):
    youth.follow()
    youth.send_text("เมนู")
    clock.advance(seconds=61)
    sandbox.faults.add(path="/v2/bot/message/push", status=500, times=1)
    worker.run_once()  # the greeting fails once; the help must wait for it
    clock.advance(seconds=5)
    worker.run_until_idle()
    texts = [message["text"] for message in sandbox.messages_for(youth.user_id)]
    assert len(texts) == 2
    assert "ยินดีต้อนรับ" in texts[0] and "สิ่งที่ทำได้" in texts[1]


def test_every_request_the_bot_sends_matches_lines_openapi_spec(sandbox, youth, worker, clock):
    from tests.openapi_check import assert_valid_request

    youth.follow()
    youth.send_text("เบอร์ฉุกเฉิน")
    youth.send_sticker()
    clock.advance(seconds=61)
    youth.send_text("อพม.น้อยคืออะไร")
    worker.run_until_idle()
    calls = sandbox.calls()
    assert {call["path"] for call in calls} >= {"/v2/bot/message/reply"}
    for call in calls:
        assert_valid_request(call)
