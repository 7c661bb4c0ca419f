"""What youth do with activities in LINE: answer an invitation (ไป / อาจจะไป / ไปไม่ได้, or the waiting list
when it is full), say they are still coming from the day-before reminder, check in during the activity
(optionally with their location), open the place on a map; "กิจกรรมของฉัน" (upcoming ones with one-tap
changes of answer), "บันทึกของฉัน" (the volunteer record) and "ตั้งเวลาเตือน" (their own reminder times).

```mermaid
flowchart LR
  card[invite card] -->|ac.ans v=going/maybe/no| stored[answer stored: going / maybe / no / waiting list]
  reminder[day-before reminder] -->|ac.ok| still[still coming] & cant[ac.ans v=no]
  during[during the activity] -->|ac.here| here[checked in] -->|location within 15 min, optional| pinned[kept]
  mine["กิจกรรมของฉัน"] --> carousel[my answer + change buttons]
  record["บันทึกของฉัน"] --> totals[activities, hours, shares, reports]
  remind["ตั้งเวลาเตือน"] --> choice[day before + 2 h / 2 h / 1 day / none]
```
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import activities, activity_cards, activity_reminders, activity_views, postback, replies
from bot.flows import Context, Outcome, Turn, TurnKind
from bot.router import normalise_command
from bot.textinput import Refused
from handlers.activity import CREATOR_ROLES
from handlers.activity_manage import show_managed
from handlers.activity_preview import REMINDER_CHOICES
from models import Activity, ActivityResponse, Answer, UserStatus

MINE_TEXTS = ("กิจกรรมของฉัน", "กิจกรรมที่จะไป", "my activities")
ACTIVITY_TEXTS = ("กิจกรรม", "activities")
RECORD_TEXTS = ("บันทึกของฉัน", "ชั่วโมงอาสา", "บันทึกอาสา", "my record")
REMIND_TEXTS = ("ตั้งเวลาเตือน", "เวลาเตือน", "reminders")
PIN_WINDOW = dt.timedelta(minutes=15)
CHIP_MY_PLACE = "ส่งตำแหน่งของฉัน"
BUTTON_GONE = "ปุ่มนี้ใช้ไม่ได้แล้วค่ะ ดูกิจกรรมที่กำลังจะมาถึงได้ที่ \"กิจกรรมของฉัน\""
NOT_REGISTERED = "สมัครเป็น อพม.น้อย ก่อน แล้วจะได้รับคำชวนไปกิจกรรมค่ะ"
STORED = {
    Answer.GOING: "ลงชื่อไป “{title}” แล้วค่ะ 🎉 {when}\n{reminders}",
    Answer.MAYBE: "บันทึกว่าอาจจะไป “{title}” ค่ะ {when}\n{reminders}",
    Answer.NO: "รับทราบค่ะ บันทึกว่าไป “{title}” ไม่ได้ ถ้าเปลี่ยนใจกดตอบใหม่ได้ที่ \"กิจกรรมของฉัน\"",
    Answer.WAITLIST: "“{title}” เต็มแล้วค่ะ น้องอยู่ในคิวรอ ⏳ ถ้ามีที่ว่างจะแจ้งทันทีและนับว่าน้องไปนะคะ",
}
SAME_ANSWER = "บันทึกไว้แล้วค่ะ: {answer} (“{title}”)"
REMIND_AT = "จะเตือนก่อนเริ่ม {offsets}"
NO_REMINDERS = "น้องเลือกไม่รับการเตือน (เปลี่ยนได้ที่ \"ตั้งเวลาเตือน\")"
PROMOTED_OTHER = "\nมีที่ว่างให้น้องที่รอคิวแล้ว 1 คน"
STILL_COMING = "ขอบคุณที่ยืนยันค่ะ 💚 เจอกันที่ “{title}” {when}"
NOT_GOING_ANY_MORE = "น้องไม่ได้ลงชื่อไป “{title}” แล้วค่ะ ถ้าจะไป กด \"ไปด้วย\" ในการ์ดกิจกรรมนะคะ"
CHECKED_IN = "เช็กอิน “{title}” แล้วค่ะ ✅ ขอบคุณที่มานะคะ\nจะส่งตำแหน่งที่อยู่ตอนนี้ด้วยก็ได้ (ไม่บังคับ)"
ALREADY_IN = "น้องเช็กอิน “{title}” ไปแล้วค่ะ ✅"
PLACE_KEPT = "ได้รับตำแหน่งแล้วค่ะ ขอบคุณนะคะ"
NO_MAP = "“{title}” ยังไม่ได้ปักหมุดบนแผนที่ค่ะ สถานที่: {place}"
NONE_UPCOMING = "ยังไม่มีกิจกรรมที่กำลังจะมาถึงค่ะ เมื่อพี่เลี้ยงชวน การ์ดกิจกรรมจะส่งมาที่แชทนี้"
MINE_FOOTER = "กดปุ่มในการ์ดเพื่อเปลี่ยนคำตอบได้เลยค่ะ"
ASK_REMIND = "อยากให้เตือนก่อนกิจกรรมเมื่อไรคะ (ใช้กับทุกกิจกรรมที่น้องตอบว่าไปหรืออาจจะไป)\nตอนนี้: {now}"
ASK_REMIND_ONE = "เตือนก่อน “{title}” เมื่อไรดีคะ\nตอนนี้: {now}"
REMIND_SET = "ตั้งเวลาเตือน{where}เป็น \"{choice}\" แล้วค่ะ"
CHIP_ACTIVITY_DEFAULT, CHIP_MY_DEFAULT = "ตามที่พี่เลี้ยงตั้ง", "ตามที่ฉันตั้งไว้"
RECORD_FOOTER = "ชั่วโมงอาสานับเมื่อพี่เลี้ยงยืนยันหลังกิจกรรมค่ะ 💚"


def _activity_of(turn: Turn, ctx: Context) -> Activity | None:
    raw = turn.postback.params.get("id", "") if turn.postback else ""
    activity = activities.get(ctx.db, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if activity is None or ctx.user.role is None or ctx.user.status != UserStatus.ACTIVE:
        return None
    return activity


def _gone() -> Outcome:
    return Outcome.reply(replies.text(BUTTON_GONE, [replies.say_chip("กิจกรรมของฉัน")]))


def _when(activity: Activity, ctx: Context) -> str:
    return activity_views.when_line(activity, ctx.timezone)


def offsets_text(minutes) -> str:
    """(1440, 120) -> "1 วัน และ 2 ชั่วโมง"."""
    def one(value: int) -> str:
        if value % 1440 == 0:
            return f"{value // 1440} วัน"
        return f"{value // 60} ชั่วโมง" if value % 60 == 0 else f"{value} นาที"
    return " และ ".join(one(value) for value in sorted(minutes, reverse=True))


def _reminder_line(activity: Activity, response: ActivityResponse | None, ctx: Context) -> str:
    chosen = activity_reminders.offsets_for(activity, response.reminder_minutes if response else None, ctx.user)
    return REMIND_AT.format(offsets=offsets_text(chosen)) if chosen else NO_REMINDERS


def answer(turn: Turn, ctx: Context) -> Outcome:
    """`ac.ans`: store going / maybe / no (going becomes the waiting list when full) and say what was stored."""
    activity, value = _activity_of(turn, ctx), (turn.postback.params.get("v") if turn.postback else None)
    if activity is None or value not in (Answer.GOING, Answer.MAYBE, Answer.NO):
        return _gone()
    try:
        responded = activities.respond(ctx.db, activity, ctx.user, value, ctx.now, ctx.settings)
    except Refused as refused:
        return Outcome.reply(replies.text(str(refused), [replies.say_chip("กิจกรรมของฉัน")]))
    if not responded.changed:
        label = activity_views.ANSWER_LABELS.get(responded.answer, responded.answer)
        return Outcome.reply(replies.text(SAME_ANSWER.format(answer=label, title=activity.title),
                                          [replies.say_chip("กิจกรรมของฉัน")]))
    response = activities.response_of(ctx.db, activity, ctx.user)
    text = STORED[responded.answer].format(title=activity.title, when=_when(activity, ctx),
                                           reminders=_reminder_line(activity, response, ctx))
    if responded.promoted is not None:
        text += PROMOTED_OTHER
    return Outcome.reply(replies.text(text, [replies.say_chip("กิจกรรมของฉัน"), replies.say_chip("ตั้งเวลาเตือน")]))


def still_coming(turn: Turn, ctx: Context) -> Outcome:
    """`ac.ok` from the day-before reminder (or a change notice)."""
    activity = _activity_of(turn, ctx)
    if activity is None:
        return _gone()
    try:
        noted = activities.confirm_coming(ctx.db, activity, ctx.user, ctx.now)
    except Refused as refused:
        return Outcome.reply(replies.text(str(refused), [replies.say_chip("กิจกรรมของฉัน")]))
    if not noted:
        return Outcome.reply(replies.text(NOT_GOING_ANY_MORE.format(title=activity.title)))
    return Outcome.reply(replies.text(STILL_COMING.format(title=activity.title, when=_when(activity, ctx))))


def here(turn: Turn, ctx: Context) -> Outcome:
    """`ac.here`: check in now; a location sent right after it is kept with the check-in (optional)."""
    activity = _activity_of(turn, ctx)
    if activity is None:
        return _gone()
    response = activities.response_of(ctx.db, activity, ctx.user)
    if response is not None and response.checked_in_at is not None:
        return Outcome.reply(replies.text(ALREADY_IN.format(title=activity.title)))
    try:
        checked = activities.check_in(ctx.db, activity, ctx.user, ctx.now)
    except Refused as refused:
        return Outcome.reply(replies.text(str(refused)))
    if not checked:
        return Outcome.reply(replies.text(ALREADY_IN.format(title=activity.title)))
    return Outcome.reply(replies.text(CHECKED_IN.format(title=activity.title), [replies.location_chip(CHIP_MY_PLACE)]))


def or_idle_activity(idle):
    """Outside any flow: "กิจกรรม" typed shows activities (not a global command: it is also a campaign tag),
    and a location sent soon after checking in (without one) belongs to that check-in."""
    def handler(turn: Turn, ctx: Context) -> Outcome:
        if turn.kind is TurnKind.TEXT and normalise_command(turn.text or "") in ACTIVITY_TEXTS:
            return show_activities(turn, ctx)
        if turn.kind is TurnKind.LOCATION and turn.location is not None:
            response = _fresh_check_in(ctx)
            if response is not None:
                response.check_in_latitude = turn.location.latitude
                response.check_in_longitude = turn.location.longitude
                return Outcome.reply(replies.text(PLACE_KEPT, [replies.say_chip("กิจกรรมของฉัน")]))
        return idle(turn, ctx)
    return handler


def _fresh_check_in(ctx: Context) -> ActivityResponse | None:
    return ctx.db.scalars(select(ActivityResponse).where(
        ActivityResponse.user_id == ctx.user.id, ActivityResponse.checked_in_at >= ctx.now - PIN_WINDOW,
        ActivityResponse.check_in_latitude.is_(None)).order_by(ActivityResponse.checked_in_at.desc())).first()


def show_map(turn: Turn, ctx: Context) -> Outcome:
    activity = _activity_of(turn, ctx)
    if activity is None:
        return _gone()
    if activity.latitude is None or activity.longitude is None:
        return Outcome.reply(replies.text(NO_MAP.format(title=activity.title, place=activity.place_text)))
    return Outcome.reply(activity_cards.pin(activity))


def show_mine(turn: Turn, ctx: Context) -> Outcome:
    """"กิจกรรมของฉัน": upcoming activities of my audience with my answer and change buttons."""
    if ctx.user.role is None:
        return Outcome.reply(replies.text(NOT_REGISTERED, [replies.say_chip("สมัคร อพม.น้อย")]))
    items = activities.upcoming_for(ctx.db, ctx.user, ctx.now)
    chips = [replies.say_chip("บันทึกของฉัน"), replies.say_chip("ตั้งเวลาเตือน")]
    if not items:
        return Outcome.reply(replies.text(NONE_UPCOMING, chips))
    return Outcome.reply(activity_views.my_activities(items, ctx.timezone), replies.text(MINE_FOOTER, chips))


def show_activities(turn: Turn, ctx: Context) -> Outcome:
    """"กิจกรรม" (the menu tile): the managing list for mentors and coordinators, my activities for youth."""
    if ctx.user.role in CREATOR_ROLES:
        return show_managed(turn, ctx)
    return show_mine(turn, ctx)


def show_record(turn: Turn, ctx: Context) -> Outcome:
    """"บันทึกของฉัน": activities attended, hours, campaigns shared, reports made, the last activities."""
    if ctx.user.role is None:
        return Outcome.reply(replies.text(NOT_REGISTERED, [replies.say_chip("สมัคร อพม.น้อย")]))
    record = activities.record_of(ctx.db, ctx.user)
    last = [(item.title, item.starts_at, item.minutes) for item in record.recent]
    card = activity_views.record_bubble(ctx.user.nickname, record.activities, record.minutes,
                                        record.campaigns_shared, record.reports, last, ctx.timezone)
    return Outcome.reply(card, replies.text(RECORD_FOOTER, [replies.say_chip("กิจกรรมของฉัน")]))


def show_reminder_choice(turn: Turn, ctx: Context) -> Outcome:
    """"ตั้งเวลาเตือน": my own reminder times for every activity."""
    if ctx.user.role is None:
        return Outcome.reply(replies.text(NOT_REGISTERED))
    return _ask_reminders(ctx, None, None)


def _ask_reminders(ctx: Context, activity: Activity | None, response: ActivityResponse | None) -> Outcome:
    """The choices as chips: for every activity (back to the mentor's default), or for one activity (back to
    my own default)."""
    own = response.reminder_minutes if activity is not None and response is not None else \
        ctx.user.activity_reminder_minutes
    default_label = CHIP_MY_DEFAULT if activity is not None else CHIP_ACTIVITY_DEFAULT
    current = default_label if own is None else next(
        (label for label, minutes in REMINDER_CHOICES.items() if list(minutes) == list(own)), offsets_text(own))
    ident = {"id": activity.id} if activity is not None else {}
    chips = [replies.postback_chip(label, postback.encode("ac.remind", m=_minutes_key(minutes), **ident))
             for label, minutes in [*REMINDER_CHOICES.items(), (default_label, None)]]
    question = ASK_REMIND_ONE.format(title=activity.title, now=current) if activity is not None else \
        ASK_REMIND.format(now=current)
    return Outcome.reply(replies.text(question, chips))


def _minutes_key(minutes) -> str:
    return "d" if minutes is None else ("-".join(str(value) for value in minutes) or "0")


def set_reminder_choice(turn: Turn, ctx: Context) -> Outcome:
    """`ac.remind` (m= the choice, id= one activity or none for all): store it and plan my pending reminders
    again; without m, ask for that activity."""
    if ctx.user.role is None:
        return Outcome.reply(replies.text(NOT_REGISTERED))
    params = turn.postback.params if turn.postback else {}
    activity = response = None
    if "id" in params:
        activity = _activity_of(turn, ctx)
        response = activities.response_of(ctx.db, activity, ctx.user) if activity is not None else None
        if response is None or response.answer not in Answer.REMINDED:
            return _gone()
    if "m" not in params:
        return _ask_reminders(ctx, activity, response)
    choices = {_minutes_key(minutes): (label, minutes) for label, minutes in
               [*REMINDER_CHOICES.items(), (CHIP_MY_DEFAULT if activity else CHIP_ACTIVITY_DEFAULT, None)]}
    if params["m"] not in choices:
        return Outcome.reply(replies.text(BUTTON_GONE))
    label, minutes = choices[params["m"]]
    try:
        activities.set_reminder_choice(ctx.db, ctx.user, minutes, ctx.now, ctx.settings, activity=activity)
    except Refused as refused:
        return Outcome.reply(replies.text(str(refused)))
    where = f" สำหรับ “{activity.title}”" if activity is not None else ""
    return Outcome.reply(replies.text(REMIND_SET.format(choice=label, where=where), [replies.say_chip("กิจกรรมของฉัน")]))


ACTIONS = {"ac.ans": answer, "ac.ok": still_coming, "ac.here": here, "ac.map": show_map,
           "ac.remind": set_reminder_choice}
