"""Activities through LINE: a mentor creates one with the date-time picker and sees the invite card as youth
will; youth answer (going / maybe / can't, the waiting list when full), get reminders from the job (run with
a controlled clock), confirm the day before, are told of a change or a cancellation, check in; the mentor
marks attendance and confirms hours, which show in the youth's record. Signed events and the sandbox, on
both databases."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot import activity_reminders, activity_views, postback
from bot.services import services
from bot.thai import BANGKOK
from models import Activity, ActivityResponse, ActivityStatus, Answer, User
from tests.chat import Chat, texts
from tests.test_onboarding import group_code, register, staff

START = "2026-11-25T10:00"  # Wednesday 10:00 Bangkok = 03:00 UTC; the ManualClock starts on Sunday 10:00
STARTS_AT = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)


def remind(app, db, clock) -> int:
    """One run of the "activity-reminders" job at the clock's time."""
    with db.transaction() as session:
        return activity_reminders.send_due(session, clock(), services(app).settings)


def group(runner, sandbox, worker, size=3) -> tuple[Chat, list[Chat]]:
    """A mentor and `size` youth of their group, every earlier message read."""
    mentor = staff(runner, sandbox, worker, "mentor_invite", "เชียงใหม่", "สมชาย")
    code = group_code(mentor)
    youth = []
    for index in range(size):
        chat = Chat(sandbox, worker, sandbox.user())
        register(chat, nickname=("ฟ้า", "ดิน", "น้ำ", "ลม")[index], code=code)
        youth.append(chat)
    for chat in (mentor, *youth):
        chat.inbox()
    return mentor, youth


def create(mentor: Chat, title="เก็บขยะริมคลอง", start=START, end="12:00", capacity="ไม่จำกัด", repeat="ไม่ซ้ำ",
           reminders="1 วัน และ 2 ชม. ก่อน") -> list[dict]:
    """Answer every question of the creation flow; returns the preview."""
    assert "ชื่อกิจกรรม" in texts(mentor.say("สร้างกิจกรรม"))
    mentor.say(title)
    mentor.tap("ไม่มีรายละเอียด")
    assert "ปักหมุด" in texts(mentor.say("ศาลาประชาคม หมู่ 3"))
    mentor.tap("ไม่ปักหมุด")
    pick(mentor, "เลือกวันเวลาเริ่ม", start)
    assert "เลิกกี่โมง" in mentor.last_text()
    pick(mentor, "เลือกเวลาเลิก", end) if end.startswith("20") else mentor.say(end)
    assert "รับได้กี่คน" in mentor.last_text()
    mentor.say(capacity) if capacity not in mentor.chips() else mentor.tap(capacity)
    mentor.tap(repeat)
    return mentor.tap(reminders)


def pick(chat: Chat, label: str, value: str) -> list[dict]:
    """Choose `value` ("2026-11-25T10:00") in the date-time picker behind `label`."""
    picker = chat.actions()[label]
    assert picker["type"] == "datetimepicker"
    chat.person.tap_postback(picker["data"], params={"datetime": value})
    return chat.inbox()


def invites(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] == "flex" and "ชวนร่วมกิจกรรม" in m["altText"]]


def reminders_in(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] == "flex" and "⏰" in m["altText"]]


def the_activity(db) -> Activity:
    with db.transaction() as session:
        return session.scalars(select(Activity).order_by(Activity.id.desc())).first()


def user_id(db, chat: Chat) -> int:
    with db.transaction() as session:
        return session.scalars(select(User.id).where(User.line_user_id == chat.user_id)).one()


