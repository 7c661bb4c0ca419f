"""The chat page in a real Chromium: a person follows the bot, sees text, quick replies, a buttons
template and a Flex bubble, and taps them; each tap reaches the bot as the webhook event LINE would send."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from linebot.v3 import WebhookParser
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest

from bot.sandbox import Sandbox
from bot.sandbox.media import solid_png
from tests.sandbox.conftest import SECRET, TOKEN

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000

WELCOME = [
    {"type": "text", "text": "ยินดีต้อนรับสู่ อพม.น้อย"},
    {"type": "template", "altText": "เมนูหลัก", "template": {
        "type": "buttons", "title": "เมนูหลัก", "text": "เลือกสิ่งที่ต้องการ", "actions": [
            {"type": "postback", "label": "ลงทะเบียน", "data": "menu=register"},
            {"type": "uri", "label": "โทรสายด่วน", "uri": "tel:1300"}]}},
    {"type": "flex", "altText": "กิจกรรม", "contents": {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": [
            {"type": "text", "text": "กิจกรรมปลูกป่า", "weight": "bold", "size": "xl"},
            {"type": "separator"},
            {"type": "box", "layout": "baseline", "contents": [
                {"type": "text", "text": "วันที่", "flex": 1, "color": "#888888"},
                {"type": "text", "text": "31 ม.ค. 2569", "flex": 3}]}]},
        "footer": {"type": "box", "layout": "horizontal", "contents": [
            {"type": "button", "style": "primary", "action": {"type": "postback", "label": "เข้าร่วม",
                                                             "data": "join=7", "displayText": "เข้าร่วม"}},
            {"type": "button", "style": "link", "action": {"type": "uri", "label": "โทร 1300",
                                                          "uri": "tel:1300"}}]}},
     # LINE shows a quick reply only when it is on the last message of the batch.
     "quickReply": {"items": [
         {"type": "action", "action": {"type": "message", "label": "รายงานเหตุ", "text": "รายงานเหตุ"}},
         {"type": "action", "action": {"type": "postback", "label": "ดูกิจกรรม", "data": "menu=activities",
                                       "displayText": "ดูกิจกรรม"}}]}},
]


class EchoBot:
    """A webhook transport playing a tiny bot: it answers through the sandbox's own reply endpoint."""

    def __init__(self) -> None:
        self.events: list = []
        self.api: MessagingApi | None = None

    def __call__(self, body: str, headers: dict) -> tuple[int, str]:
        for event in WebhookParser(SECRET).parse(body, headers["X-Line-Signature"]):
            self.events.append(event)
            messages = self._answer(event)
            if messages and getattr(event, "reply_token", None):
                self.api.reply_message(ReplyMessageRequest.from_dict({"replyToken": event.reply_token,
                                                                      "messages": messages}))
        return 200, "OK"

    @staticmethod
    def _answer(event) -> list[dict]:
        if event.type == "follow":
            return WELCOME
        if event.type == "postback":
            return [{"type": "text", "text": f"postback: {event.postback.data}"}]
        if event.type == "message":
            said = getattr(event.message, "text", None) or event.message.type
            return [{"type": "text", "text": f"ได้รับ: {said}"}]
        return []


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def chat(browser):
    bot = EchoBot()
    sandbox = Sandbox(SECRET, TOKEN, webhook_transport=bot).start()
    with ApiClient(Configuration(host=sandbox.base_url, access_token=TOKEN)) as client:
        bot.api = MessagingApi(client)
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(sandbox.chat_url)
        yield page, bot, sandbox
        page.close()
        assert errors == []
    sandbox.stop()


def _bot_says(page, text: str):
    page.locator(".entry.bot .bubble", has_text=text).wait_for()


