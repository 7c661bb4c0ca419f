"""The coordinators' web console through Flask's test client: sign-in (link and password), lockout, session
end, CSRF, province walls, escaping, report actions that reach LINE, Thai search and the streamed CSV export.
The real-browser walk-through is tests/test_console_browser.py."""

from __future__ import annotations

import datetime as dt
import re
import tracemalloc

import pytest
from sqlalchemy import func, insert, select

from bot import reports
from models import AuditEvent, OutboxMessage, Report, ReportStatus, Role, User, UserStatus
from web import accounts

LOGIN_PASSWORD = "ขอบฟ้า-2569-ok"
FORMULA = '=HYPERLINK("http://x.example")'


def person(db, role: str, province: str | None, nickname: str, clock, mentor: User | None = None,
           line_user_id: str | None = None) -> User:
    with db.transaction() as session:
        user = User(line_user_id=line_user_id or f"U{abs(hash((role, province, nickname))):032x}"[:33], role=role,
                    province_code=province, nickname=nickname, created_at=clock(), registered_at=clock(),
                    age_years=15 if role == Role.YOUTH else 35, age_recorded_at=clock(),
                    mentor_id=mentor.id if mentor else None)
        session.add(user)
        session.flush()
        session.expunge(user)
        return user


def a_report(db, reporter: User, clock, urgent: bool = False, **fields) -> int:
    with db.transaction() as session:
        found = reports.open_report(session, session.get(User, reporter.id), clock(), category="elderly",
                                    urgent=urgent, submitted=True, description="ยายอยู่คนเดียว ไม่มีข้าวกิน",
                                    place_text="ซอย 5", **fields)
        found.next_escalation_at = clock() + dt.timedelta(hours=24)
        return found.id


@pytest.fixture
def bangkok(db, clock):
    """A Bangkok coordinator, a mentor, a youth in the mentor's group and one report of theirs."""
    coordinator = person(db, Role.COORDINATOR, "BKK", "วิภา", clock)
    mentor = person(db, Role.MENTOR, "BKK", "สมชาย", clock)
    youth = person(db, Role.YOUTH, "BKK", "ฟ้า", clock, mentor=mentor)
    return {"coordinator": coordinator, "mentor": mentor, "youth": youth, "report": a_report(db, youth, clock)}


def link_for(db, user: User, clock) -> str:
    with db.transaction() as session:
        return accounts.issue_link(session, session.get(User, user.id), clock())


def sign_in(client, db, user: User, clock):
    answer = client.get(f"/console/link/{link_for(db, user, clock)}")
    assert answer.status_code == 302, "a fresh link signs in"
    return answer


def csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def audit_actions(db) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_login_link_works_once_and_not_after_ten_minutes(client, db, clock, bangkok):
    token = link_for(db, bangkok["coordinator"], clock)
    assert client.get(f"/console/link/{token}").headers["Location"].endswith("/console/dashboard")
    dashboard = client.get("/console/dashboard").get_data(as_text=True)
    assert "ภาพรวม · กรุงเทพมหานคร" in dashboard and "เรื่องเลยกำหนดรับเรื่อง" in dashboard
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/dashboard")})
    reused = client.get(f"/console/link/{token}")
    assert reused.status_code == 403 and "ลิงก์นี้ใช้ไม่ได้แล้ว" in reused.get_data(as_text=True)
    late = link_for(db, bangkok["coordinator"], clock)
    clock.advance(minutes=11)
    assert client.get(f"/console/link/{late}").status_code == 403
    assert client.get("/console/dashboard").status_code == 302, "still signed out"


def test_only_staff_get_links_and_a_demoted_coordinator_is_signed_out(client, db, clock, bangkok):
    with db.transaction() as session:
        assert accounts.issue_link(session, session.get(User, bangkok["mentor"].id), clock()) is None
        assert accounts.issue_link(session, session.get(User, bangkok["youth"].id), clock()) is None
    sign_in(client, db, bangkok["coordinator"], clock)
    assert client.get("/console/reports").status_code == 200
    with db.transaction() as session:
        session.get(User, bangkok["coordinator"].id).role = Role.MENTOR
    assert client.get("/console/reports").status_code == 302, "the role is checked on every page"