def test_create_invite_answer_remind_change_check_in_and_hours(app, runner, sandbox, worker, db, clock):
    mentor, (fah, din, nam) = group(runner, sandbox, worker)
    preview = create(mentor)
    card = invites(preview)
    assert card, "the preview is the card youth get"
    assert "25 พ.ย. 2569" in str(card[0]["contents"]) and "10:00-12:00" in str(card[0]["contents"])
    assert "3 คน" in texts(preview) and "กลุ่มของสมชาย" in texts(preview)
    assert "สร้างกิจกรรม" in texts(mentor.tap("ยืนยันสร้างกิจกรรม")) and "3 คน" in mentor.last_text()

    for chat in (fah, din, nam):
        assert len(invites(chat.inbox())) == 1
    assert "ลงชื่อไป" in texts(fah.tap("ไปด้วย")) and "1 วัน และ 2 ชั่วโมง" in fah.last_text()
    assert "อาจจะไป" in texts(din.tap("อาจจะไป"))
    assert "ไม่ได้" in texts(nam.tap("ไปไม่ได้"))
    assert "บันทึกไว้แล้ว" in texts(fah.tap("ไปด้วย")), "joining twice changes nothing"

    clock.advance(days=2)  # Tuesday 10:00 Bangkok: the day before
    assert remind(app, db, clock) == 2
    day_before = reminders_in(fah.inbox())
    assert day_before and reminders_in(din.inbox()) and nam.inbox() == []
    assert remind(app, db, clock) == 0, "a second run sends nothing twice"
    assert "ยืนยัน" in texts(fah.tap("ยังไปแน่นอน"))

    mentor.say("กิจกรรมของกลุ่ม")
    assert "ไป 1 · อาจจะ 1 · ไม่ไป 1" in str(mentor.sandbox.messages_for(mentor.user_id)[-2])
    moved = texts(pick(mentor, "เปลี่ยนเวลาเริ่ม", "2026-11-25T13:00"))
    assert "แจ้งน้องที่ตอบรับ 2 คน" in moved
    assert "เปลี่ยน" in texts(fah.inbox()) and "เปลี่ยน" in texts(din.inbox()) and nam.inbox() == []

    clock.advance(hours=3)  # Tuesday 13:00: the day before the new time
    assert remind(app, db, clock) == 2
    assert reminders_in(fah.inbox()) and reminders_in(din.inbox())
    clock.advance(hours=19, minutes=30)  # 08:30 Bangkok: the old two-hour reminder would have been due
    assert remind(app, db, clock) == 0
    clock.advance(hours=2, minutes=31)  # 11:01 Bangkok: two hours before the new start
    assert remind(app, db, clock) == 2
    assert reminders_in(fah.inbox()) and reminders_in(din.inbox())

    clock.advance(hours=2, minutes=10)  # 13:11, during the activity
    assert "เช็กอิน" in texts(fah.tap("ฉันมาถึงแล้ว"))
    assert "ได้รับตำแหน่ง" in texts(fah.act(lambda p: p.send_location("ศาลา", "หมู่ 3", 18.79, 98.98)))
    assert "ไปแล้ว" in texts(fah.tap("ฉันมาถึงแล้ว"))

    clock.advance(hours=2)  # 15:11, it ended at 15:00
    mentor.say("กิจกรรมของกลุ่ม")
    attendance = mentor.tap("เช็กชื่อ")
    assert "ดิน" in str(attendance) and "ฟ้า" in str(attendance)
    activity = the_activity(db)
    mentor.person.tap_postback(postback.encode("ac.mark", id=activity.id, u=user_id(db, din), v=1))
    assert "ดิน มา" in texts(mentor.inbox())
    assert "ให้น้อง 2 คน" in texts(mentor.tap("ยืนยันชั่วโมง"))
    assert "2 ชั่วโมง" in texts(fah.inbox()) and "2 ชั่วโมง" in texts(din.inbox()) and nam.inbox() == []
    mentor.person.tap_postback(postback.encode("ac.hours", id=activity.id))
    assert "ไม่มีชั่วโมงใหม่" in texts(mentor.inbox()), "hours are credited once"

    record = fah.say("บันทึกของฉัน")
    assert "1 ครั้ง" in str(record) and "2 ชั่วโมง" in str(record) and "เก็บขยะริมคลอง" in str(record)
    fah_id = user_id(db, fah)
    with db.transaction() as session:
        checked = session.scalars(select(ActivityResponse).where(ActivityResponse.user_id == fah_id)).one()
        assert checked.check_in_latitude == 18.79 and checked.minutes_credited == 120


