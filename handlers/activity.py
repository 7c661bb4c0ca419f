"""Creating an activity in LINE: a mentor or coordinator answers one question at a time, sees the invite card
exactly as youth will, with how many will be invited, and confirms. All Thai text of the creator's side.

```mermaid
flowchart LR
  start[สร้างกิจกรรม] --> title --> description[description or skip] --> place[place text or location pin]
  place -->|typed| pin[pin or skip] --> starts[start: picker or typed]
  place -->|location| starts --> ends[end: picker or typed time] --> audience[mentor: own group / coordinator: area]
  audience --> capacity --> repeat --> reminders --> preview[the invite card + invited count] --> confirm
```
The preview and the confirm are handlers/activity_preview.py; managing activities afterwards is
handlers/activity_manage.py; what youth do is handlers/activity_youth.py.
"""

from __future__ import annotations

import datetime as dt

from bot import activities, people, postback, replies
from bot.campaign_audience import Audience
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.textinput import Refused, normalised
from bot.thai import find_provinces
from handlers import activity_preview
from handlers.activity_preview import REMINDER_CHOICES, REPEAT_CHOICES
from models import Role

FLOW = "activity"
START_TEXTS = frozenset({"สร้างกิจกรรม", "นัดกิจกรรม", "เพิ่มกิจกรรม", "new activity"})
CREATOR_ROLES = (Role.MENTOR, Role.COORDINATOR, Role.ADMIN)
CHIP_NO_DESCRIPTION, CHIP_PIN, CHIP_NO_PIN = "ไม่มีรายละเอียด", "ส่งตำแหน่งบนแผนที่", "ไม่ปักหมุด"
PIN_PLACE = "ตำแหน่งบนแผนที่"  # the place's name when a pin came without one
CHIP_PICK_START, CHIP_PICK_END = "เลือกวันเวลาเริ่ม", "เลือกเวลาเลิก"
CHIP_PROVINCE, CHIP_GROUP, CHIP_EVERYONE, CHIP_PICK_PROVINCES = "น้องทั้งจังหวัด", "กลุ่มของพี่เลี้ยง", \
    "น้องทั่วประเทศ", "เลือกจังหวัด"
CHIP_UNLIMITED, CAPACITY_CHIPS = "ไม่จำกัด", ("10", "20", "30")
ONLY_CREATORS = "การสร้างกิจกรรมสำหรับพี่เลี้ยงและผู้ประสานงานค่ะ น้องดูกิจกรรมได้ที่ \"กิจกรรมของฉัน\""
ASK_TITLE = "สร้างกิจกรรม ขั้นที่ 1: พิมพ์ชื่อกิจกรรม (ไม่เกิน 100 ตัวอักษร)\nพิมพ์ \"ยกเลิก\" ได้ทุกเมื่อ"
ASK_DESCRIPTION = "ขั้นที่ 2: เล่ารายละเอียดสั้น ๆ (ทำอะไร เตรียมอะไรมา) หรือกด \"ไม่มีรายละเอียด\""
ASK_PLACE = "ขั้นที่ 3: สถานที่ พิมพ์ชื่อสถานที่ หรือกด \"ส่งตำแหน่งบนแผนที่\""
ASK_PIN = "ปักหมุดบนแผนที่ด้วยไหมคะ (น้อง ๆ จะเปิดแผนที่ได้) กด \"ส่งตำแหน่งบนแผนที่\" หรือ \"ไม่ปักหมุด\""
ASK_START = "ขั้นที่ 4: เริ่มเมื่อไร (เวลาไทย) กด \"เลือกวันเวลาเริ่ม\" หรือพิมพ์ เช่น 25/12/2569 09:00"
ASK_END = "ขั้นที่ 5: เลิกกี่โมง กดปุ่ม หรือพิมพ์เวลา เช่น 16:00"
ASK_AUDIENCE = "ชวนน้อง ๆ กลุ่มไหนคะ"
ASK_GROUP = "กลุ่มของพี่เลี้ยงคนไหนคะ กดเลือกด้านล่าง"
ASK_PROVINCES = "พิมพ์ชื่อจังหวัด คั่นด้วยจุลภาค เช่น เชียงใหม่, ลำพูน"
ASK_CAPACITY = "ขั้นที่ 6: รับได้กี่คน กดปุ่ม หรือพิมพ์ตัวเลข (เต็มแล้วน้องต่อคิวรอได้)"
ASK_REPEAT = "ขั้นที่ 7: จัดซ้ำไหมคะ (ทุกสัปดาห์หรือทุกเดือน บอทจะสร้างครั้งต่อไปและชวนน้องให้เอง)"
ASK_REMINDERS = "ขั้นสุดท้าย: เตือนน้องที่ตอบว่าไปหรืออาจจะไปเมื่อไร (น้องเลือกเวลาเตือนของตัวเองได้)"
PICK_FROM_CHIPS = "เลือกจากปุ่มด้านล่างนะคะ"
NO_MENTORS = "ยังไม่มีพี่เลี้ยงในจังหวัดค่ะ เลือก \"น้องทั้งจังหวัด\" แทนได้"
UNKNOWN_PROVINCES = "ไม่รู้จักจังหวัด: {names} พิมพ์ชื่อจังหวัดอีกครั้งนะคะ"
CANCELLED = "ยกเลิกการสร้างกิจกรรมแล้วค่ะ ยังไม่มีคำเชิญถูกส่ง"


