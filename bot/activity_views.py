"""Flex views of activities that only the LINE handlers show: a youth's upcoming activities with one-tap
changes of answer, a mentor's activities to manage (counts and buttons), the attendance list, and a youth's
volunteer record. The invite card, reminders and notices are bot/activity_cards.py (the domain's).

```mermaid
flowchart LR
  mine["กิจกรรมของฉัน"] --> my_carousel[one bubble per activity: my answer + change buttons]
  manage["กิจกรรมของกลุ่ม"] --> manage_carousel[upcoming: counts + time/place/cancel/who · recent: attendance + hours]
  attendance[เช็กชื่อ] --> attendance_bubbles[each person: present / absent, within 50 KB]
  record["บันทึกของฉัน"] --> record_bubble[activities, hours, shares, reports, last activities]
```
Buttons carry the activity id in token-less postback data; every tap is checked again by the handlers.
"""

from __future__ import annotations

import datetime as dt
import json

from linebot.v3.messaging import FlexMessage

from bot import postback
from bot.activity_cards import ANSWER_LABELS as CARD_LABELS
from bot.activity_cards import hours_text
from bot.thai import thai_date, thai_datetime
from models import Activity, ActivityResponse, Answer, User

GREEN, BLUE, GREY, RED = "#2E7D32", "#1F5FA8", "#777777", "#B71C1C"
ANSWER_LABELS = {Answer.GOING: "ไปด้วย ✅", Answer.MAYBE: "อาจจะไป 🤔", Answer.NO: "ไปไม่ได้ ❌",
                 Answer.WAITLIST: "ต่อคิวรอ ⏳", None: "ยังไม่ได้ตอบ"}
ANSWER_BUTTONS = tuple((answer, CARD_LABELS[answer]) for answer in (Answer.GOING, Answer.MAYBE, Answer.NO))
PEOPLE_PER_BUBBLE = 15
MAX_BUBBLES = 10  # LINE allows 12 bubbles in a carousel
MAX_CAROUSEL_BYTES = 48_000  # LINE allows 50 KB


def when_line(activity: Activity, tz: dt.tzinfo) -> str:
    """"25 ธ.ค. 2569 09:00 น. - 16:00 น." (the end's date too when it is another day)."""
    ends = activity.ends_at.astimezone(tz)
    same_day = ends.date() == activity.starts_at.astimezone(tz).date()
    end = f"{ends:%H:%M} น." if same_day else thai_datetime(activity.ends_at, tz)
    return f"{thai_datetime(activity.starts_at, tz)} - {end}"


def carousel(alt_text: str, bubbles: list[dict]) -> FlexMessage:
    """Bubbles as a carousel, the last ones left out when it would pass LINE's 12 bubbles or 50 KB."""
    return FlexMessage.from_dict({"type": "flex", "altText": alt_text[:400],
                                  "contents": {"type": "carousel", "contents": fitting(bubbles)}})


def fitting(bubbles: list[dict]) -> list[dict]:
    """The first bubbles that fit one carousel."""
    kept = bubbles[:MAX_BUBBLES]
    while len(kept) > 1 and _size({"type": "carousel", "contents": kept}) > MAX_CAROUSEL_BYTES:
        kept = kept[:-1]
    return kept


def _size(container: dict) -> int:
    return len(json.dumps(container, ensure_ascii=False, separators=(",", ":")).encode())


def _text(text: str, **style) -> dict:
    return {"type": "text", "text": text or "-", "wrap": True, "size": "sm", **style}


def _button(label: str, data: str, primary: bool = False, display: str | None = None) -> dict:
    return {"type": "button", "height": "sm", "style": "primary" if primary else "secondary",
            "color": GREEN if primary else "#EEEEEE",
            "action": {"type": "postback", "label": label[:40], "data": data, "displayText": (display or label)[:300]}}


