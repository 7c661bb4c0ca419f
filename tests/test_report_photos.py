"""A report's photos from the youth's phone to the mentor's chat: fetched from LINE in the background,
shown to the mentor through expiring links served by the bot, and a failed download said plainly."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.config import Settings
from bot.services import services
from tests.chat import texts
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET
from tests.test_reports import team  # noqa: F401 (fixture)


@pytest.fixture
def settings(db, sandbox, tmp_path) -> Settings:
    return Settings(channel_secret=CHANNEL_SECRET, channel_access_token=ACCESS_TOKEN,
                    line_api_base_url=sandbox.base_url, database_url=db.url, environment="test",
                    public_base_url="http://127.0.0.1:8000", media_dir=str(tmp_path / "media")).validated()


def png(colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_mentor_sees_the_photos_and_hears_which_could_not_be_fetched(app, client, team, tmp_path):  # noqa: F811
    youth, mentor = team["youth"], team["mentor"]
    youth.say("แจ้งปัญหา")
    youth.tap("ไม่ใช่ตอนนี้")
    youth.say("มีเด็กมานั่งขอทานที่ตลาดทุกวัน")
    youth.tap("ขอทาน")
    youth.say("ตลาดสด")
    answers = youth.act(lambda person: person.send_images([png(), b"not a picture at all"]))
    assert len(answers) == 1 and "ได้รับ 2 รูปแล้ว" in texts(answers)
    youth.tap("ส่งรูปครบแล้ว")
    youth.tap("ไม่สะดวก")
    youth.tap("ยืนยันส่งเรื่อง")
    assert services(app).photo_fetcher().run_until_idle() == 2

    mentor.inbox()
    shown = mentor.tap("รูป แผนที่ และประวัติ")
    assert "2 รูป" in texts(shown) and "ไม่สำเร็จ 1 รูป" in texts(shown)
    images = [m for m in shown if m["type"] == "image"]
    assert len(images) == 1
    url = images[0]["originalContentUrl"]
    assert url.startswith("http://127.0.0.1:8000/media/photos/")
    served = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(served.data)).size == (400, 300)
    assert not list((tmp_path / "media").glob("*.png")), "only re-encoded JPEGs are kept"
    assert client.get("/media/photos/forged-token.jpg").status_code == 404


def test_a_photo_outside_a_report_gets_a_pointer_to_the_report_flow(team):  # noqa: F811
    answer = texts(team["youth"].act(lambda person: person.send_image(png())))
    assert "แจ้งปัญหา" in answer
