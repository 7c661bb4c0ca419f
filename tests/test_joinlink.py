"""Mentors' join links and QR codes: the link LINE opens with the code typed in, the QR that decodes back to
it, the bot's /join/<code>.png that serves it only for open youth-join codes, the settings it needs, and
the mentor's messages as LINE and the sandbox accept them. The chat page test runs in a real Chromium."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import unquote, urlsplit

import pytest
import zxingcpp
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, PushMessageRequest
from PIL import Image

from app import create_app
from bot import access
from bot.config import ConfigError, Settings
from bot.joinlink import QR_BORDER, QR_SCALE, deep_link, join_messages, join_text, qr_png
from bot.sandbox.server import BackgroundServer
from bot.services import services
from models import CodeKind, Role, User
from tests.conftest import ACCESS_TOKEN
from tests.openapi_check import assert_valid_request
from tests.sandbox.test_chat_page import TIMEOUT_MS, browser  # noqa: F401  (the Chromium fixture)
from tests.test_config import from_env

BASIC_ID = "@123abcde"
CODE = "ABCD2345"


def decoded(png: bytes, size: int | None = None) -> list[zxingcpp.Barcode]:
    image = Image.open(io.BytesIO(png))
    if size:
        image = image.convert("L").resize((size, size), Image.Resampling.BILINEAR)
    return zxingcpp.read_barcodes(image)


# ---- the link and the QR code ---------------------------------------------------------------------------

def test_deep_link_opens_the_bots_chat_with_the_join_text_typed_in():
    text = join_text(CODE)
    link = deep_link(BASIC_ID, text)
    parts = urlsplit(link)
    assert text == "รหัสกลุ่ม ABCD2345"
    assert (parts.scheme, parts.netloc) == ("https", "line.me")
    assert parts.path == "/R/oaMessage/%40123abcde/"
    assert unquote(parts.path.split("/")[3]) == BASIC_ID
    assert unquote(parts.query) == text
    assert link.isascii() and " " not in link and "@" not in link and "+" not in link
    assert access.typed_code(unquote(parts.query)) == CODE


def test_qr_decodes_to_the_link_with_a_quiet_zone_and_survives_a_small_screen():
    link = deep_link(BASIC_ID, join_text(CODE))
    png = qr_png(link)
    image = Image.open(io.BytesIO(png))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and image.format == "PNG"
    assert image.width == image.height >= 800  # about 8 cm wide when printed on A4 at 300 dpi
    border = QR_BORDER * QR_SCALE
    pixels = image.convert("L")
    assert all(pixels.getpixel((x, y)) == 255 for x in range(image.width) for y in range(border))
    [barcode] = decoded(png)
    assert (barcode.text, barcode.format, barcode.ec_level) == (link, zxingcpp.BarcodeFormat.QRCode, "M")
    assert [b.text for b in decoded(png, size=240)] == [link]  # LINE's thumbnail size in a chat


# ---- GET /join/<code>.png -------------------------------------------------------------------------------

@pytest.fixture
def settings(settings, sandbox) -> Settings:
    """The test settings with the sandbox's LINE ID, as the embedded mode sets it."""
    return settings.with_(line_bot_basic_id=sandbox.basic_id)


def _mentor(session, now: dt.datetime) -> User:
    mentor = User(line_user_id="U" + "1" * 32, role=Role.MENTOR, province_code="CMI", created_at=now)
    session.add(mentor)
    session.flush()
    return mentor


@pytest.fixture
def codes(db, clock) -> dict[str, str]:
    """One code of each state: open, expired, revoked, used up, and the other kinds."""
    now = clock()
    with db.transaction() as session:
        mentor = _mentor(session, now)
        made = {"open": access.group_code(session, mentor, now).code}
        made["expired"] = access.issue(session, CodeKind.YOUTH_JOIN, now - dt.timedelta(days=8), "CMI").code
        made["revoked"] = access.issue(session, CodeKind.YOUTH_JOIN, now, "CMI").code
        access.revoke(session, made["revoked"], now)
        used = access.issue(session, CodeKind.YOUTH_JOIN, now, "CMI")
        used.uses, made["used"] = used.max_uses, used.code
        for kind, province in ((CodeKind.COORDINATOR, None), (CodeKind.MENTOR_INVITE, "CMI")):
            made[kind] = access.issue(session, kind, now, province).code
        made[CodeKind.GUARDIAN] = access.guardian_code(session, mentor, now).code
    return made


def test_an_open_group_code_gets_its_qr_in_any_letter_case(client, codes, sandbox):
    for asked in (codes["open"], codes["open"].lower()):
        response = client.get(f"/join/{asked}.png")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.headers["Cache-Control"] == "private, max-age=600"
        assert "Set-Cookie" not in response.headers
        [barcode] = decoded(response.data)
        assert barcode.text == deep_link(sandbox.basic_id, join_text(codes["open"]))