def start(turn: Turn, ctx: Context) -> Outcome:
    if ctx.user.role not in CREATOR_ROLES:
        return Outcome.reply(replies.text(ONLY_CREATORS, [replies.say_chip("กิจกรรมของฉัน")]))
    return Outcome.goto(FLOW, "title", replies.text(ASK_TITLE, [replies.say_chip("ยกเลิก")]), data={})


def on_cancel(turn: Turn, ctx: Context) -> Outcome:
    return Outcome.end(replies.text(CANCELLED, [replies.say_chip("กิจกรรมของกลุ่ม")]))


def _text_of(turn: Turn) -> str | None:
    return turn.text if turn.kind is TurnKind.TEXT else None


def _again(reason: str, ctx: Context) -> Outcome:
    return Outcome.reply(replies.text(reason, _chips_for(ctx.step, ctx, ctx.data)))


def _ask(ctx: Context, step: str, data: dict, question: str) -> Outcome:
    return Outcome.goto(FLOW, step, replies.text(question, _chips_for(step, ctx, data)), data=data)


def answer_title(turn: Turn, ctx: Context) -> Outcome:
    try:
        title = activities.clean_title(_text_of(turn))
    except Refused as refused:
        return _again(str(refused), ctx)
    return _ask(ctx, "description", {**ctx.data, "title": title}, ASK_DESCRIPTION)


def answer_description(turn: Turn, ctx: Context) -> Outcome:
    text = normalised(_text_of(turn))
    try:
        description = None if text == CHIP_NO_DESCRIPTION else activities.clean_description(_text_of(turn))
    except Refused as refused:
        return _again(str(refused), ctx)
    return _ask(ctx, "place", {**ctx.data, "description": description}, ASK_PLACE)


def answer_place(turn: Turn, ctx: Context) -> Outcome:
    """A location message gives the place and its pin at once; typed text asks for an optional pin."""
    if turn.kind is TurnKind.LOCATION and turn.location is not None:
        return _ask_start(ctx, {**ctx.data, **_pinned(turn, None)})
    try:
        place = activities.clean_place(_text_of(turn))
    except Refused as refused:
        return _again(str(refused), ctx)
    return _ask(ctx, "pin", {**ctx.data, "place_text": place, "lat": None, "lng": None}, ASK_PIN)


def answer_pin(turn: Turn, ctx: Context) -> Outcome:
    if turn.kind is TurnKind.LOCATION and turn.location is not None:
        return _ask_start(ctx, {**ctx.data, **_pinned(turn, ctx.data.get("place_text"))})
    if normalised(_text_of(turn)) == CHIP_NO_PIN:
        return _ask_start(ctx, ctx.data)
    return _again(ASK_PIN, ctx)


def _pinned(turn: Turn, place_text: str | None) -> dict:
    """The place from a LINE location message: the typed name if there was one, else its title or address."""
    location = turn.location
    named = place_text or location.title or location.address or PIN_PLACE
    try:
        place = activities.clean_place(named[:300])
    except Refused:
        place = PIN_PLACE
    return {"place_text": place, "lat": location.latitude, "lng": location.longitude}


def _ask_start(ctx: Context, data: dict) -> Outcome:
    return _ask(ctx, "start", data, ASK_START)