def test_ten_wrong_passwords_lock_the_account_for_fifteen_minutes(client, db, clock, bangkok):
    sign_in(client, db, bangkok["coordinator"], clock)
    token = csrf(client, "/console/password")
    saved = client.post("/console/password", data={"csrf_token": token, "login": "Wipa.BKK",
                                                   "password": LOGIN_PASSWORD})
    assert saved.status_code == 302
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/dashboard")})
    said = []
    for _ in range(10):
        answer = client.post("/console/login", data={"csrf_token": csrf(client, "/console/login"),
                                                     "login": "wipa.bkk", "password": "wrong-password"})
        said.append("ถูกล็อกชั่วคราว" in answer.get_data(as_text=True))
    assert said == [False] * 4 + [True] * 6, "the fifth wrong password locks; the lock holds"
    right = client.post("/console/login", data={"csrf_token": csrf(client, "/console/login"), "login": "wipa.bkk",
                                                "password": LOGIN_PASSWORD})
    assert right.status_code == 400 and "ถูกล็อกชั่วคราว" in right.get_data(as_text=True)
    clock.advance(minutes=16)
    right = client.post("/console/login", data={"csrf_token": csrf(client, "/console/login"), "login": "wipa.bkk",
                                                "password": LOGIN_PASSWORD})
    assert right.status_code == 302 and client.get("/console/dashboard").status_code == 200
    actions = audit_actions(db)
    assert "console.locked" in actions and "console.locked_attempt" in actions
    assert actions.count("console.signed_in") == 2
    unknown = client.post("/console/login", data={"csrf_token": csrf(client, "/console/login"), "login": "nobody",
                                                  "password": "whatever-it-is"})
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in unknown.get_data(as_text=True), "the same answer for unknown names"


def test_a_session_ends_after_its_lifetime(client, db, clock, bangkok):
    sign_in(client, db, bangkok["coordinator"], clock)
    clock.advance(hours=7, minutes=59)
    assert client.get("/console/reports").status_code == 200
    clock.advance(minutes=2)
    answer = client.get("/console/reports")
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]


def test_a_form_without_its_csrf_token_changes_nothing(client, db, clock, bangkok):
    sign_in(client, db, bangkok["coordinator"], clock)
    answer = client.post(f"/console/reports/{bangkok['report']}/act", data={"action": "acknowledge"})
    assert answer.status_code == 400
    with db.transaction() as session:
        assert session.get(Report, bangkok["report"]).status == ReportStatus.OPEN


def test_a_provincial_coordinator_cannot_open_another_provinces_report(client, db, clock, bangkok):
    youth = person(db, Role.YOUTH, "CMI", "ดาว", clock)
    elsewhere = a_report(db, youth, clock)
    sign_in(client, db, bangkok["coordinator"], clock)
    assert client.get(f"/console/reports/{elsewhere}").status_code == 404
    assert client.get(f"/console/reports/{elsewhere}/photos/1.jpg").status_code == 404, "nor its photos"
    token = csrf(client, f"/console/reports/{bangkok['report']}")
    assert client.post(f"/console/reports/{elsewhere}/act",
                       data={"csrf_token": token, "action": "acknowledge"}).status_code == 404
    listed = client.get("/console/reports").get_data(as_text=True)
    assert str(bangkok["report"]) in listed and f"/console/reports/{elsewhere}\"" not in listed
    national = person(db, Role.COORDINATOR, None, "ชาติ", clock)
    client.post("/console/logout", data={"csrf_token": token})
    sign_in(client, db, national, clock)
    assert client.get(f"/console/reports/{elsewhere}").status_code == 200, "a national coordinator sees all"


def test_acting_on_a_report_reaches_the_youth_and_every_view_is_audited(client, db, clock, bangkok):
    sign_in(client, db, bangkok["coordinator"], clock)
    page = client.get(f"/console/reports/{bangkok['report']}").get_data(as_text=True)
    assert "ยายอยู่คนเดียว" in page and "ฟ้า" in page
    token = csrf(client, f"/console/reports/{bangkok['report']}")
    client.post(f"/console/reports/{bangkok['report']}/act", data={"csrf_token": token, "action": "acknowledge"})
    client.post(f"/console/reports/{bangkok['report']}/act",
                data={"csrf_token": token, "action": "close", "closing_note": "ส่งต่อ อบต. แล้ว โทร 081-234-5678"})
    with db.transaction() as session:
        report = session.get(Report, bangkok["report"])
        assert report.status == ReportStatus.CLOSED and "081" not in report.closing_note
        to_youth = session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_id == bangkok["youth"].line_user_id)).all()
    said = " ".join(str(row.messages) for row in to_youth)
    assert "รับเรื่อง" in said and "ปิดแล้ว" in said, "the youth hears about both in LINE"
    assert audit_actions(db).count("report.viewed") == 2, "each view of the report's page is audited"


