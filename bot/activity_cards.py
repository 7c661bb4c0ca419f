"""What youth see of an activity: the invitation card (date in Thai with the Buddhist-era year, time in
Bangkok, place with a map link, seats left, and join / maybe / can't), the reminders (the day-before one
asks "still coming?"; the others carry the check-in button), and the notices of a change, a cancellation,
a seat freed from the waiting list and confirmed hours.

Cards are built as LINE JSON (`*_json`: the reminder job builds thousands) and wrapped as SDK messages,
which checks them against LINE's models. Buttons carry the activity id in token-less postback data
(`ac.ans` v=going|maybe|no, `ac.ok`, `ac.here`, `ac.map`); every tap is checked again by bot/activities.
"""

from __future__ import annotations

import datetime as dt

from linebot.v3.messaging import FlexMessage, LocationMessage, Message

from bot import postback, replies
from bot.config import Settings
from bot.thai import thai_date
from models import Activity, Answer

DESCRIPTION_ON_CARD = 300
CONFIRM_FROM_MINUTES = 12 * 60  # a reminder this long before the start asks "still coming?"
GREEN, GREY, BLUE, RED = "#2E7D32", "#EEEEEE", "#1F5FA8", "#B71C1C"
ANSWER_LABELS = {Answer.GOING: "ไปด้วย", Answer.MAYBE: "อาจจะไป", Answer.NO: "ไปไม่ได้", Answer.WAITLIST: "รอคิว"}
JOIN_FULL = "ต่อคิวรอ"
STILL_COMING, CANNOT_COME, IM_HERE, SHOW_MAP = "ยังไปแน่นอน", "ไปไม่ได้แล้ว", "ฉันมาถึงแล้ว", "ดูแผนที่"


def map_url(activity: Activity) -> str | None:
    """Google Maps at the activity's location (None without one)."""
    if activity.latitude is None or activity.longitude is None:
        return None
    return f"https://www.google.com/maps/search/?api=1&query={activity.latitude:.6f},{activity.longitude:.6f}"


def when_text(activity: Activity, tz: dt.tzinfo) -> str:
    """"วันเสาร์ 5 ธ.ค. 2569 · 09:00-12:00 น." (an end on a later day shows its date too)."""
    start, end = activity.starts_at.astimezone(tz), activity.ends_at.astimezone(tz)
    day = f"{_weekday(start)} {thai_date(start, tz)}"
    if end.date() == start.date():
        return f"{day} · {start:%H:%M}-{end:%H:%M} น."
    return f"{day} {start:%H:%M} น. ถึง {thai_date(end, tz)} {end:%H:%M} น."


def _weekday(local: dt.datetime) -> str:
    return ("วันจันทร์", "วันอังคาร", "วันพุธ", "วันพฤหัสบดี", "วันศุกร์", "วันเสาร์", "วันอาทิตย์")[local.weekday()]


def seats_text(activity: Activity, going: int | None) -> str | None:
    if activity.capacity is None:
        return None if going is None else f"ไม่จำกัดจำนวน · ไปแล้ว {going} คน"
    if going is None:
        return f"รับ {activity.capacity} คน"
    left = activity.capacity - going
    return f"เต็มแล้ว ({activity.capacity} คน) · ต่อคิวรอได้" if left <= 0 else \
        f"รับ {activity.capacity} คน · เหลือ {left} ที่"


def invite_json(activity: Activity, settings: Settings, counts=None) -> dict:
    """The invitation card as LINE JSON; `counts` (bot.activities.Counts) shows the seats left."""
    going = counts.going if counts is not None else None
    full = activity.capacity is not None and going is not None and going >= activity.capacity
    rows = _detail_rows(activity, settings, seats_text(activity, going))
    if activity.description:
        text = activity.description
        excerpt = text if len(text) <= DESCRIPTION_ON_CARD else text[:DESCRIPTION_ON_CARD].rstrip() + "…"
        rows += [{"type": "separator"}, {"type": "text", "text": excerpt, "size": "sm", "wrap": True}]
    buttons = [_postback_button(JOIN_FULL if full else ANSWER_LABELS[Answer.GOING], "ac.ans", activity,
                                primary=True, v=Answer.GOING),
               _postback_button(ANSWER_LABELS[Answer.MAYBE], "ac.ans", activity, v=Answer.MAYBE),
               _postback_button(ANSWER_LABELS[Answer.NO], "ac.ans", activity, v=Answer.NO)]
    if map_url(activity):
        buttons.append(_postback_button(SHOW_MAP, "ac.map", activity))
    return _bubble(f"📅 ชวนร่วมกิจกรรม: {activity.title}", "ชวนร่วมกิจกรรม", activity.title, BLUE, rows, buttons)