def picked(turn: Turn) -> str | None:
    """The date-time LINE's picker sent back ("2026-11-23T09:00", Bangkok time), if this turn is one."""
    if turn.kind is TurnKind.POSTBACK:
        return turn.postback_params.get("datetime") or None
    return None


def answer_start(turn: Turn, ctx: Context) -> Outcome:
    value = picked(turn) or _text_of(turn)
    if not value:
        return _again(ASK_START, ctx)
    try:
        starts_at = activities.parse_start(value, ctx.now, ctx.timezone)
    except Refused as refused:
        return _again(str(refused), ctx)
    return _ask(ctx, "end", {**ctx.data, "starts_at": starts_at.isoformat()}, ASK_END)


def answer_end(turn: Turn, ctx: Context) -> Outcome:
    value = picked(turn) or _text_of(turn)
    if not value:
        return _again(ASK_END, ctx)
    starts_at = dt.datetime.fromisoformat(ctx.data["starts_at"])
    try:
        ends_at = activities.parse_end(value, starts_at, ctx.timezone)
    except Refused as refused:
        return _again(str(refused), ctx)
    data = {**ctx.data, "ends_at": ends_at.isoformat()}
    if ctx.user.role == Role.MENTOR:
        return _with_audience(ctx, data, Audience.of_group(ctx.user.id))
    return _ask(ctx, "audience", data, ASK_AUDIENCE)


def _audience_chips(ctx: Context) -> list[str]:
    if ctx.user.province_code is None:
        return [CHIP_EVERYONE, CHIP_PICK_PROVINCES]
    return [CHIP_PROVINCE, CHIP_GROUP]


def answer_audience(turn: Turn, ctx: Context) -> Outcome:
    choice = normalised(_text_of(turn))
    if choice not in _audience_chips(ctx):
        return _again(PICK_FROM_CHIPS, ctx)
    if choice == CHIP_PROVINCE:
        return _with_audience(ctx, ctx.data, Audience.of_provinces([ctx.user.province_code]))
    if choice == CHIP_EVERYONE:
        return _with_audience(ctx, ctx.data, Audience.everyone(roles=(Role.YOUTH,)))
    if choice == CHIP_PICK_PROVINCES:
        return _ask(ctx, "provinces", ctx.data, ASK_PROVINCES)
    if not people.mentors_in(ctx.db, ctx.user.province_code):
        return _again(NO_MENTORS, ctx)
    return _ask(ctx, "group", ctx.data, ASK_GROUP)


def answer_group(turn: Turn, ctx: Context) -> Outcome:
    raw = turn.postback.params.get("m", "") if turn.kind is TurnKind.POSTBACK and turn.postback else ""
    if not (raw.isdigit() and len(raw) < 12):
        return _again(ASK_GROUP, ctx)
    return _with_audience(ctx, ctx.data, Audience.of_group(int(raw)))


def answer_provinces(turn: Turn, ctx: Context) -> Outcome:
    names = [name.strip() for name in normalised(_text_of(turn)).replace("،", ",").split(",") if name.strip()]
    found = {name: find_provinces(name, limit=1) for name in names}
    unknown = [name for name, provinces in found.items() if not provinces]
    if unknown or not names:
        return _again(UNKNOWN_PROVINCES.format(names=", ".join(unknown) or "-"), ctx)
    return _with_audience(ctx, ctx.data, Audience.of_provinces([provinces[0].code for provinces in found.values()]))


def _with_audience(ctx: Context, data: dict, audience: Audience) -> Outcome:
    reason = activities.may_create(ctx.user, audience)
    if reason:
        return _again(reason, ctx) if ctx.user.role != Role.MENTOR else Outcome.end(replies.text(reason))
    return _ask(ctx, "capacity", {**data, "audience": audience.to_dict()}, ASK_CAPACITY)


def answer_capacity(turn: Turn, ctx: Context) -> Outcome:
    try:
        capacity = activities.parse_capacity(_text_of(turn) or "")
    except Refused as refused:
        return _again(str(refused), ctx)
    return _ask(ctx, "repeat", {**ctx.data, "capacity": capacity}, ASK_REPEAT)