def test_confirm_tapped_twice_creates_one_activity(runner, sandbox, worker, db):
    mentor, _youth = group(runner, sandbox, worker, size=1)
    assert "10:00-12:30" in str(invites(create(mentor, end="2026-11-25T12:30"))), "the end from the picker"
    data = mentor.actions()["ยืนยันสร้างกิจกรรม"]["data"]
    mentor.person.tap_postback(data)
    mentor.person.tap_postback(data)
    answers = texts(mentor.inbox())
    assert answers.count("✅ สร้างกิจกรรม") == 1 and "หมดอายุ" in answers
    with db.transaction() as session:
        assert session.query(Activity).count() == 1


def test_a_youths_forged_manage_postbacks_are_refused(runner, sandbox, worker, db):
    mentor, (fah,) = group(runner, sandbox, worker, size=1)
    create(mentor)
    mentor.tap("ยืนยันสร้างกิจกรรม")
    activity = the_activity(db)
    assert "สำหรับพี่เลี้ยง" in texts(fah.say("สร้างกิจกรรม"))
    assert "สำหรับพี่เลี้ยง" in texts(fah.say("กิจกรรมของกลุ่ม"))
    for action in ("ac.cxok", "ac.who", "ac.att", "ac.hours", "ac.place"):
        fah.person.tap_postback(postback.encode(action, id=activity.id))
        assert "ใช้กับกิจกรรมนี้ไม่ได้" in texts(fah.inbox()), action
    fah.person.tap_postback(postback.encode("ac.mv", id=activity.id), params={"datetime": "2026-11-26T10:00"})
    assert "ใช้กับกิจกรรมนี้ไม่ได้" in texts(fah.inbox())
    after = the_activity(db)
    assert after.status == ActivityStatus.SCHEDULED and after.starts_at == STARTS_AT and after.version == 1


def test_a_full_activity_offers_the_waiting_list_and_a_freed_seat_moves_it_up(runner, sandbox, worker, db):
    mentor, (fah, din) = group(runner, sandbox, worker, size=2)
    create(mentor, capacity="1")
    mentor.tap("ยืนยันสร้างกิจกรรม")
    for chat in (fah, din):
        chat.inbox()
    fah.tap("ไปด้วย")
    assert "คิวรอ" in texts(din.tap("ไปด้วย"))
    mine = din.say("กิจกรรมของฉัน")
    assert "ต่อคิวรอ" in str(mine)
    fah.tap("ไปไม่ได้")
    assert "ได้ที่แล้ว" in texts(din.inbox()), "the first in the queue moves up and is told"
    with db.transaction() as session:
        answers = dict(session.execute(select(User.nickname, ActivityResponse.answer)
                                       .join(ActivityResponse, ActivityResponse.user_id == User.id)).all())
    assert answers == {"ฟ้า": Answer.NO, "ดิน": Answer.GOING}


