"""Youth registration end to end through signed webhook events and the sandbox: with and without a
mentor's group code, a child under 10 with a guardian's consent, and the bad input the issue lists."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from models import AccessCode, AuditEvent, CodeKind, ConfirmedBy, Consent, ConsentKind, Role, User, UserStatus
from tests.chat import Chat, texts


def issue(runner, *args) -> str:
    result = runner.invoke(args=["issue-code", *args])
    assert result.exit_code == 0, result.output
    return re.match(r"([A-Z2-9]{8}) ", result.output).group(1)


def row(db, line_user_id) -> User:
    with db.transaction() as session:
        return session.scalars(select(User).where(User.line_user_id == line_user_id)).one()


def staff(runner, sandbox, worker, kind: str, province: str | None, name: str) -> Chat:
    """A mentor or coordinator who claimed a code from the CLI and gave their name."""
    chat = Chat(sandbox, worker, sandbox.user(display_name=name))
    args = [kind, "--province", province] if province else [kind, "--national"]
    chat.follow()
    chat.say(issue(runner, *args))
    chat.say(name)
    return chat


def group_code(mentor: Chat) -> str:
    reply = texts(mentor.say("รหัสกลุ่ม"))
    return re.search(r"\b([A-HJ-NP-Z2-9]{8})\b", reply).group(1)


def register(chat: Chat, age="14", nickname="ฟ้า", province="เชียงใหม่", community="ชุมชนบ้านหนองบัว",
             code: str | None = None) -> list[dict]:
    """Follow and answer every question; returns the bot's answer to the confirm tap."""
    assert "อายุ" in texts(chat.follow())
    assert "ยินยอม" in texts(chat.say(age))
    chat.tap("ยินยอม")
    chat.say(nickname)
    chat.say(province)
    chat.say(community)
    chat.tap("ข้าม")
    if code:
        assert "รหัสกลุ่มของพี่" in texts(chat.say(code))
    else:
        chat.tap("ยังไม่มีรหัส")
    assert "ตรวจข้อมูล" in chat.last_text()
    return chat.tap("ยืนยัน")


def test_youth_without_a_code_is_registered_and_the_province_coordinator_told(runner, sandbox, worker, db):
    coordinator = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    youth = Chat(sandbox, worker, sandbox.user(display_name="Fah"))
    done = register(youth)
    assert "สมัครเรียบร้อย ยินดีต้อนรับน้องฟ้า" in texts(done)
    assert "เจ้าหน้าที่จังหวัดเชียงใหม่ได้รับแจ้งแล้ว" in texts(done)
    assert any(m["type"] == "flex" for m in done), "the tutorial card"
    stored = row(db, youth.user_id)
    assert (stored.role, stored.status, stored.province_code, stored.nickname, stored.age_years, stored.school) == (
        Role.YOUTH, UserStatus.ACTIVE, "CMI", "ฟ้า", 14, None)
    with db.transaction() as session:
        consent = session.scalars(select(Consent).where(Consent.user_id == stored.id)).one()
        assert (consent.kind, consent.notice_version, consent.confirmed_by) == (
            ConsentKind.SELF, "youth/2026-11", ConfirmedBy.SELF)
    assert "น้องฟ้า จังหวัดเชียงใหม่" in texts(coordinator.inbox())
    assert "น้องฟ้า" in texts(coordinator.say("เยาวชนรอพี่เลี้ยง"))


def test_youth_with_a_mentors_group_code_joins_that_group(runner, sandbox, worker, db):
    mentor = staff(runner, sandbox, worker, "mentor_invite", "ขอนแก่น", "สมชาย")
    code = group_code(mentor)
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    assert "รหัสกลุ่มของพี่สมชาย จังหวัดขอนแก่น" in texts(youth.say(f"รหัสกลุ่ม {code}"))
    youth.say("๑๕")
    youth.tap("ยินยอม")
    assert "ชุมชน" in texts(youth.say("ต้นกล้า")), "the code gave the province: no province question"
    youth.say("บ้านโนนสูง")
    summary = texts(youth.tap("ข้าม"))
    assert "พี่เลี้ยง: พี่สมชาย" in summary and "จังหวัด: ขอนแก่น" in summary
    assert "พี่สมชาย พี่เลี้ยงของน้อง ได้รับแจ้งแล้ว" in texts(youth.tap("ยืนยัน"))
    stored = row(db, youth.user_id)
    assert stored.mentor_id == row(db, mentor.user_id).id and stored.province_code == "KKN"
    assert "น้องต้นกล้า (บ้านโนนสูง) เข้ากลุ่มของพี่" in texts(mentor.inbox())
    assert "1. น้องต้นกล้า" in texts(mentor.say("กลุ่มของฉัน"))