def answer_repeat(turn: Turn, ctx: Context) -> Outcome:
    choice = normalised(_text_of(turn))
    if choice not in REPEAT_CHOICES:
        return _again(PICK_FROM_CHIPS, ctx)
    return _ask(ctx, "reminders", {**ctx.data, "repeat": REPEAT_CHOICES[choice]}, ASK_REMINDERS)


def answer_reminders(turn: Turn, ctx: Context) -> Outcome:
    choice = normalised(_text_of(turn))
    if choice not in REMINDER_CHOICES:
        return _again(PICK_FROM_CHIPS, ctx)
    return preview(ctx, {**ctx.data, "reminders": list(REMINDER_CHOICES[choice])})


def preview(ctx: Context, data: dict) -> Outcome:
    """The invite card exactly as youth will see it, who and how many, and the confirm chip; a start that
    went by while the creator was answering is asked again."""
    try:
        shown = activity_preview.messages(ctx, data)
    except Refused as refused:
        return _ask(ctx, "start", data, f"{refused}\n{ASK_START}")
    return Outcome.goto(FLOW, "confirm", *shown, data=data)


def time_picker(ctx: Context, label: str, data: str, earliest: dt.datetime | None = None,
                latest: dt.datetime | None = None):
    """LINE's date-time picker in Bangkok time, from `earliest` (default: five minutes ahead) to `latest`
    (default: a year ahead)."""
    low = (earliest or ctx.now + dt.timedelta(minutes=5)).astimezone(ctx.timezone)
    high = (latest or ctx.now + dt.timedelta(days=365)).astimezone(ctx.timezone)
    return replies.datetime_chip(label, data, low.strftime("%Y-%m-%dT%H:%M"), high.strftime("%Y-%m-%dT%H:%M"))


def _end_chips(ctx: Context, data: dict) -> list:
    """The picker over the 24 hours after the start, and typed-time shortcuts: 2, 3 and 4 hours after it."""
    starts_at = dt.datetime.fromisoformat(data["starts_at"])
    shortcuts = [(starts_at + dt.timedelta(hours=hours)).astimezone(ctx.timezone).strftime("%H:%M")
                 for hours in (2, 3, 4)]
    return [time_picker(ctx, CHIP_PICK_END, postback.encode("ac.end", ctx.token), starts_at + dt.timedelta(minutes=5),
                        starts_at + dt.timedelta(hours=24)),
            *(replies.say_chip(f"เลิก {time}", time) for time in shortcuts)]


def _group_chips(ctx: Context) -> list:
    return [replies.postback_chip(f"กลุ่มพี่{summary.mentor.nickname or '-'}"[:20],
                                  postback.encode("ac.group", ctx.token, m=summary.mentor.id),
                                  f"กลุ่มพี่{summary.mentor.nickname or '-'} ({summary.youth_count} คน)")
            for summary in people.mentors_in(ctx.db, ctx.user.province_code)[:12]]


def _chips_for(step: str | None, ctx: Context, data: dict) -> list:
    say = replies.say_chip
    chips = {
        "description": lambda: [say(CHIP_NO_DESCRIPTION)],
        "place": lambda: [replies.location_chip(CHIP_PIN)],
        "pin": lambda: [replies.location_chip(CHIP_PIN), say(CHIP_NO_PIN)],
        "start": lambda: [time_picker(ctx, CHIP_PICK_START, postback.encode("ac.start", ctx.token))],
        "end": lambda: _end_chips(ctx, data),
        "audience": lambda: [say(label) for label in _audience_chips(ctx)],
        "group": lambda: _group_chips(ctx),
        "capacity": lambda: [say(CHIP_UNLIMITED), *(say(size) for size in CAPACITY_CHIPS)],
        "repeat": lambda: [say(label) for label in REPEAT_CHOICES],
        "reminders": lambda: [say(label) for label in REMINDER_CHOICES],
    }.get(step or "", list)()
    return [*chips, say("ยกเลิก")][:13]


FLOW_DEFINITION = Flow(
    name=FLOW,
    steps={"title": answer_title, "description": answer_description, "place": answer_place, "pin": answer_pin,
           "start": answer_start, "end": answer_end, "audience": answer_audience, "group": answer_group,
           "provinces": answer_provinces, "capacity": answer_capacity, "repeat": answer_repeat,
           "reminders": answer_reminders, "confirm": activity_preview.answer_confirm},
    start=start,
    entry_texts=START_TEXTS,
    on_cancel=on_cancel,
)
