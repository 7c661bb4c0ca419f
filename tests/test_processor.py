"""The event processor under load: several processors at once (PostgreSQL), one user's events in order, the
statements a known user's event costs, and the JSON the delivery worker sends."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest
from sqlalchemy import event, select

from bot.background import processor_threads
from bot.config import ConfigError, Settings
from bot.processor import next_event_query
from bot.services import services
from models import InboxEvent, InboxStatus, OutboxMessage
from tests.polling import wait_until


def store_text(client, sandbox, user_id: str, text: str) -> None:
    """Post a signed text event to the webhook without running the processor (the `app` fixture's
    transport runs it at once)."""
    event_json = sandbox.build_event(user_id, "message", message={"type": "text", "text": text})
    body = json.dumps({"destination": sandbox.bot_user_id, "events": [event_json]})
    response = client.post("/callback", data=body.encode(), headers={"Content-Type": "application/json",
                                                                    "X-Line-Signature": sandbox.sign(body)})
    assert response.status_code == 200


def test_processor_threads_come_from_the_settings_but_sqlite_runs_one(app, db):
    app_services = services(app)
    app_services.settings = dataclasses.replace(app_services.settings, processor_threads=3)
    assert processor_threads(app_services) == (1 if db.dialect == "sqlite" else 3)


def test_processor_threads_setting_is_checked():
    assert Settings.from_env({"PROCESSOR_THREADS": "6"}, dotenv_path=None).processor_threads == 6
    with pytest.raises(ConfigError, match="PROCESSOR_THREADS must be between 1 and 32"):
        Settings.from_env({"PROCESSOR_THREADS": "0"}, dotenv_path=None)


def test_an_event_held_by_one_processor_leaves_its_user_waiting_and_others_served(db, client, sandbox, processor):
    if db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: one processor per database")
    first, other = sandbox.user(display_name="น้องฟ้า"), sandbox.user(display_name="น้องฝน")
    store_text(client, sandbox, first.user_id, "ช่วยเหลือ")
    store_text(client, sandbox, first.user_id, "เมนู")
    store_text(client, sandbox, other.user_id, "ช่วยเหลือ")
    with db.transaction() as session:  # another processor is in the middle of the first user's first event
        held = session.execute(next_event_query(db.dialect)).scalar_one()
        assert held.source_user_id == first.user_id
        assert processor.run_until_idle() == 1  # only the other user's event: the first user's second waits
        with db.sessions() as look:
            done = look.scalars(select(InboxEvent.source_user_id).where(
                InboxEvent.status == InboxStatus.PROCESSED)).all()
        assert done == [other.user_id]
        session.rollback()  # that processor died: its event goes back to the queue
    assert processor.run_until_idle() == 2  # both of the first user's events, in order
    with db.sessions() as look:
        handled = look.scalars(select(InboxEvent.id).where(InboxEvent.source_user_id == first.user_id)
                               .order_by(InboxEvent.processed_at, InboxEvent.id)).all()
        assert handled == sorted(handled) and len(handled) == 2
        assert look.query(OutboxMessage).count() == 3


def test_a_known_users_event_reads_the_user_once_and_inserts_nothing_for_them(client, sandbox, processor):
    youth = sandbox.user(display_name="น้องฟ้า")
    store_text(client, sandbox, youth.user_id, "ช่วยเหลือ")
    assert processor.run_until_idle() == 1  # first contact: the user row is created
    statements: list[str] = []

    def remember(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    store_text(client, sandbox, youth.user_id, "ช่วยเหลือ")
    event.listen(processor.db.engine, "before_cursor_execute", remember)
    try:
        assert processor.run_until_idle() == 1
    finally:
        event.remove(processor.db.engine, "before_cursor_execute", remember)
    assert not [sql for sql in statements if sql.startswith("INSERT INTO users")]
    assert len([sql for sql in statements if sql.startswith("SELECT users.")]) == 1


def test_the_worker_sends_the_stored_json_of_a_message_as_it_is(db, sandbox, worker):
    youth = sandbox.user(display_name="น้องฟ้า")
    youth.send_text("ช่วยเหลือ")  # stored and handled at once (the `app` fixture's transport)
    with db.sessions() as session:
        stored = session.scalars(select(OutboxMessage.messages)).one()
    worker.run_until_idle()
    (call,) = [call for call in sandbox.calls() if call["path"] == "/v2/bot/message/reply"]
    assert call["status"] == 200
    assert call["body"]["messages"] == stored


def test_a_helper_processor_is_called_in_by_a_queue_not_woken_by_every_event(db, client, sandbox, processor):
    """A leader and a helper (which polls only every 60 s here, so it works only when called in) handle a
    queue together: every event once, and both stop when told."""
    users = [sandbox.user(display_name=f"น้อง{number}") for number in range(6)]
    stop, wakeup, after = threading.Event(), threading.Event(), []
    helper = threading.Thread(target=processor.run_forever, args=(stop, threading.Event()),
                              kwargs={"idle_seconds": 60, "helper": True, "after_batch": lambda: after.append(1)})
    helper.start()
    try:
        for user in users:
            store_text(client, sandbox, user.user_id, "ช่วยเหลือ")
        leader = threading.Thread(target=processor.run_forever, args=(stop, wakeup),
                                  kwargs={"idle_seconds": 60, "after_batch": lambda: after.append(1)})
        leader.start()
        wait_until(lambda: len(after) == len(users), 30, "every event was handled")
        with db.sessions() as look:
            assert look.query(InboxEvent).filter(InboxEvent.status == InboxStatus.PROCESSED).count() == len(users)
            assert look.query(OutboxMessage).count() == len(users)  # each once, whoever took it
    finally:
        stop.set()
        wakeup.set()
        with processor._helpers:
            processor._helpers.notify_all()
        helper.join(timeout=10)
        leader.join(timeout=10)
    assert not helper.is_alive() and not leader.is_alive()
