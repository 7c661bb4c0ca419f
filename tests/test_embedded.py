"""`uv run app.py` with no LINE credentials: one process with the bot, its worker and the sandbox; a follow
from the sandbox's simulated user comes back as a Thai greeting (in the call log and the chat feed)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.polling import wait_for, wait_until

ROOT = Path(__file__).resolve().parent.parent


def free_port_pair() -> int:
    """A port p such that p and p + 1 (the sandbox's) are both free now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as neighbour:
            try:
                neighbour.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


def http_json(method: str, url: str, payload: dict | None = None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())



def start_embedded(tmp_path, port: int):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_URL"))}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}", PYTHONUNBUFFERED="1")
    errors = tmp_path / f"stderr-{port}.log"  # the JSON log: apart, so it never splits a printed line
    with open(errors, "w") as log:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=log, text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "web console for coordinators" in line:  # the last line it prints
            break
    else:  # it stopped before printing everything: its error shows in the assertion
        process.wait(timeout=10)
        lines += errors.read_text().splitlines()
    return process, lines


@pytest.fixture
def embedded_bot(tmp_path):
    for _attempt in range(3):  # another process on this shared machine may take the free port first
        process, lines = start_embedded(tmp_path, port := free_port_pair())
        if not any("in use" in line for line in lines):
            break
        process.wait(timeout=10)
    try:
        assert any("chat with the bot at" in line for line in lines), lines
        yield port, lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_embedded_default_greets_a_follow_from_the_sandbox(embedded_bot):
    port, lines = embedded_bot
    sandbox = f"http://127.0.0.1:{port + 1}"
    assert any(f"chat with the bot at http://127.0.0.1:{port + 1}/" in line for line in lines)
    user = http_json("POST", f"{sandbox}/sandbox/users", {"displayName": "น้องฟ้า"})
    answer = http_json("POST", f"{sandbox}/sandbox/users/{user['userId']}/follow", {})
    assert answer["status"] == 200

    messages = wait_for(lambda: http_json("GET", f"{sandbox}/sandbox/users/{user['userId']}/messages"))
    assert "ยินดีต้อนรับ" in messages[0]["text"]
    calls = http_json("GET", f"{sandbox}/sandbox/calls")
    assert [call["status"] for call in calls if call["path"] == "/v2/bot/message/reply"] == [200]
    feed = http_json("GET", f"{sandbox}/sandbox/chat/{user['userId']}")
    assert "ยินดีต้อนรับ" in json.dumps(feed, ensure_ascii=False)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert json.loads(response.read())["status"] == "ok"


def test_embedded_demo_prints_codes_that_make_a_mentor_with_a_qr_code(embedded_bot):
    port, lines = embedded_bot
    sandbox = f"http://127.0.0.1:{port + 1}"
    code = next(line.rsplit(" ", 1)[1].strip() for line in lines if "mentor of Bangkok" in line)
    mentor = http_json("POST", f"{sandbox}/sandbox/users", {"displayName": "พี่สมชาย"})
    messages_url = f"{sandbox}/sandbox/users/{mentor['userId']}/messages"
    for text, expected in ((code, "พี่เลี้ยง อพม. จังหวัดกรุงเทพมหานคร"), ("สมชาย", "บันทึกแล้ว")):
        http_json("POST", f"{sandbox}/sandbox/users/{mentor['userId']}/text", {"text": text})
        wait_for(lambda expected=expected: expected in json.dumps(http_json("GET", messages_url), ensure_ascii=False))
    http_json("POST", f"{sandbox}/sandbox/users/{mentor['userId']}/text", {"text": "รหัสกลุ่ม"})
    image = wait_for(lambda: next((m for m in http_json("GET", messages_url) if m["type"] == "image"), None))
    assert image["originalContentUrl"].startswith(f"http://127.0.0.1:{port}/join/")
    with urllib.request.urlopen(image["originalContentUrl"], timeout=5) as response:
        assert response.headers["Content-Type"] == "image/png" and response.read(8) == b"\x89PNG\r\n\x1a\n"