def test_cancel_asks_first_then_tells_those_who_answered(app, runner, sandbox, worker, db, clock):
    mentor, (fah, din) = group(runner, sandbox, worker, size=2)
    create(mentor)
    mentor.tap("ยืนยันสร้างกิจกรรม")
    fah.inbox()
    din.inbox()
    fah.tap("ไปด้วย")
    din.tap("ไปไม่ได้")
    mentor.say("กิจกรรมของกลุ่ม")
    assert "ใช่ไหม" in texts(mentor.tap("ยกเลิกกิจกรรม"))
    assert "ยังอยู่ตามเดิม" in texts(mentor.tap("ไม่ยกเลิก"))
    assert the_activity(db).status == ActivityStatus.SCHEDULED
    mentor.say("กิจกรรมของกลุ่ม")
    mentor.tap("ยกเลิกกิจกรรม")
    assert "แจ้งน้องที่ตอบรับ 1 คน" in texts(mentor.tap("ยืนยันยกเลิกกิจกรรม"))
    assert "ยกเลิกกิจกรรม" in texts(fah.inbox()) and din.inbox() == []
    assert the_activity(db).status == ActivityStatus.CANCELLED
    assert "ยกเลิกแล้ว" in texts(fah.tap("ไปไม่ได้")), "answering a cancelled activity is refused"
    clock.advance(days=2)
    assert remind(app, db, clock) == 0 and fah.inbox() == []


def test_my_activities_lists_and_changes_an_answer(runner, sandbox, worker, db):
    mentor, (fah,) = group(runner, sandbox, worker, size=1)
    assert "ยังไม่มีกิจกรรม" in texts(fah.say("กิจกรรมของฉัน"))
    create(mentor)
    mentor.tap("ยืนยันสร้างกิจกรรม")
    fah.inbox()
    listing = fah.say("กิจกรรมของฉัน")
    assert "ยังไม่ได้ตอบ" in str(listing) and "เก็บขยะริมคลอง" in str(listing)
    assert "อาจจะไป" in texts(fah.tap("อาจจะไป"))
    listing = fah.say("กิจกรรม")
    assert "อาจจะไป 🤔" in str(listing)
    assert "ลงชื่อไป" in texts(fah.tap("ไปด้วย"))
    with db.transaction() as session:
        assert session.scalars(select(ActivityResponse.answer)).one() == Answer.GOING


def test_bad_input_is_asked_again_with_the_reason(runner, sandbox, worker, db):
    mentor, _youth = group(runner, sandbox, worker, size=1)
    mentor.say("สร้างกิจกรรม")
    mentor.say("ปลูกต้นไม้")
    mentor.tap("ไม่มีรายละเอียด")
    mentor.say("วัดป่า")
    mentor.tap("ไม่ปักหมุด")
    assert "ผ่านไปแล้ว" in texts(mentor.say("1/1/2569 09:00"))
    assert "อ่านวันเวลานี้ไม่ออก" in texts(mentor.say("วันไหนก็ได้"))
    assert "ไม่เกิน 1 ปี" in texts(mentor.say("1/1/2571 09:00"))
    assert "เลือกวันเวลาเริ่ม" in mentor.chips(), "still at the start, with the picker"
    assert "เลิกกี่โมง" in texts(mentor.say("25/12/2569 09:00")), "a Buddhist-era year is read as one"
    assert "หลังเวลาเริ่ม" in texts(mentor.say("24/12/2569 08:00"))
    assert "24 ชั่วโมง" in texts(mentor.say("27/12/2569 08:00"))
    assert "รับได้กี่คน" in texts(mentor.say("02:00")), "across midnight: the next day"
    assert "อย่างน้อย 1" in texts(mentor.say("0"))
    assert "ไม่เกิน 1,000" in texts(mentor.say("10000"))
    mentor.say("๒๐")
    assert "เลือกจากปุ่ม" in texts(mentor.say("ทุกวัน"))
    mentor.tap("ทุกสัปดาห์")
    mentor.tap("ไม่ต้องเตือน")
    assert "ทุกสัปดาห์" in mentor.last_text() and "ไม่ต้องเตือน" in mentor.last_text()
    assert "ยกเลิกการสร้างกิจกรรม" in texts(mentor.say("ยกเลิก"))
    with db.transaction() as session:
        assert session.query(Activity).count() == 0