def test_child_under_ten_waits_for_the_guardians_own_tap(runner, sandbox, worker, db):
    child = Chat(sandbox, worker, sandbox.user())
    child.follow()
    assert "ผู้ปกครองชื่ออะไร" in texts(child.say("8"))
    child.say("สมศรี ใจดี")
    assert "สำหรับผู้ปกครอง" in texts(child.tap("แม่"))
    child.tap("ผู้ปกครองยินยอม")
    for answer in ("มะลิ", "ตาก", "บ้านแม่สอด"):
        child.say(answer)
    child.tap("ข้าม")
    summary = texts(child.tap("ยังไม่มีรหัส"))
    assert "ผู้ปกครอง: สมศรี ใจดี (แม่)" in summary
    done = texts(child.tap("ยืนยัน"))
    guardian_code = re.search(r"ยืนยันผู้ปกครอง ([A-Z2-9]{8})", done).group(1)
    assert row(db, child.user_id).status == UserStatus.PENDING_GUARDIAN
    assert "ส่งให้ผู้ปกครอง" in child.actions()

    assert "ให้ผู้ปกครองส่งจาก LINE ของผู้ปกครองเอง" in texts(child.say(f"ยืนยันผู้ปกครอง {guardian_code}"))
    guardian = Chat(sandbox, worker, sandbox.user(display_name="สมศรี"))
    guardian.follow()
    asked = texts(guardian.say(f"ยืนยันผู้ปกครอง {guardian_code}"))
    assert "คุณสมศรี ใจดี (แม่) ผู้ปกครองของน้องมะลิ อายุ 8 ปี" in asked
    assert "บันทึกความยินยอมของผู้ปกครองแล้ว" in texts(guardian.tap("ยืนยัน ยินยอม"))
    assert "ผู้ปกครองยืนยันแล้ว" in texts(child.inbox())
    assert row(db, child.user_id).status == UserStatus.ACTIVE
    guardian_id = row(db, guardian.user_id).id
    with db.transaction() as session:
        consent = session.scalars(select(Consent).where(Consent.kind == ConsentKind.GUARDIAN)).one()
        assert (consent.confirmed_by, consent.confirmed_by_user_id) == (ConfirmedBy.GUARDIAN, guardian_id)
    assert "ใช้ไปแล้ว" in texts(guardian.say(f"ยืนยันผู้ปกครอง {guardian_code}"))


def test_the_mentor_can_confirm_for_the_guardian(runner, sandbox, worker, db):
    mentor = staff(runner, sandbox, worker, "mentor_invite", "ตาก", "แดง")
    child = Chat(sandbox, worker, sandbox.user())
    child.follow()
    child.say(group_code(mentor))
    for answer in ("7", "สมปอง ใจดี", "พ่อ"):
        child.say(answer)
    child.tap("ผู้ปกครองยินยอม")
    child.say("ข้าวหอม")
    child.say("บ้านแม่สอด")
    child.tap("ข้าม")
    child.tap("ยืนยัน")
    assert "รอผู้ปกครองยืนยัน" in texts(mentor.inbox())
    assert "รอผู้ปกครองยืนยัน" in texts(mentor.say("กลุ่มของฉัน"))
    assert "ผู้ปกครองของน้องข้าวหอมยินยอม" in texts(mentor.tap("ยืนยัน ข้าวหอม"))
    assert "พี่เลี้ยงยืนยันว่าผู้ปกครองยินยอมแล้ว" in texts(child.inbox())
    assert row(db, child.user_id).status == UserStatus.ACTIVE