def invite_card(activity: Activity, settings: Settings, counts=None) -> FlexMessage:
    """The invitation as a Flex message (join / maybe / can't; "ต่อคิวรอ" when full)."""
    return FlexMessage.from_dict(invite_json(activity, settings, counts))


def time_left_text(minutes: int) -> str:
    """"อีก 1 วัน", "อีก 2 ชั่วโมง", "อีก 30 นาที" (rounded to whole days from 20 hours, whole hours from one)."""
    if minutes >= 20 * 60:
        return f"อีก {max(1, round(minutes / 1440))} วัน"
    if minutes >= 60:
        return f"อีก {round(minutes / 60)} ชั่วโมง"
    return f"อีก {max(1, minutes)} นาที"


def reminder_json(activity: Activity, minutes_before: int, settings: Settings, ask_confirm: bool) -> list[dict]:
    """The reminder as LINE JSON: the day-before one asks to confirm or cancel, the others offer check-in."""
    headline = f"⏰ {time_left_text(minutes_before)} ถึงกิจกรรม"
    rows = _detail_rows(activity, settings, None)
    if ask_confirm:
        rows.append(_note("ยังไปได้ไหม กดยืนยันหรือแจ้งว่าไปไม่ได้ เพื่อให้พี่เลี้ยงเตรียมงานได้ถูกนะ"))
        buttons = [_postback_button(STILL_COMING, "ac.ok", activity, primary=True),
                   _postback_button(CANNOT_COME, "ac.ans", activity, v=Answer.NO)]
    else:
        rows.append(_note("ไปถึงแล้วกด “ฉันมาถึงแล้ว” เพื่อเช็กอิน (เช็กอินได้ตั้งแต่ 30 นาทีก่อนเริ่ม) "
                          "ชั่วโมงจิตอาสาจะนับเมื่อพี่เลี้ยงยืนยัน"))
        buttons = [_postback_button(IM_HERE, "ac.here", activity, primary=True)]
    return [_bubble(f"{headline}: {activity.title}", headline, activity.title, GREEN, rows, buttons)]


def reminder_messages(activity: Activity, minutes_before: int, settings: Settings,
                      ask_confirm: bool) -> list[Message]:
    """The reminder `minutes_before` the start (see `reminder_json`)."""
    return [FlexMessage.from_dict(message) for message in reminder_json(activity, minutes_before, settings,
                                                                          ask_confirm)]


def pin(activity: Activity) -> LocationMessage:
    """The activity's location as a LINE map pin (the activity must have one)."""
    return LocationMessage(title=activity.title[:100], address=activity.place_text[:100],
                           latitude=activity.latitude, longitude=activity.longitude)


def change_notice(activity: Activity, settings: Settings, what: list[str]) -> list[Message]:
    """A change of time or place: what changed, then the activity as it is now."""
    changed = " และ".join(what) if what else "รายละเอียด"
    headline = f"📢 เปลี่ยน{changed}"
    rows = _detail_rows(activity, settings, None)
    rows.append(_note("เวลาเตือนเลื่อนตามให้แล้ว ถ้าไปไม่ได้แล้ว กดแจ้งได้เลยนะ"))
    buttons = [_postback_button(STILL_COMING, "ac.ok", activity, primary=True),
               _postback_button(CANNOT_COME, "ac.ans", activity, v=Answer.NO)]
    return [FlexMessage.from_dict(_bubble(f"{headline}: {activity.title}", headline, activity.title, BLUE, rows,
                                          buttons))]