def _picker_button(label: str, data: str, initial: dt.datetime, earliest: dt.datetime, latest: dt.datetime,
                   tz: dt.tzinfo) -> dict:
    """A Flex button opening LINE's date-time picker (Bangkok time), opened at `initial` when it is allowed."""
    fmt = "%Y-%m-%dT%H:%M"
    low, high = earliest.astimezone(tz).strftime(fmt), latest.astimezone(tz).strftime(fmt)
    start = min(max(initial, earliest), latest).astimezone(tz).strftime(fmt)
    return {"type": "button", "height": "sm", "style": "secondary", "color": "#EEEEEE",
            "action": {"type": "datetimepicker", "label": label[:40], "data": data, "mode": "datetime",
                       "initial": start, "min": low, "max": high}}


def _bubble(title: str, lines: list[dict], buttons: list[dict], colour: str = BLUE) -> dict:
    bubble = {"type": "bubble", "size": "kilo",
              "header": {"type": "box", "layout": "vertical", "backgroundColor": colour, "contents": [
                  {"type": "text", "text": title[:100], "weight": "bold", "color": "#FFFFFF", "wrap": True}]},
              "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": lines}}
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}
    return bubble


# -- youth ----------------------------------------------------------------------------------------------
def my_activity_bubble(activity: Activity, response: ActivityResponse | None, tz: dt.tzinfo) -> dict:
    """One upcoming activity: when, where, my answer, and buttons for the other answers."""
    answer = response.answer if response else None
    lines = [_text(f"🗓 {when_line(activity, tz)}"), _text(f"📍 {activity.place_text}"),
             _text(f"คำตอบของฉัน: {ANSWER_LABELS.get(answer, answer)}", weight="bold", color=GREEN)]
    buttons = [_button(label, postback.encode("ac.ans", id=activity.id, v=value), display=f"{label}: {activity.title}")
               for value, label in ANSWER_BUTTONS
               if value != answer and not (value == Answer.GOING and answer == Answer.WAITLIST)]
    if answer in Answer.REMINDED:
        buttons.append(_button("เวลาเตือนกิจกรรมนี้", postback.encode("ac.remind", id=activity.id)))
    if activity.latitude is not None and activity.longitude is not None:
        buttons.append(_button("ดูแผนที่", postback.encode("ac.map", id=activity.id)))
    return _bubble(activity.title, lines, buttons)


def my_activities(items: list[tuple[Activity, ActivityResponse | None]], tz: dt.tzinfo) -> FlexMessage:
    return carousel(f"กิจกรรมของฉัน {len(items)} กิจกรรม",
                    [my_activity_bubble(activity, response, tz) for activity, response in items])


def record_bubble(nickname: str | None, attended: int, minutes: int, shares: int, reports: int,
                  last: list[tuple[str, dt.datetime, int]], tz: dt.tzinfo) -> FlexMessage:
    """The volunteer record: totals, then the last activities attended (title, date, hours)."""
    lines = [_text(f"ร่วมกิจกรรม {attended:,} ครั้ง · {hours_text(minutes)}", weight="bold", size="md"),
             _text(f"บอกต่อข่าวและแคมเปญ {shares:,} เรื่อง"), _text(f"แจ้งปัญหาในชุมชน {reports:,} เรื่อง")]
    if last:
        lines.append({"type": "separator", "margin": "md"})
        lines.append(_text("กิจกรรมล่าสุด", weight="bold", color=GREY))
        lines += [_text(f"• {title} ({thai_date(when, tz)}) {hours_text(credited)}") for title, when, credited in last]
    bubble = _bubble(f"บันทึกอาสาของน้อง{nickname or ''} 🌱", lines, [], GREEN)
    return FlexMessage.from_dict({"type": "flex", "altText": f"บันทึกอาสา: {attended} กิจกรรม {hours_text(minutes)}",
                                  "contents": bubble})


# -- mentors and coordinators ---------------------------------------------------------------------------
def counts_line(counts, invited: int, capacity: int | None) -> str:
    seats = f" · รับ {capacity:,} คน" if capacity else ""
    line = f"ไป {counts.going:,} · อาจจะ {counts.maybe:,} · ไม่ไป {counts.no:,}"
    if counts.waitlist:
        line += f" · คิวรอ {counts.waitlist:,}"
    return f"{line}\nชวน {invited:,} คน{seats}"


