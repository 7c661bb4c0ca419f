"""POST /callback as LINE and attackers use it: signatures, bad bodies, duplicates, batches, odd events."""

from __future__ import annotations

import json
import logging
import threading

from sqlalchemy import func, select

from models import InboxEvent, InboxStatus, OutboxMessage, User


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def post_raw(client, body: str, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    return client.post("/callback", data=body.encode(), headers=headers)


def test_missing_signature_is_400_and_stores_nothing(client, db, sandbox, youth):
    body = json.dumps({"destination": sandbox.bot_user_id, "events": [sandbox.build_event(youth.user_id, "follow")]})
    assert post_raw(client, body, None).status_code == 400
    assert count(db, InboxEvent) == 0


def test_wrong_secret_is_400_and_body_is_not_logged(client, db, sandbox, youth, caplog):
    event = sandbox.build_event(youth.user_id, "message", message={"type": "text", "text": "ความลับของหนู"})
    body = json.dumps({"destination": sandbox.bot_user_id, "events": [event]}, ensure_ascii=False)
    from bot.sandbox import Sandbox

    forger = Sandbox(channel_secret="not-the-channel-secret", access_token="x")
    with caplog.at_level(logging.DEBUG):
        response = post_raw(client, body, forger.sign(body))
    assert response.status_code == 400
    assert count(db, InboxEvent) == 0
    assert "ความลับของหนู" not in caplog.text


def test_empty_events_is_200_for_the_console_verify_button(client, sandbox):
    body = json.dumps({"destination": sandbox.bot_user_id, "events": []})
    assert post_raw(client, body, sandbox.sign(body)).status_code == 200


def test_signed_body_that_is_not_json_is_400(client, sandbox):
    body = "{this is not json"
    assert post_raw(client, body, sandbox.sign(body)).status_code == 400


def test_signed_json_of_the_wrong_shape_is_400(client, sandbox, db):
    for body in ("[]", '{"events": {"type": "follow"}}', '"events"', '{"destination": "U1"}'):
        assert post_raw(client, body, sandbox.sign(body)).status_code == 400, body
    assert count(db, InboxEvent) == 0


def test_follow_is_greeted_in_thai_and_delivered_to_the_sandbox(sandbox, youth, worker, db):
    result = youth.follow()
    assert result.status == 200
    assert worker.run_once() == 1
    delivered = sandbox.messages_for(youth.user_id)
    assert len(delivered) == 1
    assert "ยินดีต้อนรับ" in delivered[0]["text"]
    assert "1300" in delivered[0]["text"]
    reply_calls = sandbox.calls(path="/v2/bot/message/reply")
    assert len(reply_calls) == 1 and reply_calls[0]["status"] == 200
    assert count(db, OutboxMessage, OutboxMessage.status == "sent") == 1


def test_text_before_registration_gets_short_thai_help_with_quick_replies(sandbox, youth, worker):
    youth.send_text("สวัสดีค่ะ")  # a friend from before the bot existed: no follow event, no registration
    worker.run_until_idle()
    (help_message,) = sandbox.messages_for(youth.user_id)
    labels = [item["action"]["label"] for item in help_message["quickReply"]["items"]]
    assert {"สมัคร อพม.น้อย", "ฉันมีรหัส", "เบอร์ฉุกเฉิน"} <= set(labels)
    assert "พิมพ์ \"ช่วยเหลือ\"" in help_message["text"]


def test_event_type_line_adds_tomorrow_is_stored_and_acknowledged(client, sandbox, youth, db, processor):
    future = sandbox.build_event(youth.user_id, "follow")
    future["type"] = "hologram"
    future["hologram"] = {"id": "h1"}
    malformed = {"type": "mystery"}  # not even the common fields
    body = json.dumps({"destination": sandbox.bot_user_id, "events": [future, malformed]})
    assert post_raw(client, body, sandbox.sign(body)).status_code == 200
    assert processor.run_until_idle() == 2
    with db.transaction() as session:
        rows = session.scalars(select(InboxEvent).order_by(InboxEvent.id)).all()
        assert [(row.event_type, row.status) for row in rows] == [
            ("hologram", InboxStatus.IGNORED), ("mystery", InboxStatus.IGNORED)]
    assert count(db, OutboxMessage) == 0


def test_events_that_are_not_objects_are_recorded_as_failed_not_500(client, sandbox, db, processor):
    body = json.dumps({"destination": sandbox.bot_user_id, "events": [42, "x", None]})
    assert post_raw(client, body, sandbox.sign(body)).status_code == 200
    processor.run_until_idle()
    assert count(db, InboxEvent, InboxEvent.status == InboxStatus.FAILED) == 3


def test_sticker_video_audio_file_get_a_polite_thai_answer(sandbox, youth, worker):
    for send in (youth.send_sticker, youth.send_video, youth.send_audio, youth.send_file):
        assert send().status == 200
    worker.run_until_idle()
    texts = [message["text"] for message in sandbox.messages_for(youth.user_id)]
    assert len(texts) == 4
    assert all("ยังอ่านสติกเกอร์" in text for text in texts)


def test_unknown_message_type_from_tomorrow_gets_the_same_polite_answer(client, sandbox, youth, worker, processor):
    event = sandbox.build_event(youth.user_id, "message", message={"type": "text", "text": "x"})
    event["message"] = {"id": "1", "type": "hologram"}
    body = json.dumps({"destination": sandbox.bot_user_id, "events": [event]})
    assert post_raw(client, body, sandbox.sign(body)).status_code == 200
    processor.run_until_idle()
    worker.run_until_idle()
    (answer,) = sandbox.messages_for(youth.user_id)
    assert "ยังอ่านสติกเกอร์" in answer["text"]


def test_five_thousand_emoji_text_is_handled(sandbox, youth, worker, db):
    result = youth.send_text("😀" * 5000)
    assert result.status == 200
    worker.run_until_idle()
    assert count(db, InboxEvent, InboxEvent.status == InboxStatus.PROCESSED) == 1
    assert len(sandbox.messages_for(youth.user_id)) == 1


def test_redelivered_event_has_no_second_effect(sandbox, youth, worker, db):
    event = sandbox.build_event(youth.user_id, "message", message={"type": "text", "text": "ช่วยเหลือ"})
    assert sandbox.post_events([event]).status == 200
    assert sandbox.post_events([event], redelivery=True).status == 200
    worker.run_until_idle()
    assert count(db, InboxEvent) == 1
    assert count(db, OutboxMessage) == 1
    assert len(sandbox.messages_for(youth.user_id)) == 1


def test_same_event_twice_at_once_is_handled_once(app, sandbox, youth, db, processor):
    event = sandbox.build_event(youth.user_id, "message", message={"type": "text", "text": "เมนู"})
    body = json.dumps({"destination": sandbox.bot_user_id, "events": [event]})
    signature = sandbox.sign(body)
    barrier = threading.Barrier(4)
    statuses = []

    def deliver():
        client = app.test_client()
        barrier.wait()
        statuses.append(post_raw(client, body, signature).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    assert processor.run_until_idle() == 1
    assert count(db, InboxEvent) == 1
    assert count(db, OutboxMessage) == 1
    assert count(db, User) == 1


def test_batch_of_one_hundred_events_from_many_users(sandbox, db, worker):
    users = [sandbox.user(display_name=f"น้อง{i}") for i in range(50)]
    events = [sandbox.build_event(user.user_id, "follow") for user in users]
    events += [sandbox.build_event(user.user_id, "message", message={"type": "text", "text": "สวัสดี"})
               for user in users]
    assert sandbox.post_events(events).status == 200
    assert count(db, InboxEvent, InboxEvent.status == InboxStatus.PROCESSED) == 100
    assert count(db, User) == 50
    worker.run_until_idle()
    for user in users:
        texts = [message["text"] for message in sandbox.messages_for(user.user_id)]
        assert len(texts) == 2 and "ยินดีต้อนรับ" in texts[0], "greeting must arrive before the help"


def test_standby_events_are_stored_and_not_answered(sandbox, youth, db, worker):
    event = sandbox.build_event(youth.user_id, "message", mode="standby", message={"type": "text", "text": "hi"})
    assert sandbox.post_events([event]).status == 200
    assert count(db, InboxEvent, InboxEvent.status == InboxStatus.IGNORED, InboxEvent.mode == "standby") == 1
    assert worker.run_once() == 0
    assert sandbox.messages_for(youth.user_id) == []


def test_group_events_are_stored_and_not_answered(client, sandbox, youth, db, processor):
    event = sandbox.build_event(youth.user_id, "message", message={"type": "text", "text": "hi"})
    event["source"] = {"type": "group", "groupId": "C" + "0" * 32, "userId": youth.user_id}
    body = json.dumps({"destination": sandbox.bot_user_id, "events": [event]})
    assert post_raw(client, body, sandbox.sign(body)).status_code == 200
    processor.run_until_idle()
    assert count(db, InboxEvent, InboxEvent.status == InboxStatus.IGNORED) == 1
    assert count(db, OutboxMessage) == 0