@pytest.mark.parametrize("state", ["expired", "revoked", "used", CodeKind.COORDINATOR, CodeKind.MENTOR_INVITE,
                                   CodeKind.GUARDIAN])
def test_closed_codes_and_other_kinds_are_404_without_detail(client, codes, state):
    response = client.get(f"/join/{codes[state]}.png")
    assert (response.status_code, response.data, response.headers["Cache-Control"]) == (404, b"", "no-store")


@pytest.mark.parametrize("asked", ["ZZZZ2345", "ABC", "ABCD23450", "ABCD-2345", "ABCD0345", "%E0%B8%A3"])
def test_unknown_and_malformed_codes_are_404(client, codes, asked):
    response = client.get(f"/join/{asked}.png")
    assert (response.status_code, response.data) == (404, b"")


def test_a_code_that_expires_stops_being_served(client, codes, clock):
    clock.advance(days=181)
    assert client.get(f"/join/{codes['open']}.png").status_code == 404


def test_no_qr_when_the_bot_has_no_line_id(settings, clock, codes):
    without_id = create_app(settings.with_(line_bot_basic_id=""), clock=clock)
    assert without_id.test_client().get(f"/join/{codes['open']}.png").status_code == 404
    services(without_id).db.dispose()


# ---- settings -------------------------------------------------------------------------------------------

REAL_LINE = {"LINE_CHANNEL_SECRET": "0f1e2d3c4b5a", "LINE_CHANNEL_ACCESS_TOKEN": "abc/def="}


@pytest.mark.parametrize(("values", "says"), [
    ({"LINE_BOT_BASIC_ID": "123abcde"}, "LINE_BOT_BASIC_ID must be the bot's LINE ID with its @"),
    ({"LINE_BOT_BASIC_ID": "@ab cd"}, "LINE_BOT_BASIC_ID must be"),
    ({"LINE_BOT_BASIC_ID": "@บอท"}, "LINE_BOT_BASIC_ID must be"),
    ({"PUBLIC_BASE_URL": "bot.example.org"}, "PUBLIC_BASE_URL must be an address like https://"),
    ({"PUBLIC_BASE_URL": "https://bot.example.org/?a=1"}, "PUBLIC_BASE_URL must be an address like"),
    ({"PUBLIC_BASE_URL": "ftp://bot.example.org"}, "PUBLIC_BASE_URL must be an address like"),
    ({"PUBLIC_BASE_URL": "http://bot.example.org"}, r"PUBLIC_BASE_URL must be https:// \(LINE loads images"),
    ({**REAL_LINE, "PUBLIC_BASE_URL": "http://127.0.0.1:8000"}, "PUBLIC_BASE_URL must be https://"),
    ({**REAL_LINE, "APP_ENV": "production", "PUBLIC_BASE_URL": "http://bot.example.org"},
     r"PUBLIC_BASE_URL must be https:// in production"),
])
def test_bad_join_settings_name_what_is_wrong_in_one_line(values, says):
    with pytest.raises(ConfigError, match=says) as caught:
        from_env(**values)
    assert "\n" not in str(caught.value)


def test_join_settings_are_tidied_and_http_is_for_the_local_sandbox_only():
    settings = from_env(LINE_BOT_BASIC_ID=" @123ABCDE ", PUBLIC_BASE_URL="https://bot.example.org/line/")
    assert (settings.line_bot_basic_id, settings.public_base_url) == (BASIC_ID, "https://bot.example.org/line")
    assert from_env(PUBLIC_BASE_URL="http://127.0.0.1:8000").public_base_url == "http://127.0.0.1:8000"
    embedded = from_env().with_(channel_secret="s" * 32, channel_access_token="t", public_base_url="http://localhost:8000",
                                line_api_base_url="http://127.0.0.1:8001", line_bot_basic_id="@sandbox-bot")
    assert embedded.public_base_url == "http://localhost:8000"
    with pytest.raises(ConfigError, match="must not end with a slash"):
        Settings(public_base_url="https://bot.example.org/").validated()
    assert from_env().line_bot_basic_id == from_env().public_base_url == ""


# ---- the mentor's messages ------------------------------------------------------------------------------