def test_guardian_who_declines_erases_the_child(runner, sandbox, worker, db):
    child = Chat(sandbox, worker, sandbox.user())
    child.follow()
    for answer in ("9", "บุญมี", "ปู่ย่าตายาย"):
        child.say(answer)
    child.tap("ผู้ปกครองยินยอม")
    for answer in ("ดาว", "น่าน", "บ้านปัว"):
        child.say(answer)
    child.tap("ข้าม")
    child.tap("ยังไม่มีรหัส")
    code = re.search(r"ยืนยันผู้ปกครอง ([A-Z2-9]{8})", texts(child.tap("ยืนยัน"))).group(1)
    guardian = Chat(sandbox, worker, sandbox.user())
    guardian.say(f"ยืนยันผู้ปกครอง {code}")
    assert "ลบข้อมูลของน้องแล้ว" in texts(guardian.tap("ไม่ยินยอม"))
    assert "ผู้ปกครองไม่ยินยอม" in texts(child.inbox())
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.nickname == "ดาว")) == 0


def test_bad_answers_are_re_asked_with_an_example(sandbox, worker, db):
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    assert "เป็นตัวเลข" in texts(youth.say("สิบสอง"))
    assert "ขั้นนี้ขอเป็นข้อความ" in texts(youth.act(lambda p: p.send_sticker()))
    assert "น้องยินยอมให้บอทเก็บข้อมูล" in texts(youth.say("๑๒")), "Thai digits are an age"
    assert "กดปุ่ม" in texts(youth.say("อะไรนะ"))
    youth.tap("ยินยอม")
    assert "ไม่เกิน 20 ตัวอักษร" in texts(youth.say("ก" * 500))
    assert "เป็นตัวอักษร" in texts(youth.say("😀🎉"))
    assert "ใช้ได้แค่ตัวอักษร" in texts(youth.say("<b>ฟ้า</b><script>"))
    assert "ขั้นนี้ขอเป็นข้อความ" in texts(youth.act(lambda p: p.send_image()))
    assert "จังหวัด" in texts(youth.say("ฟ้า"))
    assert "ไม่พบจังหวัด" in texts(youth.say("แอตแลนติส"))
    youth.say("เชียงใหมม")
    assert "เชียงใหม่" in youth.actions()
    assert "ชุมชน" in texts(youth.tap("เชียงใหม่"))
    assert row(db, youth.user_id).role is None, "nothing is registered before the confirm"


def test_province_by_english_name_and_by_first_letters(sandbox, worker, db):
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    youth.say("16")
    youth.tap("ยินยอม")
    youth.say("เก่ง")
    youth.say("เชียง")
    assert {"เชียงใหม่", "เชียงราย"} <= set(youth.actions())
    youth.say("nakhon ratchasima")
    youth.say("ชุมชนโคกกรวด")
    youth.tap("ข้าม")
    assert "จังหวัด: นครราชสีมา" in texts(youth.tap("ยังไม่มีรหัส"))


def test_codes_that_do_not_work_during_registration(runner, sandbox, worker, db, clock):
    mentor_far = staff(runner, sandbox, worker, "mentor_invite", "สงขลา", "ใต้")
    far_code = group_code(mentor_far)
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    youth.say("13")
    youth.tap("ยินยอม")
    youth.say("หนึ่ง")
    youth.say("ลำปาง")
    youth.say("บ้านนา")
    youth.tap("ข้าม")
    assert "กลุ่มของพี่เลี้ยงจังหวัดสงขลา แต่น้องเลือกจังหวัดลำปาง" in texts(youth.say(far_code))
    coordinator_code = issue(runner, "coordinator", "--province", "ลำปาง")
    assert "สำหรับพี่เลี้ยงหรือเจ้าหน้าที่" in texts(youth.say(coordinator_code))
    assert row(db, youth.user_id).role is None
    assert "ไม่พบรหัสกลุ่ม" in texts(youth.say("ABCD2345"))
    revoked = issue(runner, "coordinator", "--province", "ลำปาง")
    runner.invoke(args=["revoke-code", revoked])
    assert "ถูกยกเลิก" in texts(youth.say(revoked))


