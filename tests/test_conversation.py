"""The conversation model: flows declared as data, state in the database, cancel/help everywhere,
stale buttons answered politely, and a handler that raises is recorded and replayable."""

from __future__ import annotations

from sqlalchemy import select

from bot import postback, replies
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.services import services
from models import Conversation, InboxEvent, InboxStatus


def ask_colour(turn: Turn, ctx: Context) -> Outcome:
    chips = [replies.postback_chip("แดง", postback.encode("colour", ctx.token, v="red"))]
    return Outcome.goto("quiz", "colour", replies.text("ชอบสีอะไร", chips))


def colour_step(turn: Turn, ctx: Context) -> Outcome:
    if turn.kind is TurnKind.POSTBACK and turn.postback and turn.postback.action == "colour":
        return Outcome.end(replies.text(f"ได้สี {turn.postback.params['v']}"))
    if turn.kind is TurnKind.TEXT and turn.text in ("แดง", "เขียว"):
        return Outcome.end(replies.text(f"ได้สี {turn.text}"))
    return Outcome.reply(replies.text("ตอบเป็นสีนะ เช่น แดง"))


def install_quiz(app, start=ask_colour):
    router = services(app).processor.dispatcher.router
    router.add_flow(Flow(name="quiz", steps={"colour": colour_step}, start=start,
                         entry_texts=frozenset({"เล่นเกม"}), entry_actions=frozenset({"quiz"})))


def state(db, line_user_id):
    with db.transaction() as session:
        from models import User

        user = session.scalars(select(User).where(User.line_user_id == line_user_id)).one()
        conversation = session.get(Conversation, user.id)
        return conversation.flow, conversation.step, conversation.token


def last_text(sandbox, user):
    return sandbox.messages_for(user.user_id)[-1]["text"]


def test_flow_state_lives_in_the_database_and_reasks_on_wrong_input(app, sandbox, youth, worker, db):
    install_quiz(app)
    youth.send_text("เล่นเกม")
    assert state(db, youth.user_id)[:2] == ("quiz", "colour")
    youth.send_text("แมว")
    worker.run_until_idle()
    assert last_text(sandbox, youth) == "ตอบเป็นสีนะ เช่น แดง"
    youth.send_text("เขียว")
    worker.run_until_idle()
    assert last_text(sandbox, youth) == "ได้สี เขียว"
    assert state(db, youth.user_id)[:2] == (None, None)


def test_cancel_and_help_work_inside_a_flow(app, sandbox, youth, worker, db):
    install_quiz(app)
    youth.send_text("เล่นเกม")
    youth.send_text("ช่วยเหลือ")
    worker.run_until_idle()
    assert "สิ่งที่ทำได้" in last_text(sandbox, youth)
    assert state(db, youth.user_id)[:2] == ("quiz", "colour"), "help does not leave the flow"
    youth.send_text("ยกเลิก")
    worker.run_until_idle()
    assert "ยกเลิกแล้ว" in last_text(sandbox, youth)
    assert state(db, youth.user_id)[:2] == (None, None)


def test_button_from_an_ended_conversation_is_answered_politely(app, sandbox, youth, worker, db):
    install_quiz(app)
    youth.send_text("เล่นเกม")
    old_token = state(db, youth.user_id)[2]
    youth.send_text("ยกเลิก")
    youth.tap_postback(postback.encode("colour", old_token, v="red"))
    worker.run_until_idle()
    assert "หมดอายุ" in last_text(sandbox, youth)
    assert state(db, youth.user_id)[:2] == (None, None)


def test_button_of_the_current_conversation_acts(app, sandbox, youth, worker, db):
    install_quiz(app)
    youth.send_text("เล่นเกม")
    worker.run_until_idle()
    chip = sandbox.messages_for(youth.user_id)[-1]["quickReply"]["items"][0]["action"]
    youth.tap_postback(chip["data"])
    worker.run_until_idle()
    assert last_text(sandbox, youth) == "ได้สี red"


def test_postback_data_that_is_not_ours_is_stale_not_an_error(sandbox, youth, worker, db):
    youth.tap_postback("action=buy&itemid=111")
    worker.run_until_idle()
    assert "หมดอายุ" in last_text(sandbox, youth)
    with db.transaction() as session:
        assert session.scalars(select(InboxEvent.status)).all() == [InboxStatus.PROCESSED]


def test_emergency_numbers_are_tap_to_call(sandbox, youth, worker):
    youth.send_text("เบอร์ฉุกเฉิน")
    worker.run_until_idle()
    message = sandbox.messages_for(youth.user_id)[-1]
    uris = [item["action"]["uri"] for item in message["quickReply"]["items"]]
    assert uris == ["tel:191", "tel:1669", "tel:1300"], "danger now: police and ambulance first"


def test_handler_that_raises_is_recorded_and_replayed_after_a_fix(app, sandbox, youth, worker, db, runner):
    def broken(turn, ctx):
        raise RuntimeError("bug in a handler")

    install_quiz(app, start=broken)
    assert youth.send_text("เล่นเกม").status == 200
    with db.transaction() as session:
        event = session.scalars(select(InboxEvent)).one()
        assert event.status == InboxStatus.FAILED
        assert "RuntimeError" in event.error
    assert worker.run_once() == 0, "nothing half-done was sent"

    services(app).processor.dispatcher.router.flows["quiz"] = Flow(
        name="quiz", steps={"colour": colour_step}, start=ask_colour, entry_texts=frozenset({"เล่นเกม"}))
    result = runner.invoke(args=["replay-failed"])
    assert result.exit_code == 0, result.output
    assert "1 ok" in result.output
    worker.run_until_idle()
    assert last_text(sandbox, youth) == "ชอบสีอะไร"
    with db.transaction() as session:
        assert session.scalars(select(InboxEvent.status)).one() == InboxStatus.PROCESSED
