"""The whole life of a problem report through signed webhook events and the LINE sandbox: a youth flags a
problem, their mentor gets the card at once, acts on it, and the youth hears what happened; urgent
reports put the emergency numbers first; nobody acting climbs the escalation ladder; forged taps change
nothing; closed reports are purged after the retention period."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from bot import escalation, postback, report_purge
from bot.services import services
from models import AuditEvent, Report, ReportEvent, ReportPhoto, ReportStatus
from tests.chat import Chat, texts
from tests.test_onboarding import group_code, register, staff

STORY = "พ่อเมาแล้วทุบตีแม่กับน้องทุกคืน น้องร้องไห้เสียงดัง"


@pytest.fixture
def team(runner, sandbox, worker):
    """A province coordinator, a national one, and a mentor with a youth in Chiang Mai."""
    province = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    national = staff(runner, sandbox, worker, "coordinator", None, "ส่วนกลาง")
    mentor = staff(runner, sandbox, worker, "mentor_invite", "เชียงใหม่", "สมชาย")
    youth = Chat(sandbox, worker, sandbox.user(display_name="Fah"))
    register(youth, code=group_code(mentor))
    for chat in (province, national, mentor, youth):
        chat.inbox()
    return {"province": province, "national": national, "mentor": mentor, "youth": youth}


def report_steps(youth: Chat, story: str = STORY, place: str = "ซอย 5 หมู่ 3", urgent: bool = False) -> list[dict]:
    """Answer every question after "แจ้งปัญหา"; returns the answer to the confirm tap."""
    youth.say("แจ้งปัญหา")
    youth.tap("ใช่ อันตรายตอนนี้" if urgent else "ไม่ใช่ตอนนี้")
    suggested = youth.say(story)
    label = youth.chips()[0] if "ใช่ไหม" in texts(suggested) else "เดือดร้อนอื่น ๆ"  # the suggestion
    youth.tap(label)
    youth.say(place)
    youth.tap("ไม่มีรูป")
    youth.tap("ติดต่อได้")
    assert "สรุปเรื่องที่จะแจ้ง" in youth.last_text()
    return youth.tap("ยืนยันส่งเรื่อง")


def the_report(db, **where) -> Report:
    with db.transaction() as session:
        query = select(Report).filter_by(**where).order_by(Report.id)
        return session.scalars(query).all()[-1]


def kinds(db, report_id) -> list[str]:
    with db.transaction() as session:
        events = session.scalars(select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id))
        return [event.kind for event in events]


def cards(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] == "flex" and "แจ้งปัญหา" in m["altText"]]


def sweep(app, db, clock) -> int:
    with db.transaction() as session:
        return escalation.sweep(session, clock(), services(app).settings)


def tap_data(chat: Chat, data: str) -> list[dict]:
    chat.person.tap_postback(data)
    return chat.inbox()


def test_a_normal_report_reaches_the_mentor_at_once_and_the_youth_follows_it_to_closure(team, db):
    youth, mentor = team["youth"], team["mentor"]
    first = youth.say("แจ้งปัญหา")
    assert "อันตราย" in texts(first)
    assert {"tel:191", "tel:1669", "tel:1300"} <= {a.get("uri") for a in youth.actions().values()}
    youth.tap("ไม่ใช่ตอนนี้")
    suggestion = youth.say(STORY)
    assert "ความรุนแรงในครอบครัว" in texts(suggestion) and "ใช่ไหม" in texts(suggestion)
    assert youth.chips()[0] == "ความรุนแรงในครอบครัว", "the suggestion comes first"
    youth.tap("ความรุนแรงในครอบครัว")
    photos_question = texts(youth.say("ซอย 5 หมู่ 3"))
    assert "ห้ามถ่ายหน้าคน" in photos_question and "เผชิญหน้า" in photos_question
    youth.act(lambda person: person.send_image())
    assert "ได้รับ 1 รูปแล้ว" in youth.last_text()
    youth.tap("ส่งรูปครบแล้ว")
    youth.tap("ติดต่อได้")
    summary = youth.last_text()
    assert "ความรุนแรงในครอบครัว" in summary and "ซอย 5 หมู่ 3" in summary and "1 รูป" in summary
    assert mentor.inbox() == [], "nothing is sent before the confirm"

    done = texts(youth.tap("ยืนยันส่งเรื่อง"))
    report = the_report(db)
    assert report.ref in done and "พี่เลี้ยงได้รับเรื่องนี้แล้ว" in done
    card = cards(mentor.inbox())
    assert len(card) == 1 and report.ref in card[0]["altText"]
    card_text = str(card[0]["contents"])
    assert "น้องฟ้า" in card_text and "ซอย 5 หมู่ 3" in card_text and "1 รูป" in card_text
    assert team["province"].inbox() == [], "the coordinators are not bothered while the mentor has time"

    mentor.tap("รับเรื่อง")
    assert f"รับเรื่อง {report.ref} แล้ว" in texts(youth.inbox())
    mentor.tap("เพิ่มบันทึก")
    mentor.say("โทรคุยกับผู้ใหญ่บ้านแล้ว จะเข้าไปดูพรุ่งนี้")
    update = texts(youth.inbox())
    assert "กำลังดำเนินการ" in update and "ผู้ใหญ่บ้าน" not in update, "notes stay with the handlers"

    mentor.tap("ปิดเรื่อง")
    preview = texts(mentor.say("ช่วยเหลือแล้ว ติดต่อแม่ได้ที่ 081-234-5678 หรือ mom@example.com"))
    assert "081-234-5678" not in preview and "mom@example.com" not in preview and "ตัดเบอร์โทร" in preview
    mentor.tap("ยืนยันปิดเรื่อง")
    closing = texts(youth.inbox())
    assert "ปิดแล้ว" in closing and "ช่วยเหลือแล้ว" in closing and "081" not in closing

    mine = texts(youth.say("เรื่องที่แจ้ง"))
    assert report.ref in mine and "ปิดเรื่องแล้ว" in mine
    assert kinds(db, report.id) == ["created", "sent_to_mentor", "acknowledged", "note", "closed"]
    closed = the_report(db, id=report.id)
    assert closed.status == ReportStatus.CLOSED and closed.next_escalation_at is None
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ReportPhoto).where(
            ReportPhoto.report_id == report.id)) == 1


def test_danger_now_shows_the_numbers_first_and_the_mentor_gets_the_urgent_report_before_any_other_question(
        team, db, sandbox):
    youth, mentor = team["youth"], team["mentor"]
    youth.say("แจ้งเหตุ")
    answer = youth.tap("ใช่ อันตรายตอนนี้")
    assert answer[0]["text"].startswith("🚨") and "191" in answer[0]["text"] and "1669" in answer[0]["text"]
    chips = [item["action"] for item in answer[-1]["quickReply"]["items"]]
    assert chips[0]["type"] == "location", "one tap sends the location"
    assert {"tel:191", "tel:1669", "tel:1300"} <= {chip.get("uri") for chip in chips}
    urgent = cards(mentor.inbox())
    assert len(urgent) == 1 and "🚨" in urgent[0]["altText"]
    report = the_report(db)
    assert report.urgent and report.status == ReportStatus.OPEN and report.submitted_at is None

    youth.act(lambda person: person.send_location("ตลาด", "หมู่ 3 ต.ในเมือง", 18.79, 98.98))
    pins = [m for m in mentor.inbox() if m["type"] == "location"]
    assert len(pins) == 1 and pins[0]["latitude"] == 18.79

    youth.say("มีผู้ชายตีเด็กอยู่หน้าบ้าน")
    youth.tap("เดือดร้อนอื่น ๆ")
    youth.tap("ไม่มีรูป")
    youth.tap("ติดต่อได้")
    youth.tap("ยืนยันส่งเรื่อง")
    complete = mentor.inbox()
    assert "ครบแล้ว" in texts(complete) and cards(complete)
    assert the_report(db).id == report.id, "the details join the same urgent report"
    assert the_report(db).description == "มีผู้ชายตีเด็กอยู่หน้าบ้าน"


def test_cancelling_after_danger_keeps_the_urgent_report(team, db):
    youth = team["youth"]
    youth.say("แจ้งปัญหา")
    youth.tap("ใช่ อันตรายตอนนี้")
    answer = texts(youth.say("ยกเลิก"))
    report = the_report(db)
    assert report.ref in answer and "ยังดำเนินการต่อ" in answer
    assert report.status == ReportStatus.OPEN and report.next_escalation_at is not None


def test_nobody_acting_climbs_to_the_province_then_the_nation_and_stops_when_someone_acknowledges(
        app, team, db, clock):
    youth, mentor, province, national = team["youth"], team["mentor"], team["province"], team["national"]
    report_steps(youth)
    report = the_report(db)
    mentor.inbox()
    clock.advance(hours=23, minutes=59)
    assert sweep(app, db, clock) == 0 and province.inbox() == []

    clock.advance(minutes=2)
    assert sweep(app, db, clock) == 1
    assert len(cards(province.inbox())) == 1 and national.inbox() == []
    assert "ยังไม่มีใครรับเรื่อง" in texts(mentor.inbox()), "the mentor is reminded"
    assert sweep(app, db, clock) == 0, "the same deadline never fires twice"

    clock.advance(hours=24, minutes=1)
    assert sweep(app, db, clock) == 1
    assert len(cards(national.inbox())) == 1 and province.inbox() == []
    national.tap("รับเรื่อง")
    assert "รับเรื่อง" in texts(youth.inbox())
    told = texts(mentor.inbox()) + texts(province.inbox())
    assert told.count("มีผู้รับเรื่องแล้ว") == 2, "everyone who had the report hears that someone took it"

    clock.advance(days=5)
    assert sweep(app, db, clock) == 0
    assert kinds(db, report.id).count("escalated") == 2


def test_urgent_reports_escalate_after_fifteen_minutes_even_at_night(app, team, db, clock):
    youth, province = team["youth"], team["province"]
    clock.advance(hours=13)  # 23:00 in Bangkok
    youth.say("แจ้งปัญหา")
    youth.tap("ใช่ อันตรายตอนนี้")
    clock.advance(minutes=16)
    assert sweep(app, db, clock) == 1
    assert cards(province.inbox()), "quiet hours never delay an escalation"


def test_two_sweeps_at_the_same_moment_notify_each_level_once(app, team, db, clock):
    report_steps(team["youth"])
    team["mentor"].inbox()
    clock.advance(hours=25)
    barrier, results = threading.Barrier(2), []

    def run():
        barrier.wait()
        results.append(sweep(app, db, clock))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 1]
    assert len(cards(team["province"].inbox())) == 1


def test_a_youth_without_a_mentor_reports_straight_to_the_province_coordinators(runner, sandbox, worker, db):
    coordinator = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth)
    coordinator.inbox()
    done = texts(report_steps(youth))
    assert "ผู้ประสานงานจังหวัดได้รับเรื่องนี้แล้ว" in done
    card = cards(coordinator.inbox())
    assert len(card) == 1 and "ผู้ประสานงานจังหวัด" in str(card[0]["contents"])
    assert kinds(db, the_report(db).id)[:3] == ["created", "mentor_unreachable", "escalated"]


def test_a_mentor_who_blocked_the_bot_is_skipped_for_the_coordinators(team, db):
    team["mentor"].person.unfollow()
    team["mentor"].inbox()
    report_steps(team["youth"])
    assert cards(team["province"].inbox())
    assert the_report(db).escalation_level == 1


def test_a_mentor_blocking_the_bot_sends_their_waiting_reports_up_at_once(team, db):
    report_steps(team["youth"])
    team["mentor"].person.unfollow()
    card = cards(team["province"].inbox())
    assert len(card) == 1 and the_report(db).ref in card[0]["altText"]
    assert "mentor_unreachable" in kinds(db, the_report(db).id)


def test_the_same_place_and_category_again_within_a_day_is_added_to_the_first_report(team, db, clock):
    youth, mentor = team["youth"], team["mentor"]
    report_steps(youth)
    first = the_report(db)
    mentor.inbox()
    clock.advance(hours=3)
    again = texts(report_steps(youth, story="วันนี้พ่อทุบตีแม่อีกแล้ว", place="ซอย 5  หมู่ 3"))
    assert first.ref in again and "เรื่องเดิม" in again
    notice = texts(mentor.inbox())
    assert "ซ้ำ" in notice and "วันนี้พ่อทุบตีแม่อีกแล้ว" in notice
    duplicate = the_report(db)
    assert duplicate.duplicate_of_id == first.id and duplicate.status == "duplicate"
    assert "duplicate_added" in kinds(db, first.id)

    clock.advance(days=1, hours=1)
    later = texts(report_steps(youth))
    assert "ส่งเรื่องแล้ว" in later and cards(mentor.inbox()), "a day later it is a new case"


def test_forged_and_replayed_taps_change_nothing_and_are_logged(runner, sandbox, worker, team, db):
    youth, mentor = team["youth"], team["mentor"]
    report_steps(youth)
    report = the_report(db)
    other_mentor = staff(runner, sandbox, worker, "mentor_invite", "เชียงใหม่", "สมหญิง")
    other_mentor.inbox()

    for chat, data in ((other_mentor, postback.encode("rp.ack", r=report.id)),
                       (youth, postback.encode("rp.ack", r=report.id)),
                       (other_mentor, postback.encode("rp.view", r=report.id)),
                       (mentor, postback.encode("rp.ack", r=report.id + 1000)),
                       (mentor, postback.encode("rp.ack", r="1; DROP TABLE reports")),
                       (mentor, postback.encode("rp.handto", r=report.id, to="nowhere"))):
        answer = texts(tap_data(chat, data))
        assert "ใช้กับเรื่องนี้ไม่ได้" in answer and STORY not in answer, data
    assert the_report(db, id=report.id).status == ReportStatus.OPEN
    with db.transaction() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "report.refused")).all()
    assert len(refused) == 6

    mentor.tap("ปิดเรื่อง")
    mentor.tap("ช่วยเหลือแล้ว")
    mentor.tap("ยืนยันปิดเรื่อง")
    youth.inbox()
    assert "ปิดแล้ว" in texts(tap_data(mentor, postback.encode("rp.ack", r=report.id)))
    assert "ปิดแล้ว" in texts(tap_data(mentor, postback.encode("rp.close", r=report.id)))
    assert youth.inbox() == [], "a replayed tap on a closed report tells the youth nothing"


def test_confirm_tapped_twice_sends_one_report(team, db):
    youth = team["youth"]
    youth.say("แจ้งปัญหา")
    youth.tap("ไม่ใช่ตอนนี้")
    youth.say(STORY)
    youth.tap("เดือดร้อนอื่น ๆ")
    youth.say("ตลาด")
    youth.tap("ไม่มีรูป")
    youth.tap("ติดต่อได้")
    data = youth.actions()["ยืนยันส่งเรื่อง"]["data"]
    youth.person.tap_postback(data)
    youth.person.tap_postback(data)
    answers = texts(youth.inbox())
    assert answers.count("ส่งเรื่องแล้ว") == 1 and "หมดอายุ" in answers
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_bad_input_in_each_step_gets_a_clear_thai_answer_and_the_question_again(team, db):
    youth = team["youth"]
    youth.say("แจ้งปัญหา")
    assert "อันตราย" in texts(youth.act(lambda person: person.send_sticker()))
    youth.tap("ไม่ใช่ตอนนี้")
    assert "ข้อความ" in texts(youth.act(lambda person: person.send_sticker()))
    assert "เล่าเพิ่ม" in texts(youth.say("ช่วย"))
    assert "ยาวเกินไป" in texts(youth.say("ก" * 1500))
    youth.say(STORY)
    assert "เลือกประเภท" in texts(youth.say("อะไรก็ได้"))
    youth.tap("เดือดร้อนอื่น ๆ")
    long_place = texts(youth.say("บ้านเลขที่ 1 " * 250))
    assert "ยาวเกินไป" in long_place and "300" in long_place
    youth.say("ตลาดสด")
    assert "รับเฉพาะรูปภาพ" in texts(youth.act(lambda person: person.send_video()))
    assert "รับเฉพาะรูปภาพ" in texts(youth.act(lambda person: person.send_file()))

    answers = youth.act(lambda person: person.send_images([b"\x89PNG fake"] * 20))
    assert len(answers) <= 3, "twenty photos get a couple of answers, not twenty"
    assert "ไม่เกิน 5 รูป" in texts(answers)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ReportPhoto)) == 5
    youth.tap("ส่งรูปครบแล้ว")
    youth.tap("ติดต่อได้")
    assert "5 รูป" in youth.last_text()


def test_starting_again_mid_report_offers_to_carry_on(team):
    youth = team["youth"]
    youth.say("แจ้งปัญหา")
    youth.tap("ไม่ใช่ตอนนี้")
    youth.say(STORY)
    youth.say("เบอร์ฉุกเฉิน")  # a global command keeps the draft
    assert "เล่าต่อ" in texts(youth.say("แจ้งปัญหา"))
    assert "ประเภท" in texts(youth.tap("เล่าต่อ"))


def test_closed_reports_are_purged_after_the_retention_period_leaving_anonymous_counts(app, team, db, clock):
    youth, mentor = team["youth"], team["mentor"]
    report_steps(youth)
    report = the_report(db)
    mentor.inbox()
    mentor.tap("เพิ่มบันทึก")
    mentor.say("บันทึกลับ")
    mentor.tap("ปิดเรื่อง")
    mentor.tap("ช่วยเหลือแล้ว")
    mentor.tap("ยืนยันปิดเรื่อง")
    settings = services(app).settings
    clock.advance(days=settings.report_purge_days - 1)
    with db.transaction() as session:
        assert report_purge.purge_closed(session, clock(), settings) == 0
    clock.advance(days=2)
    with db.transaction() as session:
        assert report_purge.purge_closed(session, clock(), settings) == 1
    purged = the_report(db, id=report.id)
    assert purged.description is None and purged.place_text is None and purged.reporter_id is None
    assert purged.category == "domestic_violence" and purged.province_code is not None
    with db.transaction() as session:
        notes = session.scalars(select(ReportEvent.note).where(ReportEvent.report_id == report.id)).all()
    assert not any(notes)
    mentor.person.tap_postback(postback.encode("rp.view", r=report.id))
    assert "ถูกลบ" in texts(mentor.inbox())


def test_a_minor_hears_about_progress_in_the_morning_when_staff_act_at_night(app, team, db, clock):
    from bot import quiet

    youth, mentor = team["youth"], team["mentor"]
    report_steps(youth)
    mentor.inbox()
    clock.advance(hours=13)  # 23:00 in Bangkok
    mentor.tap("รับเรื่อง")
    assert youth.inbox() == []
    clock.advance(hours=7, minutes=59)  # 06:59
    with db.transaction() as session:
        assert quiet.release_due(session, clock()) == 0
    clock.advance(minutes=1)
    with db.transaction() as session:
        assert quiet.release_due(session, clock()) == 1
    assert "รับเรื่อง" in texts(youth.inbox())


def test_staff_see_their_caseload_waiting_first(team, db):
    youth, mentor = team["youth"], team["mentor"]
    report_steps(youth)
    report = the_report(db)
    listing = texts(mentor.say("เรื่องที่ต้องดูแล"))
    assert report.ref in listing and "รอผู้รับเรื่อง" in listing
    assert report.ref in str(mentor.tap(report.ref))
    assert "สำหรับพี่เลี้ยง" in texts(youth.say("เรื่องที่ต้องดูแล"))
    assert report.ref in texts(team["national"].say("เรื่องที่ต้องดูแล")), "national coordinators see every province"


def test_a_backlog_after_downtime_drains_over_several_sweeps(app, runner, sandbox, worker, db, clock, monkeypatch):
    coordinator = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    mentor = staff(runner, sandbox, worker, "mentor_invite", "เชียงใหม่", "สมชาย")
    code = group_code(mentor)
    for index in range(3):
        youth = Chat(sandbox, worker, sandbox.user())
        register(youth, code=code)
        report_steps(youth, place=f"ซอย {index}")
    coordinator.inbox()
    monkeypatch.setattr(escalation, "SWEEP_BATCH", 1)
    monkeypatch.setattr(escalation, "MAX_PER_RUN", 2)
    clock.advance(days=3)
    assert [sweep(app, db, clock), sweep(app, db, clock), sweep(app, db, clock)] == [2, 1, 0]
    assert len(cards(coordinator.inbox())) == 3
