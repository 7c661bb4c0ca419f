"""Coordinator and mentor codes: an admin issues one on the command line, the person types it in LINE and
gets the role; wrong, expired, revoked, used codes and guessing are refused with a clear Thai answer."""

from __future__ import annotations

import pytest

from bot import access
from models import CodeKind, Role
from tests.chat import Chat, texts
from tests.test_onboarding import issue
from tests.test_onboarding import row as user_row


def answer(sandbox, person, worker, text) -> str:
    """Everything the bot answered to `text`."""
    return texts(Chat(sandbox, worker, person).say(text))


def test_coordinator_code_from_the_cli_claimed_in_line(runner, sandbox, worker, db):
    code = issue(runner, "coordinator", "--province", "Chiang Mai")
    person = sandbox.user(display_name="คุณวิภา")
    reply = answer(sandbox, person, worker, f"รหัส {code[:4].lower()}-{code[4:]}")
    assert "ผู้ประสานงาน จังหวัดเชียงใหม่" in reply
    row = user_row(db, person.user_id)
    assert (row.role, row.province_code) == (Role.COORDINATOR, "CMI")

    other = sandbox.user(display_name="คนอื่น")
    assert "ถูกใช้ไปแล้ว" in answer(sandbox, other, worker, code)
    assert user_row(db, other.user_id).role is None


def test_mentor_invite_and_national_coordinator(runner, sandbox, worker, db):
    mentor = sandbox.user(display_name="พี่สมชาย")
    assert "พี่เลี้ยง อพม. จังหวัดขอนแก่น" in answer(
        sandbox, mentor, worker, issue(runner, "mentor_invite", "--province", "ขอนแก่น"))
    national = sandbox.user(display_name="คุณสุดา")
    assert "ระดับประเทศ" in answer(sandbox, national, worker, issue(runner, "coordinator", "--national"))
    assert user_row(db, national.user_id).province_code is None


def test_expired_and_revoked_codes_are_refused(runner, sandbox, worker, clock, db):
    person = sandbox.user()
    expiring = issue(runner, "coordinator", "--province", "ตาก", "--days", "1")
    revoked = issue(runner, "coordinator", "--province", "ตาก")
    assert runner.invoke(args=["revoke-code", revoked]).output.strip() == "revoked"
    assert runner.invoke(args=["revoke-code", revoked]).exit_code == 1
    assert "ถูกยกเลิก" in answer(sandbox, person, worker, revoked)
    clock.advance(days=1, seconds=1)
    assert "หมดอายุ" in answer(sandbox, person, worker, expiring)
    assert user_row(db, person.user_id).role is None


def test_guessing_is_stopped_after_five_wrong_codes_for_an_hour(runner, sandbox, worker, clock, db):
    person = sandbox.user()
    real = issue(runner, "coordinator", "--province", "ตราด")
    for _ in range(5):
        assert "ไม่พบรหัส" in answer(sandbox, person, worker, "ABCD2345")
    assert "ลองใหม่อีกครั้งในอีก 1 ชั่วโมง" in answer(sandbox, person, worker, real)
    clock.advance(hours=1)
    assert "ผู้ประสานงาน จังหวัดตราด" in answer(sandbox, person, worker, real)


def test_a_mentor_cannot_turn_coordinator_with_a_code(runner, sandbox, worker, db):
    person = sandbox.user()
    answer(sandbox, person, worker, issue(runner, "mentor_invite", "--province", "ตาก"))
    assert "มีบทบาทอื่นอยู่แล้ว" in answer(sandbox, person, worker, issue(runner, "coordinator", "--national"))
    assert user_row(db, person.user_id).role == Role.MENTOR


def test_ordinary_text_is_not_taken_for_a_code(sandbox, worker):
    person = sandbox.user()
    for text in ("THANKYOU", "สวัสดีค่ะ", "12345678"):
        assert "บอทนี้ช่วย" in answer(sandbox, person, worker, text)


@pytest.mark.parametrize(("typed", "code"), [
    ("ABCD2345", "ABCD2345"), ("abcd 2345", "ABCD2345"), ("รหัส: abcd-2345", "ABCD2345"),
    ("ABCD0345", None), ("HELLOBOT", None), ("ABC2345", None), ("รหัสผ่าน", None), ("", None),
])
def test_typed_codes_are_recognised(typed, code):
    assert access.typed_code(typed) == code


def test_province_names_that_are_not_exact_are_refused(runner):
    result = runner.invoke(args=["issue-code", "coordinator", "--province", "เชียง"])
    assert result.exit_code != 0 and "did you mean" in result.output
    assert runner.invoke(args=["issue-code", "coordinator"]).exit_code != 0


def test_every_new_code_has_a_digit_and_no_look_alikes():
    for _ in range(200):
        code = access.new_code()
        assert access.typed_code(code) == code
        assert not set(code) & set("01OIL")


def test_mentor_invite_needs_a_province(db, clock):
    with db.transaction() as session, pytest.raises(ValueError):
        access.issue(session, CodeKind.MENTOR_INVITE, clock())