def test_a_group_code_revoked_before_the_confirm_sends_the_youth_back(runner, sandbox, worker, db):
    mentor = staff(runner, sandbox, worker, "mentor_invite", "พะเยา", "ฝน")
    code = group_code(mentor)
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    youth.say(code)
    youth.say("12")
    youth.tap("ยินยอม")
    youth.say("บีม")
    youth.say("บ้านต๋อม")
    youth.tap("ข้าม")
    mentor.tap("ขอรหัสใหม่")
    assert "ถูกยกเลิก" in texts(youth.tap("ยืนยัน"))
    assert "ตรวจข้อมูล" in texts(youth.tap("ยังไม่มีรหัส"))
    youth.tap("ยืนยัน")
    assert row(db, youth.user_id).mentor_id is None


def test_two_follows_blocking_and_coming_back_resume_the_same_step(sandbox, worker, db):
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    youth.say("11")
    youth.tap("ยินยอม")
    again = texts(youth.follow())
    assert "ทำต่อจากเดิม" in again and "ชื่อเล่น" in again
    youth.act(lambda p: p.unfollow())
    assert "ทำต่อจากเดิม" in texts(youth.follow())
    youth.say("ปลา")
    assert "จังหวัด" in youth.last_text()


def test_confirm_tapped_twice_registers_once(runner, sandbox, worker, db):
    coordinator = staff(runner, sandbox, worker, "coordinator", "ตราด", "แก้ว")
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth, province="ตราด")
    confirm = youth.actions()  # the summary's chips are gone; replay the old tap
    assert "ยืนยัน" not in confirm
    summary_tap = [m for m in sandbox.messages_for(youth.user_id) if "ตรวจข้อมูล" in m.get("text", "")][-1]
    old = next(i["action"] for i in summary_tap["quickReply"]["items"] if i["action"]["label"] == "ยืนยัน")
    youth.person.tap_postback(old["data"])
    assert "หมดอายุ" in texts(youth.inbox())
    assert texts(coordinator.inbox()).count("น้องฟ้า") == 1
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "youth.registered")) == 1


def test_cancel_and_help_in_the_middle(sandbox, worker, db):
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    youth.say("12")
    assert "ตอบคำถามก่อนหน้าต่อได้เลย" in texts(youth.say("ช่วยเหลือ"))
    assert "ยกเลิกแล้ว" in texts(youth.say("ยกเลิก"))
    assert "อายุ" in texts(youth.say("สมัคร"))


def test_declining_consent_stores_nothing(sandbox, worker, db):
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    youth.say("17")
    assert "ไม่ได้เก็บข้อมูล" in texts(youth.tap("ไม่ยินยอม"))
    stored = row(db, youth.user_id)
    assert (stored.role, stored.age_years) == (None, None)


@pytest.mark.parametrize(("age", "expected"), [("30", "อายุไม่เกิน 25 ปี"), ("2", "ดูไม่ถูกต้อง")])
def test_ages_outside_the_programme(sandbox, worker, age, expected):
    youth = Chat(sandbox, worker, sandbox.user())
    youth.follow()
    assert expected in texts(youth.say(age))


def test_a_youth_cannot_use_a_coordinator_code(runner, sandbox, worker, db):
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth)
    assert "มีบทบาทอื่นอยู่แล้ว" in texts(youth.say(issue(runner, "coordinator", "--national")))
    assert row(db, youth.user_id).role == Role.YOUTH


def test_a_group_code_used_by_many_youth_counts_each(runner, sandbox, worker, db):
    mentor = staff(runner, sandbox, worker, "mentor_invite", "ยะลา", "ฟ้าใส")
    code = group_code(mentor)
    for nickname in ("เอ", "บี"):
        register(Chat(sandbox, worker, sandbox.user()), nickname=nickname, province="ยะลา", code=code)
    with db.transaction() as session:
        stored = session.scalars(select(AccessCode).where(AccessCode.code == code)).one()
        assert (stored.kind, stored.uses) == (CodeKind.YOUTH_JOIN, 2)