@pytest.mark.browser
def test_person_follows_and_sees_what_line_would_show(chat):
    page, bot, _ = chat
    page.locator("#user-list button", has_text="น้องฟ้า").click()
    page.locator("#follow").click()

    _bot_says(page, "ยินดีต้อนรับสู่ อพม.น้อย")
    assert page.locator("#quick-replies .chip").all_inner_texts() == ["รายงานเหตุ", "ดูกิจกรรม"]
    assert page.locator(".template-card .title").inner_text() == "เมนูหลัก"
    assert page.locator(".template-card a.template-action").get_attribute("href") == "tel:1300"
    assert page.locator(".flex-bubble .flex-text", has_text="กิจกรรมปลูกป่า").is_visible()
    assert page.locator(".flex-bubble a.flex-button").get_attribute("href") == "tel:1300"
    assert [event.type for event in bot.events] == ["follow"]


@pytest.mark.browser
def test_taps_and_typing_reach_the_bot_as_line_events(chat):
    page, bot, sandbox = chat
    page.locator("#user-list button", has_text="พี่สมชาย").click()
    page.locator("#follow").click()
    _bot_says(page, "ยินดีต้อนรับ")

    page.locator("#quick-replies .chip", has_text="รายงานเหตุ").click()
    _bot_says(page, "ได้รับ: รายงานเหตุ")
    assert page.locator(".entry.user .bubble", has_text="รายงานเหตุ").is_visible()
    assert page.locator("#quick-replies .chip").count() == 0

    page.locator(".flex-bubble button.flex-button", has_text="เข้าร่วม").click()
    _bot_says(page, "postback: join=7")
    page.locator(".template-card button.template-action", has_text="ลงทะเบียน").click()
    _bot_says(page, "postback: menu=register")

    page.locator("#text-input").fill("สวัสดีครับ")
    page.locator("#text-input").press("Enter")
    _bot_says(page, "ได้รับ: สวัสดีครับ")

    kinds = [(e.type, getattr(e, "postback", None) and e.postback.data) for e in bot.events]
    assert kinds == [("follow", None), ("message", None), ("postback", "join=7"), ("postback", "menu=register"),
                     ("message", None)]
    assert [e.message.text for e in bot.events if e.type == "message"] == ["รายงานเหตุ", "สวัสดีครับ"]
    assert page.locator(".entry.user .bubble", has_text="เข้าร่วม").is_visible()  # the postback's displayText


@pytest.mark.browser
def test_location_and_photo_from_the_page(chat):
    page, bot, sandbox = chat
    page.locator("#user-list button", has_text="คุณวิภา").click()
    page.locator("#attach-location").click()
    page.locator("#location-form button[type=submit]").click()
    _bot_says(page, "ได้รับ: location")

    photo = solid_png(6, 6, (10, 120, 240))
    page.set_input_files("#photo-input", files=[{"name": "site.png", "mimeType": "image/png", "buffer": photo}])
    _bot_says(page, "ได้รับ: image")

    location, image = (e.message for e in bot.events)
    assert (location.latitude, location.longitude) == (18.8375, 98.9714)
    assert sandbox.media.get(image.id) == (photo, "image/png")
    page.wait_for_function("() => { const img = document.querySelector('.entry.user img');"
                           " return img && img.complete && img.naturalWidth > 0; }")
    assert page.locator(".entry.user img").evaluate("img => img.naturalWidth") == 6
    assert sandbox.calls()[-1]["body"]["messages"][0]["text"] == "ได้รับ: image"


@pytest.mark.browser
def test_rich_menu_area_tap_sends_its_postback(chat):
    page, bot, sandbox = chat
    auth = {"Authorization": f"Bearer {TOKEN}"}
    client = sandbox.app.test_client()
    menu = {"size": {"width": 2500, "height": 843}, "selected": True, "name": "main", "chatBarText": "เมนูหลัก",
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
                       "action": {"type": "postback", "label": "รายงาน", "data": "menu=report"}}]}
    menu_id = client.post("/v2/bot/richmenu", json=menu, headers=auth).get_json()["richMenuId"]
    client.post(f"/v2/bot/user/all/richmenu/{menu_id}", headers=auth)

    page.locator("#user-list button", has_text="น้องฟ้า").click()
    page.locator(".rich-menu .area", has_text="รายงาน").click()
    _bot_says(page, "postback: menu=report")
    assert [(e.type, e.postback.data) for e in bot.events] == [("postback", "menu=report")]
