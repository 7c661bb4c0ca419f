"""The console in a real Chromium (Playwright): a coordinator signs in with the link the bot would send,
reads the dashboard, filters the reports, acknowledges and annotates one, and the youth's update reaches the
sandbox. Screenshots of the main pages, at laptop and phone sizes, are saved to instance/screenshots/."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from models import Role
from tests.sandbox.test_chat_page import TIMEOUT_MS, browser  # noqa: F401 (fixture)
from tests.test_console import a_report, link_for, person

SCREENSHOTS = Path(__file__).resolve().parent.parent / "instance" / "screenshots"
LAPTOP, PHONE = {"width": 1280, "height": 860}, {"width": 390, "height": 844}


@pytest.fixture
def live_console(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_a_coordinator_works_a_report_from_the_browser(browser, live_console, db, clock, sandbox, worker):  # noqa: F811
    coordinator = person(db, Role.COORDINATOR, "BKK", "วิภา", clock)
    mentor = person(db, Role.MENTOR, "BKK", "สมชาย", clock)
    youth_line = sandbox.user(display_name="น้องฟ้า")
    youth = person(db, Role.YOUTH, "BKK", "ฟ้า", clock, mentor=mentor, line_user_id=youth_line.user_id)
    a_report(db, youth, clock)  # a calm one, which the urgent filter leaves out
    a_report(db, youth, clock, urgent=True, latitude=13.7563, longitude=100.5018)
    page = browser.new_page(viewport=LAPTOP)
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_console}/console/link/{link_for(db, coordinator, clock)}")
    page.get_by_role("heading", name="ภาพรวม · กรุงเทพมหานคร").wait_for()
    page.locator("#report-map[data-ready='1']").wait_for()  # the urgent report's pin, drawn by Leaflet
    assert page.locator("#status-chart svg").count() == 1 and page.locator("#category-chart svg").count() == 1
    shoot(page, "dashboard-laptop")
    page.set_viewport_size(PHONE)
    shoot(page, "dashboard-phone")
    page.set_viewport_size(LAPTOP)

    page.get_by_role("link", name="เรื่องที่แจ้ง").first.click()
    rows = page.locator("#reports tr")
    assert rows.count() == 3, "a header and both reports"
    page.get_by_label("ด่วน").check()
    page.get_by_role("button", name="กรอง").click()
    page.wait_for_url("**urgent=1**")
    assert page.locator("#reports tr").count() == 2 and page.locator("#reports .badge").count() == 1
    shoot(page, "reports-laptop")

    page.locator("#reports a").first.click()
    page.get_by_role("heading", name="ดำเนินการ").wait_for()
    page.locator("#report-map[data-ready='1']").wait_for()  # the report's own pin
    page.get_by_role("button", name="รับเรื่อง").click()
    page.get_by_text("รับเรื่องแล้ว", exact=True).first.wait_for()
    page.get_by_placeholder("บันทึกการดำเนินงาน").fill("โทรหาผู้ใหญ่บ้านแล้ว จะไปเยี่ยมพรุ่งนี้")
    page.get_by_role("button", name="บันทึก", exact=True).click()
    page.locator("#timeline", has_text="โทรหาผู้ใหญ่บ้านแล้ว").wait_for()
    assert page.locator("#status").inner_text().startswith("กำลังดำเนินการ")
    shoot(page, "report-laptop")
    page.set_viewport_size(PHONE)
    shoot(page, "report-phone")

    worker.run_until_idle()
    told = [message["text"] for message in sandbox.messages_for(youth_line.user_id) if message["type"] == "text"]
    assert any("รับเรื่อง" in text for text in told) and any("กำลังดำเนินการ" in text for text in told)
    assert not errors, errors


@pytest.mark.browser
def test_a_coordinator_composes_and_schedules_a_campaign_that_reaches_line(
        app, browser, live_console, db, clock, sandbox, worker):  # noqa: F811
    from bot import campaigns
    from bot.services import services

    coordinator = person(db, Role.COORDINATOR, "BKK", "วิภา", clock)
    youth_line = sandbox.user(display_name="น้องดาว")
    person(db, Role.YOUTH, "BKK", "ดาว", clock, line_user_id=youth_line.user_id)
    page = browser.new_page(viewport=LAPTOP)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live_console}/console/link/{link_for(db, coordinator, clock)}")
    page.get_by_role("link", name="แคมเปญ").click()
    page.get_by_label("หัวข้อ").fill("ชวนเก็บขยะริมคลอง")
    page.get_by_label("เนื้อหา").fill("เสาร์นี้ 9 โมง ที่ลานวัด มาช่วยกันนะ")
    page.get_by_label("แท็ก").fill("ข่าวอาสา")
    page.get_by_role("button", name="ดูตัวอย่าง").click()
    preview = page.locator("#preview")
    preview.get_by_text("ชวนเก็บขยะริมคลอง").wait_for()
    assert "ประมาณ 1 คน" in preview.inner_text()
    shoot(page, "campaign-preview-laptop")
    page.get_by_role("button", name="ยืนยันส่ง").click()
    page.locator("#campaign-status", has_text="ตั้งเวลาไว้").wait_for()
    with db.transaction() as session:
        campaigns.dispatch_due(session, clock(), services(app).settings)
    worker.run_until_idle()
    flex = [m for m in sandbox.messages_for(youth_line.user_id) if m["type"] == "flex"]
    assert flex and "ชวนเก็บขยะริมคลอง" in flex[0]["altText"]
    page.reload()
    page.locator("#campaign-status", has_text="ส่งแล้ว").wait_for()