def test_a_place_from_a_location_message_and_a_coordinators_province(runner, sandbox, worker, db):
    coordinator = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    here = Chat(sandbox, worker, sandbox.user())
    register(here)
    elsewhere = Chat(sandbox, worker, sandbox.user())
    register(elsewhere, province="ลำพูน")
    for chat in (coordinator, here, elsewhere):
        chat.inbox()
    coordinator.say("นัดกิจกรรม")
    coordinator.say("ทาสีรั้วโรงเรียน")
    coordinator.say("ทาสีรั้วและปลูกดอกไม้ เตรียมเสื้อเก่ามา")
    coordinator.act(lambda p: p.send_location("โรงเรียนบ้านหนองบัว", "ต.ในเมือง", 18.8, 99.0))
    assert "เริ่มเมื่อไร" in coordinator.last_text(), "a pin gives the place and its map at once"
    coordinator.say("25/12/2569 09:00")
    coordinator.tap("เลิก 12:00")
    assert "ทั่วประเทศ" not in str(coordinator.chips())
    coordinator.tap("น้องทั้งจังหวัด")
    coordinator.tap("30")
    coordinator.tap("ไม่ซ้ำ")
    preview = coordinator.tap("2 ชม. ก่อน")
    assert "1 คน" in texts(preview) and "maps" in str(invites(preview)[0])
    coordinator.tap("ยืนยันสร้างกิจกรรม")
    assert invites(here.inbox()) and elsewhere.inbox() == []
    assert the_activity(db).place_text == "โรงเรียนบ้านหนองบัว"
    here.person.tap_postback(postback.encode("ac.map", id=the_activity(db).id))
    assert here.inbox()[-1]["type"] == "location"


def test_own_reminder_choices_and_changing_the_place(app, runner, sandbox, worker, db, clock):
    mentor, (fah, din) = group(runner, sandbox, worker, size=2)
    assert "ตามที่พี่เลี้ยงตั้ง" in texts(fah.say("ตั้งเวลาเตือน"))
    assert "ไม่ต้องเตือน" in texts(fah.tap("ไม่ต้องเตือน"))
    create(mentor)
    mentor.tap("ยืนยันสร้างกิจกรรม")
    fah.inbox()
    din.inbox()
    assert "ไม่รับการเตือน" in texts(fah.tap("ไปด้วย"))
    din.tap("ไปด้วย")
    din.say("กิจกรรมของฉัน")
    assert "เก็บขยะริมคลอง" in texts(din.tap("เวลาเตือนกิจกรรมนี้"))
    assert "สำหรับ “เก็บขยะริมคลอง”" in texts(din.tap("2 ชม. ก่อน")), "one activity's own reminder time"
    mentor.say("กิจกรรมของกลุ่ม")
    assert "สถานที่ใหม่" in texts(mentor.tap("เปลี่ยนสถานที่"))
    assert "แจ้งน้องที่ตอบรับ 2 คน" in texts(mentor.say("ลานวัดสวนดอก"))
    assert "ลานวัดสวนดอก" in str(fah.inbox())
    clock.advance(days=2)  # the day before: nobody wants that one
    assert remind(app, db, clock) == 0
    clock.advance(hours=22)  # 08:00 Bangkok, two hours before
    assert remind(app, db, clock) == 1
    assert fah.inbox() == [] and "ลานวัดสวนดอก" in str(reminders_in(din.inbox()))


def test_check_in_only_around_the_activity_and_no_answers_after_it(runner, sandbox, worker, db, clock):
    mentor, (fah,) = group(runner, sandbox, worker, size=1)
    create(mentor)
    mentor.tap("ยืนยันสร้างกิจกรรม")
    fah.inbox()
    fah.tap("ไปด้วย")
    activity_id = the_activity(db).id
    fah.person.tap_postback(postback.encode("ac.here", id=activity_id))
    assert "ยังเช็กอินไม่ได้" in texts(fah.inbox())
    clock.advance(days=3, hours=10)  # past the end
    fah.person.tap_postback(postback.encode("ac.ans", id=activity_id, v="maybe"))
    assert "จบไปแล้ว" in texts(fah.inbox())
    fah.person.tap_postback(postback.encode("ac.ok", id=activity_id))
    assert "จบไปแล้ว" in texts(fah.inbox())
    assert "ยังไม่มีกิจกรรม" in texts(fah.say("กิจกรรมของฉัน")), "an ended activity is no longer upcoming"


