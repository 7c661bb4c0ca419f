"""After registration, in LINE: my profile, my data (summary and erasure), blocking and coming back,
a mentor's group, and a coordinator's mentors, waiting youth, assignments and invite codes."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from models import (
    AccessCode,
    Activity,
    ActivityReminder,
    ActivityResponse,
    CodeKind,
    Consent,
    InboxEvent,
    OutboxMessage,
    ReminderStatus,
    Role,
    User,
    UserStatus,
)
from tests.chat import Chat, texts
from tests.test_onboarding import group_code, register, row, staff


def test_profile_shows_and_edits_and_switches_notifications(sandbox, worker, db):
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth)
    profile = texts(youth.say("ข้อมูลของฉัน"))
    assert "ชื่อเล่น: ฟ้า" in profile and "จังหวัด: เชียงใหม่" in profile and "พี่เลี้ยง: ยังไม่มี" in profile
    assert "ชื่อเล่น" in texts(youth.tap("แก้ชื่อเล่น"))
    assert "ไม่เกิน 20 ตัวอักษร" in texts(youth.say("ฟ้า" * 30))
    assert "ชื่อเล่น: ฟ้าใส" in texts(youth.say("ฟ้าใส"))
    youth.tap("แก้โรงเรียน/กลุ่ม")
    assert "โรงเรียน/กลุ่ม: โรงเรียนบ้านหนองบัว" in texts(youth.say("โรงเรียนบ้านหนองบัว"))
    assert "ข่าวและแคมเปญ: ปิด" in texts(youth.tap("ปิดข่าวและแคมเปญ"))
    stored = row(db, youth.user_id)
    assert (stored.nickname, stored.school, stored.notify_campaigns, stored.notify_activities) == (
        "ฟ้าใส", "โรงเรียนบ้านหนองบัว", False, True)


def test_a_youth_changes_mentor_with_a_new_group_code(runner, sandbox, worker, db):
    first = staff(runner, sandbox, worker, "mentor_invite", "เชียงใหม่", "หนึ่ง")
    second = staff(runner, sandbox, worker, "mentor_invite", "เชียงใหม่", "สอง")
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth, code=group_code(first))
    assert "ย้ายเข้ากลุ่มของพี่สอง" in texts(youth.say(group_code(second)))
    assert "ย้ายไปอยู่กลุ่มของพี่เลี้ยงคนอื่น" in texts(first.inbox())
    assert "ย้ายเข้ากลุ่มของพี่แล้ว" in texts(second.inbox())
    assert row(db, youth.user_id).mentor_id == row(db, second.user_id).id
    assert "กลุ่มของพี่สอง อยู่แล้ว" in texts(youth.say(group_code(second)))


def test_my_data_lists_everything_held_and_erasing_removes_it(runner, sandbox, worker, db):
    mentor = staff(runner, sandbox, worker, "mentor_invite", "เชียงใหม่", "ใจดี")
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth, code=group_code(mentor))
    answer_id = joined_an_activity(db, row(db, youth.user_id))
    summary = texts(youth.say("ข้อมูลส่วนบุคคล"))
    for held in ("ชื่อ: ฟ้า", "อายุที่บอกไว้: 14 ปี", "ชุมชน: ชุมชนบ้านหนองบัว", "พี่เลี้ยง: พี่ใจดี",
                 "ประกาศฉบับ youth/2026-11", "บันทึกไว้:", "กิจกรรมที่ตอบรับหรือเข้าร่วม: 2 รายการ"):
        assert held in summary
    before = row(db, youth.user_id)
    with db.transaction() as session:
        to_youth = list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.to_id == youth.user_id)))
    assert "ยืนยันการลบข้อมูล" in texts(youth.tap("ลบข้อมูลและเลิกใช้"))
    assert "ไม่ลบ" in texts(youth.tap("ไม่ลบ"))
    youth.say("ลบข้อมูล")
    assert "ลบข้อมูลเรียบร้อยแล้ว" in texts(youth.tap("ยืนยันลบข้อมูล"))

    with db.transaction() as session:
        erased = session.get(User, before.id)
        assert erased.status == UserStatus.DELETED and erased.line_user_id.startswith("erased:")
        assert (erased.nickname, erased.community, erased.age_years, erased.mentor_id, erased.role) == (
            None, None, None, None, Role.YOUTH)
        consent = session.scalars(select(Consent).where(Consent.user_id == before.id)).one()
        assert consent.withdrawn_at is not None
        assert session.scalar(select(func.count()).select_from(InboxEvent)
                              .where(InboxEvent.source_user_id == youth.user_id)) == 0
        scrubbed = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(to_youth))).all()
        assert scrubbed and all(m.messages == [] and m.to_id is None for m in scrubbed), "sent messages are scrubbed"
        answer = session.get(ActivityResponse, answer_id)
        assert (answer.check_in_latitude, answer.minutes_credited) == (None, 120), "where they were goes, hours stay"
        reminders = session.scalars(select(ActivityReminder.status).where(ActivityReminder.user_id == before.id))
        assert set(reminders) == {ReminderStatus.CANCELLED}, "no reminder reaches an erased person"
    assert "1. น้อง" not in texts(mentor.say("กลุ่มของฉัน"))
    assert "อายุ" in texts(youth.follow()), "coming back starts a fresh registration"


def joined_an_activity(db, youth: User) -> int:
    """A past activity the youth checked in to (with a location, hours confirmed) and an upcoming one with a
    pending reminder; the id of the first answer."""
    with db.transaction() as session:
        now = youth.registered_at
        answer_id = None
        for starts_in in (-dt.timedelta(days=2), dt.timedelta(days=2)):
            activity = Activity(title="เก็บขยะ", place_text="วัด", starts_at=now + starts_in,
                                ends_at=now + starts_in + dt.timedelta(hours=2), created_at=now, updated_at=now)
            session.add(activity)
            session.flush()
            answer = ActivityResponse(activity_id=activity.id, user_id=youth.id, answer="going", answered_at=now,
                                      check_in_latitude=18.79, check_in_longitude=98.98, minutes_credited=120)
            session.add(answer)
            session.add(ActivityReminder(key=f"{activity.id}:{youth.id}", activity_id=activity.id, user_id=youth.id,
                                         minutes_before=120, due_at=activity.starts_at - dt.timedelta(hours=2)))
            session.flush()
            answer_id = answer_id or answer.id
    return answer_id


def test_blocking_cancels_waiting_pushes_and_following_again_welcomes_back(runner, sandbox, worker, db, app):
    coordinator = staff(runner, sandbox, worker, "coordinator", "ลำพูน", "นก")
    coordinator.act(lambda p: p.unfollow())
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth, province="ลำพูน")
    with db.transaction() as session:
        pushes = session.scalars(select(OutboxMessage).where(OutboxMessage.to_id == coordinator.user_id,
                                                            OutboxMessage.kind == "push")).all()
        assert pushes == [], "nobody pushes to a person who blocked the bot"
    youth.act(lambda p: p.unfollow())
    assert not row(db, youth.user_id).is_following
    assert "ยินดีต้อนรับกลับมาค่ะ ฟ้า" in texts(youth.follow())


def test_mentor_removes_a_youth_who_then_waits_with_the_coordinators(runner, sandbox, worker, db):
    coordinator = staff(runner, sandbox, worker, "coordinator", "แพร่", "ส้ม")
    mentor = staff(runner, sandbox, worker, "mentor_invite", "แพร่", "เขียว")
    code = group_code(mentor)
    for nickname in ("เอ", "บี"):
        register(Chat(sandbox, worker, sandbox.user()), nickname=nickname, province="แพร่", code=code)
    listing = texts(mentor.say("กลุ่มของฉัน"))
    assert "น้อง 2 คน" in listing and "1. น้องบี" in listing and "2. น้องเอ" in listing
    mentor.tap("นำน้องออกจากกลุ่ม")
    assert "ไม่มีลำดับนี้" in texts(mentor.say("9"))
    assert "นำน้องเอ" in texts(mentor.say("๒"))
    assert "นำน้องเอ ออกจากกลุ่มแล้ว" in texts(mentor.tap("ยืนยันนำออก"))
    assert "1. น้องเอ" in texts(coordinator.say("เยาวชนรอพี่เลี้ยง"))


def test_mentor_group_code_renewal_revokes_the_old_one(runner, sandbox, worker, db):
    mentor = staff(runner, sandbox, worker, "mentor_invite", "น่าน", "ดำ")
    old = group_code(mentor)
    assert group_code(mentor) == old, "the same code until renewed"
    new = re.search(r"\b([A-HJ-NP-Z2-9]{8})\b", texts(mentor.tap("ขอรหัสใหม่"))).group(1)
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    assert "ถูกยกเลิก" in texts(youth.say(old))
    with db.transaction() as session:
        live = session.scalars(select(AccessCode).where(AccessCode.kind == CodeKind.YOUTH_JOIN,
                                                        AccessCode.revoked_at.is_(None))).all()
        assert [code.code for code in live] == [new] and new != old


def test_coordinator_assigns_a_waiting_youth_to_a_mentor(runner, sandbox, worker, db):
    coordinator = staff(runner, sandbox, worker, "coordinator", "สตูล", "ทะเล")
    mentor = staff(runner, sandbox, worker, "mentor_invite", "สตูล", "ภูเขา")
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth, nickname="ปลาดาว", province="สตูล")
    coordinator.inbox()
    assert "พี่ภูเขา · สตูล · น้อง 0 คน" in texts(coordinator.say("พี่เลี้ยงในจังหวัด"))
    coordinator.say("เยาวชนรอพี่เลี้ยง")
    coordinator.tap("มอบหมายพี่เลี้ยง")
    assert "1. พี่ภูเขา" in texts(coordinator.say("1"))
    assert "มอบหมายน้องปลาดาว" in texts(coordinator.say("1"))
    assert "ทั้งสองคนได้รับแจ้งแล้ว" in texts(coordinator.tap("ยืนยัน"))
    assert "พี่ภูเขา" in texts(youth.inbox())
    assert "น้องปลาดาว" in texts(mentor.inbox())
    assert row(db, youth.user_id).mentor_id == row(db, mentor.user_id).id
    assert "ไม่มีน้องที่รอพี่เลี้ยง" in texts(coordinator.say("เยาวชนรอพี่เลี้ยง"))


def test_coordinators_only_see_their_province(runner, sandbox, worker, db):
    here = staff(runner, sandbox, worker, "coordinator", "ระนอง", "หนึ่ง")
    register(Chat(sandbox, worker, sandbox.user()), nickname="ไกล", province="ชุมพร")
    assert "ไม่มีน้องที่รอพี่เลี้ยงในจังหวัดระนอง" in texts(here.say("เยาวชนรอพี่เลี้ยง"))
    national = staff(runner, sandbox, worker, "coordinator", None, "ชาติ")
    assert "น้องไกล · ชุมพร" in texts(national.say("เยาวชนรอพี่เลี้ยง"))
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth, nickname="ใกล้", province="ระนอง")
    assert "เมนูนี้สำหรับผู้ประสานงาน" in texts(youth.say("เยาวชนรอพี่เลี้ยง"))
    assert "เมนูนี้สำหรับพี่เลี้ยง" in texts(youth.say("กลุ่มของฉัน"))


def test_coordinators_issue_mentor_invites_in_line(runner, sandbox, worker, db):
    provincial = staff(runner, sandbox, worker, "coordinator", "กระบี่", "ทราย")
    invite = re.search(r": ([A-Z2-9]{8})", texts(provincial.say("ออกรหัสพี่เลี้ยง"))).group(1)
    mentor = Chat(sandbox, worker, sandbox.user())
    assert "พี่เลี้ยง อพม. จังหวัดกระบี่" in texts(mentor.say(invite))
    national = staff(runner, sandbox, worker, "coordinator", None, "ชาติ")
    assert "จังหวัดไหน" in texts(national.say("ออกรหัสพี่เลี้ยง"))
    national.say("พัง")
    assert "พังงา" in national.actions()
    answer = texts(national.tap("พังงา"))
    assert "พี่เลี้ยง อพม. จังหวัดพังงา" in answer and "ใช้ได้ 1 คน" in answer
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AccessCode)
                              .where(AccessCode.kind == CodeKind.MENTOR_INVITE)) == 2


def test_admin_changes_a_role_on_the_command_line(runner, sandbox, worker, db):
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth)
    result = runner.invoke(args=["set-role", youth.user_id, "mentor", "--province", "เชียงราย"])
    assert result.exit_code == 0, result.output
    stored = row(db, youth.user_id)
    assert (stored.role, stored.province_code) == (Role.MENTOR, "CRI")
    assert runner.invoke(args=["set-role", "U-nobody", "mentor", "--province", "ตาก"]).exit_code != 0
    assert runner.invoke(args=["set-role", youth.user_id, "mentor"]).exit_code != 0
    with db.transaction() as session:
        from models import AuditEvent

        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "user.role_changed")) == 1