def test_mentor_messages_adapt_to_what_the_bot_knows():
    everything = join_messages(CODE, BASIC_ID, "https://bot.example.org")
    assert [m.type for m in everything] == ["text", "text", "image"]
    intro, link, image = everything
    assert CODE in intro.text and "สแกน QR" in intro.text and BASIC_ID in intro.text
    assert link.text.endswith(deep_link(BASIC_ID, join_text(CODE)))
    assert image.original_content_url == image.preview_image_url == "https://bot.example.org/join/ABCD2345.png"

    [intro_only, link_only] = join_messages(CODE, BASIC_ID, "")
    assert "สแกน QR" not in intro_only.text and "line.me/R/oaMessage" in link_only.text
    [typed] = join_messages(CODE)
    assert "พิมพ์ว่า รหัสกลุ่ม ABCD2345" in typed.text and "line.me" not in typed.text


@pytest.mark.parametrize("public_base_url", ["https://bot.example.org", "http://127.0.0.1:8000"])
def test_mentor_messages_pass_the_sandbox_and_lines_spec(sandbox, public_base_url):
    mentor = sandbox.user(display_name="พี่สมชาย")
    with ApiClient(Configuration(host=sandbox.base_url, access_token=ACCESS_TOKEN)) as client:
        MessagingApi(client).push_message(PushMessageRequest(
            to=mentor.user_id, messages=join_messages(CODE, BASIC_ID, public_base_url)))
    [call] = sandbox.calls("/v2/bot/message/push")
    assert call["status"] == 200
    assert_valid_request(call)
    assert [m["type"] for m in sandbox.messages_for(mentor.user_id)] == ["text", "text", "image"]


# ---- the chat page --------------------------------------------------------------------------------------

@pytest.fixture
def bot_server(app):
    """The bot's app over HTTP on loopback, so the chat page can load the QR image from it."""
    server = BackgroundServer(app, "127.0.0.1", 0).start()
    yield server.base_url
    server.stop()


@pytest.mark.browser
def test_chat_page_shows_the_qr_and_a_tapped_link_types_the_join_text(browser, sandbox, app, codes,  # noqa: F811
                                                                      bot_server):
    youth, mentor, _ = sandbox.preset_users()
    messages = join_messages(codes["open"], sandbox.basic_id, bot_server)
    with ApiClient(Configuration(host=sandbox.base_url, access_token=ACCESS_TOKEN)) as client:
        line = MessagingApi(client)
        line.push_message(PushMessageRequest(to=mentor.user_id, messages=messages))
        line.push_message(PushMessageRequest(to=youth.user_id, messages=[messages[1]]))  # forwarded
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(sandbox.chat_url)

    page.locator("#user-list button", has_text="พี่สมชาย").click()
    page.wait_for_function("() => { const img = document.querySelector('.entry.bot img');"
                           " return img && img.complete && img.naturalWidth > 0; }")
    assert page.locator(".entry.bot img").evaluate("img => img.naturalWidth") >= 800

    page.locator("#user-list button", has_text="น้องฟ้า").click()
    page.locator(".entry.bot a.text-link").click()
    assert page.locator("#text-input").input_value() == join_text(codes["open"])
    assert len(page.context.pages) == 1  # no browser tab opened: the link went to the chat
    page.locator("#text-input").press("Enter")
    page.locator(".entry.user .bubble", has_text=join_text(codes["open"])).wait_for()
    said = [e.message for e in sandbox.directory.get(youth.user_id).transcript if e.sender == "user"]
    assert said[-1]["text"] == join_text(codes["open"])
    page.close()


@pytest.mark.browser
def test_chat_page_opens_a_button_link_too_but_not_a_link_for_another_account(browser, sandbox):  # noqa: F811
    youth = sandbox.preset_users()[0]
    ours, other = deep_link(sandbox.basic_id, join_text(CODE)), deep_link("@someone-else", join_text(CODE))
    button = {"type": "template", "altText": "เข้ากลุ่ม", "template": {
        "type": "buttons", "text": "เข้ากลุ่มของพี่สมชาย", "actions": [{"type": "uri", "label": "เข้ากลุ่ม", "uri": ours}]}}
    with ApiClient(Configuration(host=sandbox.base_url, access_token=ACCESS_TOKEN)) as client:
        MessagingApi(client).push_message(PushMessageRequest.from_dict({"to": youth.user_id, "messages": [
            button, {"type": "text", "text": f"ลองลิงก์นี้ {other} นะ"}]}))
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(sandbox.chat_url)
    page.locator("#user-list button", has_text="น้องฟ้า").click()
    page.locator(".template-card a.template-action", has_text="เข้ากลุ่ม").click()
    assert page.locator("#text-input").input_value() == join_text(CODE)

    page.locator("#text-input").fill("")
    link = page.locator(".entry.bot a.text-link")
    assert link.inner_text() == other and link.get_attribute("href") == other
    link.click()
    page.locator("#banner", has_text="@someone-else").wait_for()
    assert page.locator("#text-input").input_value() == "" and len(page.context.pages) == 1
    page.close()