def test_embedded_demo_prints_a_console_link_for_its_admin_that_works_once(embedded_bot):
    import http.cookiejar

    port, lines = embedded_bot
    link = next(line.rsplit(" ", 1)[1].strip() for line in lines if "web console for coordinators" in line)
    assert link.startswith(f"http://127.0.0.1:{port}/console/link/")
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(link, timeout=10) as page:
        assert page.url.endswith("/console/dashboard") and "ภาพรวม · ทั่วประเทศ" in page.read().decode()
    with browser.open(f"http://127.0.0.1:{port}/console/audit", timeout=10) as page:
        assert "console.signed_in" in page.read().decode(), "the admin sees the audit log"
    with pytest.raises(urllib.error.HTTPError) as used:
        urllib.request.urlopen(link, timeout=10)
    assert used.value.code == 403, "the printed link works once"


def test_embedded_demo_sends_a_campaign_composed_in_the_chat_to_another_user(embedded_bot):
    """The demo's coordinator composes a campaign for the province's mentors and a mentor receives it (the
    embedded scheduler dispatches it within its 30-second tick)."""
    port, lines = embedded_bot
    sandbox = f"http://127.0.0.1:{port + 1}"

    def inbox(user: str) -> list[dict]:
        return http_json("GET", f"{sandbox}/sandbox/users/{user}/messages")

    def say(user: str, text: str, expect: str) -> None:
        """Send and wait for an answer that contains `expect` (fails the test, saying so, if it never comes)."""
        seen = len(inbox(user))
        http_json("POST", f"{sandbox}/sandbox/users/{user}/text", {"text": text})
        wait_until(lambda: expect in json.dumps(inbox(user)[seen:], ensure_ascii=False), 60,
                   f"the answer to {text!r} containing {expect!r}")

    def person(name: str, code_line: str) -> str:
        code = next(line.rsplit(" ", 1)[1].strip() for line in lines if code_line in line)
        user = http_json("POST", f"{sandbox}/sandbox/users", {"displayName": name})["userId"]
        say(user, code, "ชื่อ")
        say(user, name, "บันทึกแล้ว")
        return user

    mentor = person("สมชาย", "mentor of Bangkok")
    coordinator = person("วิภา", "coordinator of Bangkok")
    for text, expect in (("ส่งข่าว", "ขั้นที่ 1"), ("ชวนทำความดีวันเสาร์", "ขั้นที่ 2"),
                         ("เสาร์นี้มาช่วยกันเก็บขยะริมคลองนะ", "ขั้นที่ 3"), ("ไม่มีลิงก์", "ขั้นที่ 4"),
                         ("ไม่มีรูป", "ขั้นที่ 5"), ("ไม่ระบุแท็ก", "ขั้นที่ 6"), ("พี่เลี้ยง ในจังหวัด", "ขั้นสุดท้าย"),
                         ("ส่งเลย", "ตัวอย่าง")):
        say(coordinator, text, expect)
    wait_until(lambda: "quickReply" in inbox(coordinator)[-1], 30, "the preview's last message with its chips")
    confirm = next(item["action"] for item in inbox(coordinator)[-1]["quickReply"]["items"]
                   if item["action"]["label"] == "ยืนยันส่ง")
    http_json("POST", f"{sandbox}/sandbox/users/{coordinator}/postback", {"data": confirm["data"]})
    card = wait_for(lambda: [m for m in inbox(mentor) if m["type"] == "flex" and "ทำความดี" in m["altText"]],
                    timeout=60)
    assert card, "the campaign reached the mentor"