def test_script_in_names_and_notes_is_shown_as_text(client, db, clock, bangkok):
    youth = person(db, Role.YOUTH, "BKK", "<script>alert(1)</script>", clock, mentor=bangkok["mentor"])
    report_id = a_report(db, youth, clock)
    sign_in(client, db, bangkok["coordinator"], clock)
    token = csrf(client, f"/console/reports/{report_id}")
    client.post(f"/console/reports/{report_id}/act",
                data={"csrf_token": token, "action": "note", "note": '<img src=x onerror="alert(2)">'})
    page = client.get(f"/console/reports/{report_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x" in page
    people = client.get("/console/people?q=script").get_data(as_text=True)
    assert "&lt;script&gt;" in people and "<script>alert" not in people


def test_searching_thai_names_matches_as_typed_even_with_tone_marks_in_another_order(client, db, clock, bangkok):
    person(db, Role.YOUTH, "BKK", "น้ำผึ้ง", clock)
    person(db, Role.YOUTH, "BKK", "นำโชค", clock)
    sign_in(client, db, bangkok["coordinator"], clock)
    found = client.get("/console/people?q=น้ำ").get_data(as_text=True)
    assert "น้ำผึ้ง" in found and "นำโชค" not in found
    swapped = "ผ" + "\u0e49" + "\u0e36" + "ง"  # tone mark typed before the vowel above: looks the same
    assert "น้ำผึ้ง" in client.get(f"/console/people?q={swapped}").get_data(as_text=True)


def test_an_export_of_a_hundred_thousand_volunteers_is_streamed_and_audited(client, db, clock, bangkok):
    rows = [{"line_user_id": f"U{index:032x}", "role": Role.YOUTH, "status": UserStatus.ACTIVE,
             "province_code": "BKK", "nickname": f"น้อง{index}", "community": FORMULA if index == 7 else "ชุมชน",
             "created_at": clock(), "registered_at": clock(), "is_following": True, "notify_campaigns": True,
             "notify_activities": True, "failed_code_attempts": 0} for index in range(100_000)]
    with db.transaction() as session:
        for first in range(0, len(rows), 10_000):
            session.execute(insert(User), rows[first:first + 10_000])
        expected = session.scalar(select(func.count()).select_from(User).where(
            User.province_code == "BKK", User.role.in_((Role.YOUTH, Role.MENTOR))))
    sign_in(client, db, bangkok["coordinator"], clock)
    answer = client.get("/console/people.csv", buffered=False)
    assert answer.is_streamed and answer.mimetype == "text/csv"
    tracemalloc.start()
    lines, total_bytes, chunks, formula_cells = 0, 0, 0, []
    for chunk in answer.response:
        piece = chunk.decode() if isinstance(chunk, bytes) else chunk
        formula_cells += [line for line in piece.splitlines() if "HYPERLINK" in line]
        lines += piece.count("\n")
        total_bytes += len(piece.encode())
        chunks += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    answer.close()
    assert lines == expected + 1, "a header and every volunteer of the province"
    assert chunks > 10 and peak < total_bytes / 2, f"streamed: peak {peak:,} B for {total_bytes:,} B of CSV"
    assert "people.exported" in audit_actions(db)
    assert len(formula_cells) == 1 and '"\'=HYPERLINK' in formula_cells[0], "a spreadsheet won't run it"


def test_a_campaign_composed_in_the_console_reaches_the_province_like_one_from_line(app, client, db, clock, bangkok,
                                                                                   sandbox, worker):
    from bot import campaigns
    from bot.services import services
    from models import Campaign, CampaignStatus

    youth_line = sandbox.user(display_name="น้องดาว")
    person(db, Role.YOUTH, "BKK", "ดาว", clock, line_user_id=youth_line.user_id)
    person(db, Role.YOUTH, "CMI", "เหนือ", clock)
    sign_in(client, db, bangkok["coordinator"], clock)
    form = {"csrf_token": csrf(client, "/console/campaigns"), "title": "ชวนเก็บขยะริมคลอง",
            "body": "เสาร์นี้ 9 โมง <b>ที่ลานวัด</b>", "tags": "ข่าวอาสา", "roles": "youth", "province": "CMI",
            "send_at": ""}
    preview = client.post("/console/campaigns/preview", data=form).get_data(as_text=True)
    assert "ชวนเก็บขยะริมคลอง" in preview and "&lt;b&gt;ที่ลานวัด" in preview, "the card, escaped"
    assert "อพม.น้อย · กรุงเทพมหานคร" in preview, "a provincial coordinator's audience is their own province"
    assert "ประมาณ <b>2</b> คน" in preview, "the two Bangkok youth, not the one in Chiang Mai"
    for _ in range(2):  # a double submit schedules one campaign
        assert client.post("/console/campaigns", data=form).status_code == 302
    with db.transaction() as session:
        scheduled = session.scalars(select(Campaign)).all()
        assert [c.status for c in scheduled] == [CampaignStatus.SCHEDULED]
        campaigns.dispatch_due(session, clock(), services(app).settings)
    worker.run_until_idle()
    received = [m for m in sandbox.messages_for(youth_line.user_id) if m["type"] == "flex"]
    assert received and "ชวนเก็บขยะริมคลอง" in received[0]["altText"]
    page = client.get(f"/console/campaigns/{scheduled[0].id}").get_data(as_text=True)
    assert "ส่งแล้ว" in page


def test_a_scheduled_campaign_is_cancelled_from_the_console_and_sends_nothing(app, client, db, clock, bangkok):
    from models import Campaign, CampaignStatus

    sign_in(client, db, bangkok["coordinator"], clock)
    token = csrf(client, "/console/campaigns")
    client.post("/console/campaigns", data={"csrf_token": token, "title": "ประชุมอาสา", "body": "วันจันทร์",
                                            "roles": "youth", "send_at": "พรุ่งนี้ 9:00"})
    with db.transaction() as session:
        campaign = session.scalars(select(Campaign)).one()
    assert campaign.send_at > clock()
    client.post(f"/console/campaigns/{campaign.id}/cancel", data={"csrf_token": token})
    with db.transaction() as session:
        assert session.get(Campaign, campaign.id).status == CampaignStatus.CANCELLED
    assert "2569" in client.get(f"/console/campaigns/{campaign.id}").get_data(as_text=True)


def test_staff_assign_a_youth_deactivate_a_mentor_and_issue_and_revoke_codes(client, db, clock, bangkok):
    from models import AccessCode

    other = person(db, Role.MENTOR, "BKK", "มานี", clock)
    youth = person(db, Role.YOUTH, "BKK", "ใบเตย", clock)
    far = person(db, Role.YOUTH, "CMI", "ดอย", clock)
    sign_in(client, db, bangkok["coordinator"], clock)
    token = csrf(client, f"/console/people/{youth.id}")
    assert client.get(f"/console/people/{far.id}").status_code == 404, "another province's person"
    client.post(f"/console/people/{youth.id}/act", data={"csrf_token": token, "action": "assign",
                                                         "mentor_id": other.id})
    assert "มานี" in client.get(f"/console/people/{youth.id}").get_data(as_text=True)
    client.post(f"/console/people/{bangkok['mentor'].id}/act", data={"csrf_token": token, "action": "deactivate"})
    with db.transaction() as session:
        assert session.get(User, youth.id).mentor_id == other.id
        assert session.get(User, bangkok["mentor"].id).role is None
        assert session.get(User, bangkok["youth"].id).mentor_id is None, "their youth wait for a new mentor"
    issued = client.post("/console/codes", data={"csrf_token": token, "action": "issue", "province": "CMI"},
                         follow_redirects=True).get_data(as_text=True)
    code = re.search(r"รหัสพี่เลี้ยงใหม่: (\w+)", issued).group(1)
    with db.transaction() as session:
        row = session.scalars(select(AccessCode).where(AccessCode.code == code)).one()
        assert row.province_code == "BKK", "a provincial coordinator issues for their own province only"
    client.post("/console/codes", data={"csrf_token": token, "action": "revoke", "code_id": row.id})
    with db.transaction() as session:
        assert session.get(AccessCode, row.id).revoked_at is not None
    assert {"youth.assigned", "user.role_changed", "code.issued", "code.revoked"} <= set(audit_actions(db))


def test_an_activity_created_in_the_console_invites_youth_and_its_hours_are_confirmed_there(
        app, client, db, clock, bangkok, sandbox, worker):
    from models import Activity, ActivityResponse

    youth_line = sandbox.user(display_name="น้องดาว")
    youth = person(db, Role.YOUTH, "BKK", "ดาว", clock, line_user_id=youth_line.user_id)
    sign_in(client, db, bangkok["coordinator"], clock)
    token = csrf(client, "/console/activities")
    form = {"csrf_token": token, "title": "เก็บขยะริมคลอง", "description": "<i>นำถุงมือมาด้วย</i>",
            "place_text": "วัดใกล้บ้าน", "starts_at": "พรุ่งนี้ 9:00", "ends_at": "12:00", "capacity": "",
            "repeat": "", "reminders": "1440,120"}
    bad = client.post("/console/activities/preview", data={**form, "ends_at": "08:00", "starts_at": "พรุ่งนี้ 9:00",
                                                           "capacity": "0"})
    assert bad.status_code == 400
    preview = client.post("/console/activities/preview", data=form).get_data(as_text=True)
    assert "เก็บขยะริมคลอง" in preview and "&lt;i&gt;นำถุงมือ" in preview and "<b>2</b> คน" in preview
    for _ in range(2):  # a double submit makes one activity
        created_page = client.post("/console/activities", data=form, follow_redirects=True).get_data(as_text=True)
        assert "ส่งคำเชิญถึง 2 คน" in created_page, re.findall(r'class="flash[^"]*"[^>]*>([^<]*)', created_page)
    worker.run_until_idle()
    with db.transaction() as session:
        created = session.scalars(select(Activity)).one()
    assert any(m["type"] == "flex" and "เก็บขยะริมคลอง" in m["altText"]
               for m in sandbox.messages_for(youth_line.user_id)), "the invitation reached LINE"
    clock.advance(days=1)  # 10:00 in Bangkok: the activity is under way (and yesterday's session is over)
    sign_in(client, db, bangkok["coordinator"], clock)
    token = csrf(client, f"/console/activities/{created.id}")
    marked = client.post(f"/console/activities/{created.id}/act", follow_redirects=True,
                         data={"csrf_token": token, "action": "present", "user_id": youth.id}).get_data(as_text=True)
    assert "บันทึกการมาร่วมแล้ว" in marked, re.findall(r'class="flash[^"]*"[^>]*>([^<]*)', marked)
    client.post(f"/console/activities/{created.id}/act", data={"csrf_token": token, "action": "hours"})
    with db.transaction() as session:
        answer = session.scalars(select(ActivityResponse).where(ActivityResponse.user_id == youth.id)).one()
    assert (answer.attended, answer.minutes_credited) == (True, 180)
    page = client.get(f"/console/activities/{created.id}").get_data(as_text=True)
    assert "3.0" in page


def test_a_coordinator_asks_for_a_login_link_in_line_and_a_mentor_cannot(runner, sandbox, worker, client, db):
    from tests.chat import texts
    from tests.test_onboarding import staff

    coordinator = staff(runner, sandbox, worker, "coordinator", "ลำพูน", "นก")
    mentor = staff(runner, sandbox, worker, "mentor_invite", "ลำพูน", "ใจดี")
    said = texts(coordinator.say("เข้าเว็บ"))
    link = re.search(r"https?://\S+/console/link/(\S+)", said)
    assert link and "ใช้ได้ครั้งเดียว" in said
    answer = client.get(f"/console/link/{link.group(1)}")
    assert answer.status_code == 302 and "ภาพรวม · ลำพูน" in client.get("/console/dashboard").get_data(as_text=True)
    assert "สำหรับผู้ประสานงาน" in texts(mentor.say("เข้าเว็บ")) and "/console/link/" not in texts(mentor.inbox())