def upcoming_bubble(activity: Activity, counts, now: dt.datetime, tz: dt.tzinfo) -> dict:
    """An upcoming activity for its manager: counts and change time / change place / who / cancel."""
    ident = {"id": activity.id}
    lines = [_text(f"🗓 {when_line(activity, tz)}"), _text(f"📍 {activity.place_text}"),
             _text(counts_line(counts, activity.invited_count, activity.capacity), weight="bold")]
    buttons = [_button("ใครตอบรับบ้าง", postback.encode("ac.who", **ident), primary=True),
               _picker_button("เปลี่ยนเวลาเริ่ม", postback.encode("ac.mv", **ident), activity.starts_at,
                              now + dt.timedelta(minutes=5), now + dt.timedelta(days=365), tz),
               _button("เปลี่ยนสถานที่", postback.encode("ac.place", **ident)),
               _button("ยกเลิกกิจกรรม", postback.encode("ac.cx", **ident))]
    if activity.starts_at - dt.timedelta(minutes=30) <= now:
        buttons.insert(1, _button("เช็กชื่อ", postback.encode("ac.att", **ident)))
    return _bubble(activity.title, lines, buttons)


def recent_bubble(activity: Activity, counts, present: int, tz: dt.tzinfo) -> dict:
    """An activity that ended lately: attendance and the hours button."""
    ident = {"id": activity.id}
    lines = [_text(f"🗓 {when_line(activity, tz)}"), _text(f"📍 {activity.place_text}"),
             _text(f"จบแล้ว · ไป {counts.going:,} · มาจริง {present:,} คน", weight="bold")]
    buttons = [_button("เช็กชื่อ", postback.encode("ac.att", **ident)),
               _button("ยืนยันชั่วโมง", postback.encode("ac.hours", **ident), primary=True)]
    return _bubble(f"✔ {activity.title}", lines, buttons, GREY)


def attendance(activity: Activity, rows: list[tuple[User, ActivityResponse]],
               tz: dt.tzinfo) -> tuple[FlexMessage, int]:
    """Present / absent buttons for each person, 15 to a bubble, those not yet seen there first; returns the
    carousel and how many people it shows (a very large activity shows the first that fit)."""
    rows = sorted(rows, key=lambda row: row[1].checked_in_at is not None or row[1].attended is not None)
    chunks = [rows[first:first + PEOPLE_PER_BUBBLE] for first in range(0, len(rows), PEOPLE_PER_BUBBLE)] or [[]]
    bubbles = []
    for chunk in chunks:
        lines = [_text(when_line(activity, tz), color=GREY)]
        lines += [_person_row(activity, user, response) for user, response in chunk] or [_text("ยังไม่มีใครตอบรับ")]
        bubbles.append(_bubble(f"เช็กชื่อ: {activity.title}", lines, []))
    kept = fitting(bubbles)
    shown = sum(len(chunk) for chunk in chunks[:len(kept)])
    return carousel(f"เช็กชื่อ {activity.title}", kept), shown


def _person_row(activity: Activity, user: User, response: ActivityResponse) -> dict:
    state = "มาแล้ว ✅" if response.checked_in_at or response.attended else \
        "ไม่มา" if response.attended is False else ANSWER_LABELS.get(response.answer, "")
    name = f"{user.nickname or '-'}"
    mark = {"id": activity.id, "u": user.id}
    return {"type": "box", "layout": "horizontal", "spacing": "sm", "margin": "md", "contents": [
        {"type": "text", "text": f"{name}\n{state}", "wrap": True, "size": "sm", "flex": 4, "gravity": "center"},
        {"type": "button", "height": "sm", "style": "primary", "color": GREEN, "flex": 3, "action": {
            "type": "postback", "label": "มา", "data": postback.encode("ac.mark", **mark, v=1),
            "displayText": f"{name} มา"}},
        {"type": "button", "height": "sm", "style": "secondary", "color": "#EEEEEE", "flex": 3, "action": {
            "type": "postback", "label": "ไม่มา", "data": postback.encode("ac.mark", **mark, v=0),
            "displayText": f"{name} ไม่มา"}}]}