def cancel_notice(activity: Activity, settings: Settings) -> list[Message]:
    when = when_text(activity, settings.tz)
    return [replies.text(f"❌ ยกเลิกกิจกรรม “{activity.title}” ({when}) แล้วค่ะ "
                         "ไม่ต้องไปนะ ขอบคุณที่ตั้งใจจะมาร่วมค่ะ")]


def promoted_notice(activity: Activity, settings: Settings) -> list[Message]:
    """A seat came free and the person moved up from the waiting list."""
    headline = "🎉 ได้ที่แล้ว"
    rows = _detail_rows(activity, settings, None)
    rows.append(_note("มีที่ว่าง น้องจึงได้เลื่อนจากคิวรอเป็น “ไปด้วย” แล้ว ถ้าไปไม่ได้ กดแจ้งนะ"))
    buttons = [_postback_button(CANNOT_COME, "ac.ans", activity, v=Answer.NO)]
    return [FlexMessage.from_dict(_bubble(f"{headline}: {activity.title}", headline, activity.title, GREEN, rows,
                                          buttons))]


def hours_text(minutes: int) -> str:
    """"3 ชั่วโมง 30 นาที", "45 นาที", "2 ชั่วโมง"."""
    hours, rest = divmod(int(minutes), 60)
    parts = ([f"{hours} ชั่วโมง"] if hours else []) + ([f"{rest} นาที"] if rest or not hours else [])
    return " ".join(parts)


def hours_notice(activity: Activity, minutes: int, settings: Settings) -> list[Message]:
    return [replies.text(f"✅ พี่เลี้ยงยืนยันแล้ว: กิจกรรม “{activity.title}” ({thai_date(activity.starts_at, settings.tz)}) "
                         f"ได้ชั่วโมงจิตอาสา {hours_text(minutes)} ดูสรุปได้ที่ “บันทึกของฉัน” ค่ะ")]


def _detail_rows(activity: Activity, settings: Settings, seats: str | None) -> list[dict]:
    rows = [_field("วันเวลา", when_text(activity, settings.tz)), _place_field(activity)]
    if seats:
        rows.append(_field("จำนวน", seats))
    return rows


def _place_field(activity: Activity) -> dict:
    place = _field("สถานที่", activity.place_text)
    url = map_url(activity)
    if url is None:
        return place
    link = {"type": "text", "text": "เปิดแผนที่", "size": "sm", "color": BLUE, "decoration": "underline",
            "action": {"type": "uri", "label": SHOW_MAP, "uri": url}}
    return {"type": "box", "layout": "vertical", "spacing": "xs", "contents": [place, link]}


def _bubble(alt: str, headline: str, title: str, colour: str, rows: list[dict], buttons: list[dict]) -> dict:
    bubble = {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "backgroundColor": colour, "contents": [
            {"type": "text", "text": headline, "color": "#FFFFFF", "size": "sm", "weight": "bold", "wrap": True}]},
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": [
            {"type": "text", "text": title, "weight": "bold", "size": "lg", "wrap": True}, *rows]},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons},
    }
    return {"type": "flex", "altText": alt[:400], "contents": bubble}


def _field(name: str, value: str) -> dict:
    return {"type": "box", "layout": "baseline", "spacing": "sm", "contents": [
        {"type": "text", "text": name, "size": "sm", "color": "#777777", "flex": 2},
        {"type": "text", "text": value or "-", "size": "sm", "wrap": True, "flex": 5}]}


def _note(text: str) -> dict:
    return {"type": "text", "text": text, "size": "xs", "color": "#555555", "wrap": True}


def _postback_button(label: str, action: str, activity: Activity, primary: bool = False, **params) -> dict:
    data = postback.encode(action, id=activity.id, **params)
    return {"type": "button", "style": "primary" if primary else "secondary", "height": "sm",
            "color": GREEN if primary else GREY,
            "action": {"type": "postback", "label": label, "data": data, "displayText": label}}
