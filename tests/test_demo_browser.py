"""The embedded demo in a real Chromium: a person registers as a youth on the sandbox's chat page, against
the real bot process (`uv run app.py`), tapping the chips and buttons the bot shows."""

from __future__ import annotations

import pytest

from tests.sandbox.test_chat_page import TIMEOUT_MS, browser  # noqa: F401 (fixture)
from tests.test_embedded import embedded_bot  # noqa: F401 (fixture)


def bot_says(page, text: str):
    page.locator(".entry.bot .bubble", has_text=text).last.wait_for()


def type_text(page, text: str):
    page.locator("#text-input").fill(text)
    page.locator("#text-input").press("Enter")


def tap_chip(page, label: str):
    page.locator("#quick-replies .chip", has_text=label).first.click()


@pytest.mark.browser
def test_a_person_registers_as_a_youth_on_the_chat_page(browser, embedded_bot, tmp_path):  # noqa: F811
    port, _lines = embedded_bot
    page = browser.new_page(viewport={"width": 420, "height": 860})
    page.set_default_timeout(TIMEOUT_MS * 2)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"http://127.0.0.1:{port + 1}/")
    page.locator("#user-list button", has_text="น้องฟ้า").click()
    page.locator("#follow").click()
    bot_says(page, "น้องอายุกี่ปี")
    type_text(page, "๑๒")
    bot_says(page, "น้องยินยอมให้บอทเก็บข้อมูล")
    tap_chip(page, "ยินยอม")
    bot_says(page, "ชื่อเล่น")
    type_text(page, "ฟ้า")
    bot_says(page, "จังหวัดอะไร")
    type_text(page, "เชียง")
    tap_chip(page, "เชียงใหม่")
    bot_says(page, "ชุมชนหรือหมู่บ้าน")
    type_text(page, "ชุมชนบ้านหนองบัว")
    tap_chip(page, "ข้าม")
    tap_chip(page, "ยังไม่มีรหัส")
    bot_says(page, "ตรวจข้อมูลก่อนยืนยัน")
    tap_chip(page, "ยืนยัน")
    bot_says(page, "สมัครเรียบร้อย ยินดีต้อนรับน้องฟ้า")
    page.locator(".flex-bubble", has_text="ทำอะไรได้บ้าง").wait_for()
    page.screenshot(path=str(tmp_path / "registered.png"), full_page=True)
    assert errors == []
    page.close()