def test_embedded_demo_a_mentor_creates_an_activity_and_the_youth_gets_its_card_and_a_reminder(embedded_bot):
    """In the real `app.py` process: the printed mentor code makes a mentor, a youth joins the group with its
    code, the mentor creates an activity an hour from now with the picker, the youth gets the card, joins, and
    the embedded scheduler sends the reminder that is still useful (two hours before has passed: sent at once)."""
    import datetime as dt
    import zoneinfo

    port, lines = embedded_bot
    sandbox = f"http://127.0.0.1:{port + 1}"

    def inbox(user: str) -> list[dict]:
        return http_json("GET", f"{sandbox}/sandbox/users/{user}/messages")

    def seen(user: str, expect: str, since: int, what: str, timeout: float = 60) -> None:
        wait_until(lambda: expect in json.dumps(inbox(user)[since:], ensure_ascii=False), timeout, what)

    def act(user: str, action: str, payload: dict, expect: str) -> None:
        since = len(inbox(user))
        http_json("POST", f"{sandbox}/sandbox/users/{user}/{action}", payload)
        seen(user, expect, since, f"the answer to {payload} containing {expect!r}")

    def tap(user: str, label: str, expect: str, params: dict | None = None) -> None:
        """Tap the quick reply or button labelled `label` in the user's latest messages."""
        found = wait_for(lambda: _action_labelled(inbox(user)[-3:], label), timeout=30)
        assert found, f"no {label!r} to tap"
        if found["type"] == "message":
            act(user, "text", {"text": found["text"]}, expect)
        else:
            act(user, "postback", {"data": found["data"], "params": params or {}}, expect)

    mentor = http_json("POST", f"{sandbox}/sandbox/users", {"displayName": "สมชาย"})["userId"]
    code = next(line.rsplit(" ", 1)[1].strip() for line in lines if "mentor of Bangkok" in line)
    act(mentor, "text", {"text": code}, "ชื่อ")
    act(mentor, "text", {"text": "สมชาย"}, "บันทึกแล้ว")
    act(mentor, "text", {"text": "รหัสกลุ่ม"}, "รหัส")
    group_code = next(re.search(r"\b([A-HJ-NP-Z2-9]{8})\b", m.get("text", "")).group(1) for m in reversed(
        inbox(mentor)) if m["type"] == "text" and re.search(r"\b([A-HJ-NP-Z2-9]{8})\b", m.get("text", "")))
    youth = http_json("POST", f"{sandbox}/sandbox/users", {"displayName": "น้องฟ้า"})["userId"]
    act(youth, "follow", {}, "อายุ")
    act(youth, "text", {"text": "19"}, "ยินยอม")  # an adult: a minor's card would wait out the quiet hours
    tap(youth, "ยินยอม", "ชื่อเล่น")
    act(youth, "text", {"text": "ฟ้า"}, "จังหวัด")
    act(youth, "text", {"text": "กรุงเทพมหานคร"}, "ชุมชน")
    act(youth, "text", {"text": "ชุมชนริมคลอง"}, "โรงเรียน")
    tap(youth, "ข้าม", "รหัส")
    act(youth, "text", {"text": group_code}, "ตรวจข้อมูล")
    tap(youth, "ยืนยัน", "ยินดีต้อนรับ")

    start = (dt.datetime.now(zoneinfo.ZoneInfo("Asia/Bangkok")) + dt.timedelta(hours=1)).replace(second=0,
                                                                                                  microsecond=0)
    act(mentor, "text", {"text": "สร้างกิจกรรม"}, "ชื่อกิจกรรม")
    act(mentor, "text", {"text": "เก็บขยะริมคลอง"}, "รายละเอียด")
    tap(mentor, "ไม่มีรายละเอียด", "สถานที่")
    act(mentor, "text", {"text": "ศาลาประชาคม"}, "ปักหมุด")
    tap(mentor, "ไม่ปักหมุด", "เริ่ม")
    tap(mentor, "เลือกวันเวลาเริ่ม", "เลิกกี่โมง", {"datetime": start.strftime("%Y-%m-%dT%H:%M")})
    act(mentor, "text", {"text": (start + dt.timedelta(hours=2)).strftime("%H:%M")}, "รับได้กี่คน")
    tap(mentor, "ไม่จำกัด", "ซ้ำ")
    tap(mentor, "ไม่ซ้ำ", "เตือน")
    tap(mentor, "1 วัน และ 2 ชม. ก่อน", "ยืนยันสร้างกิจกรรม")
    since = len(inbox(youth))
    tap(mentor, "ยืนยันสร้างกิจกรรม", "ส่งคำเชิญ")
    seen(youth, "ชวนร่วมกิจกรรม", since, "the invitation card at the youth")
    since = len(inbox(youth))
    tap(youth, "ไปด้วย", "ลงชื่อไป")
    seen(youth, "⏰", since, "the reminder from the embedded scheduler (its job runs every 20 s)")


def _action_labelled(messages: list[dict], label: str) -> dict | None:
    """The action (message, postback or date-time picker) with this label in quick replies or Flex buttons."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            action = node.get("action")
            if isinstance(action, dict) and action.get("label") == label and ("data" in action or "text" in action):
                found.append(action)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(messages)
    return found[-1] if found else None