def test_a_provincial_coordinator_invites_one_mentors_group_and_sees_who_answered(runner, sandbox, worker, db):
    coordinator = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    mentor, (fah, din) = group(runner, sandbox, worker, size=2)
    coordinator.inbox()
    coordinator.say("สร้างกิจกรรม")
    coordinator.say("อบรมปฐมพยาบาล")
    coordinator.tap("ไม่มีรายละเอียด")
    coordinator.say("โรงพยาบาลส่งเสริมสุขภาพตำบล")
    coordinator.tap("ไม่ปักหมุด")
    pick(coordinator, "เลือกวันเวลาเริ่ม", "2026-12-01T09:00")
    coordinator.say("16.30")
    assert "พี่เลี้ยงคนไหน" in texts(coordinator.tap("กลุ่มของพี่เลี้ยง"))
    assert "กลุ่มพี่สมชาย" in coordinator.chips()
    coordinator.tap("กลุ่มพี่สมชาย")
    coordinator.tap("ไม่จำกัด")
    coordinator.tap("ทุกเดือน")
    preview = texts(coordinator.tap("1 วันก่อน"))
    assert "2 คน" in preview and "ทุกเดือน" in preview
    coordinator.tap("ยืนยันสร้างกิจกรรม")
    fah.inbox()
    din.inbox()
    fah.tap("ไปด้วย")
    din.tap("อาจจะไป")
    mentor.say("กิจกรรมของกลุ่ม")
    who = texts(mentor.tap("ใครตอบรับบ้าง"))
    assert "ไปด้วย ✅ 1 คน: ฟ้า" in who and "อาจจะไป 🤔 1 คน: ดิน" in who, "the group's mentor manages it too"
    coordinator.say("กิจกรรมของกลุ่ม")
    coordinator.tap("ยกเลิกกิจกรรม")
    assert "ยกเลิกทุกครั้งต่อไป" in coordinator.chips()
    assert "จะไม่สร้างครั้งต่อไป" in texts(coordinator.tap("ยกเลิกทุกครั้งต่อไป"))
    assert the_activity(db).repeat is None


def test_a_youth_who_left_the_group_can_no_longer_answer(runner, sandbox, worker, db):
    mentor, (fah,) = group(runner, sandbox, worker, size=1)
    create(mentor)
    mentor.tap("ยืนยันสร้างกิจกรรม")
    fah.inbox()
    with db.transaction() as session:
        session.scalars(select(User).where(User.line_user_id == fah.user_id)).one().mentor_id = None
    assert "สำหรับน้อง ๆ ในกลุ่ม" in texts(fah.tap("ไปด้วย"))
    assert "ยังไม่มีกิจกรรม" in texts(fah.say("กิจกรรมของฉัน"))
    with db.transaction() as session:
        assert session.query(ActivityResponse).count() == 0


def test_a_very_large_attendance_list_fits_lines_limits():
    activity = Activity(id=123456, title="ก" * 100, place_text="ข" * 300, starts_at=STARTS_AT,
                        ends_at=STARTS_AT + dt.timedelta(hours=3), invited_count=1000)
    rows = [(User(id=100_000 + n, nickname="ค" * 20), ActivityResponse(answer=Answer.GOING)) for n in range(300)]
    listing, shown = activity_views.attendance(activity, rows, BANGKOK)
    carousel = listing.to_dict()["contents"]
    assert 15 <= shown < 300 and len(carousel["contents"]) <= 12
    assert len(json.dumps(carousel, ensure_ascii=False, separators=(",", ":")).encode()) <= 50_000
