"""Managing activities in LINE (mentors and coordinators): "กิจกรรมของกลุ่ม" lists the upcoming ones with their
counts and buttons (who answered, change the start, change the place, cancel with a confirm) and the ones
that ended within 14 days (attendance list with present / absent, confirm hours).

```mermaid
flowchart LR
  list["กิจกรรมของกลุ่ม"] --> upcoming & recent
  upcoming -->|ac.who| who[names by answer]
  upcoming -->|ac.mv + picker| moved[time changed, joined told]
  upcoming -->|ac.place| place[type a place / send a pin] --> changed[place changed, joined told]
  upcoming -->|ac.cx| sure{sure?} -->|ac.cxok| cancelled[cancelled, joined told]
  recent -->|ac.att| marks[present / absent] -->|ac.hours| hours[hours credited, youth told]
```
Every button carries only the activity id: each tap checks `activities.may_manage` again, so a forged or
replayed postback is refused politely and changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select

from bot import activities, activity_views, postback, replies
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.textinput import Refused
from handlers.activity import CHIP_PIN, CREATOR_ROLES, PIN_PLACE, picked
from models import Activity, ActivityResponse, ActivityStatus, Answer, User

MANAGE_TEXTS = ("กิจกรรมของกลุ่ม", "จัดการกิจกรรม", "manage activities")
PLACE_FLOW = "activity_place"
CREATE_CHIP = "สร้างกิจกรรม"
NOT_YOURS = "ปุ่มนี้ใช้กับกิจกรรมนี้ไม่ได้ค่ะ"
ONLY_MANAGERS = "เมนูนี้สำหรับพี่เลี้ยงและผู้ประสานงานค่ะ น้องดูกิจกรรมได้ที่ \"กิจกรรมของฉัน\""
NONE_YET = "ยังไม่มีกิจกรรมที่กำลังจะมาถึงค่ะ เริ่มได้ที่ \"สร้างกิจกรรม\""
LISTED = "กิจกรรมที่กำลังจะมาถึง {upcoming} · จบภายใน 14 วัน {recent}\nกดปุ่มในการ์ดเพื่อดูคนตอบรับ เลื่อนเวลา หรือเช็กชื่อ"
FIRST_ONLY = "\n(แสดง {shown} รายการ: ที่ใกล้ถึงที่สุด และที่เพิ่งจบล่าสุด)"
RECENT_ROOM = 4  # bubbles kept for activities that ended lately (attendance and hours) when there are many
PICK_NEW_TIME = "กดเลือกวันเวลาใหม่จากปุ่ม \"เปลี่ยนเวลาเริ่ม\" นะคะ"
MOVED = "เลื่อน “{title}” เป็น {when} แล้วค่ะ แจ้งน้องที่ตอบรับ {told:,} คน และเลื่อนการเตือนให้แล้ว"
ASK_PLACE = "สถานที่ใหม่ของ “{title}”: พิมพ์ชื่อสถานที่ หรือกด \"ส่งตำแหน่งบนแผนที่\" (พิมพ์ \"ยกเลิก\" ถ้าไม่เปลี่ยน)"
PLACE_CHANGED = "เปลี่ยนสถานที่ของ “{title}” เป็น {place} แล้วค่ะ แจ้งน้องที่ตอบรับ {told:,} คน"
PLACE_KEPT = "ไม่ได้เปลี่ยนสถานที่ค่ะ"
SURE_CANCEL = "ยกเลิก “{title}” ({when}) ใช่ไหมคะ น้องที่ตอบรับ {going:,} คนจะได้รับแจ้ง"
CANCEL_YES, CANCEL_SERIES, CANCEL_NO = "ยืนยันยกเลิกกิจกรรม", "ยกเลิกทุกครั้งต่อไป", "ไม่ยกเลิก"
CANCELLED = "ยกเลิก “{title}” แล้วค่ะ แจ้งน้องที่ตอบรับ {told:,} คน"
ALREADY_CANCELLED = "“{title}” ถูกยกเลิกไปแล้วค่ะ"
SERIES_STOPPED = "\nจะไม่สร้างครั้งต่อไปอีก"
KEPT = "ไม่ยกเลิกค่ะ กิจกรรมยังอยู่ตามเดิม"
WHO = "ใครตอบรับ “{title}”"
ATTENDANCE = ("มาแล้ว {present:,} จาก {total:,} คน (เช็กอินเองหรือพี่เลี้ยงเช็กชื่อ)\n"
              "กด \"ยืนยันชั่วโมง\" เพื่อบันทึกชั่วโมงอาสาให้คนที่มา (นับตามความยาวกิจกรรม)")
SHOWN = "\nรายชื่อแสดง {shown:,} คนแรก (คนที่ยังไม่ได้เช็กชื่อก่อน)"
MARKED = "บันทึกว่าน้อง{name} {state} แล้วค่ะ"
HOURS_DONE = "ยืนยันชั่วโมงของ “{title}” ให้น้อง {count:,} คนแล้วค่ะ น้องแต่ละคนได้รับแจ้งแล้ว"
HOURS_NONE = "ไม่มีชั่วโมงใหม่ให้ยืนยันค่ะ (ยืนยันไปแล้ว หรือยังไม่มีใครเช็กอินหรือถูกเช็กชื่อว่ามา)"


def may_use(ctx: Context) -> bool:
    return ctx.user.role in CREATOR_ROLES


def show_managed(turn: Turn, ctx: Context) -> Outcome:
    """Upcoming activities this person manages, with counts and buttons, then those that ended lately."""
    if not may_use(ctx):
        return Outcome.reply(replies.text(ONLY_MANAGERS, [replies.say_chip("กิจกรรมของฉัน")]))
    upcoming = activities.managed_upcoming(ctx.db, ctx.user, ctx.now)
    recent = activities.managed_recent(ctx.db, ctx.user, ctx.now)
    chips = [replies.say_chip(CREATE_CHIP)]
    if not upcoming and not recent:
        return Outcome.reply(replies.text(NONE_YET, chips))
    room = activity_views.MAX_BUBBLES
    recent_shown = min(len(recent), max(RECENT_ROOM, room - len(upcoming)))
    bubbles = [activity_views.upcoming_bubble(activity, activities.counts(ctx.db, activity), ctx.now, ctx.timezone)
               for activity in upcoming[:room - recent_shown]]
    bubbles += [activity_views.recent_bubble(activity, activities.counts(ctx.db, activity),
                                             _present_count(ctx, activity), ctx.timezone)
                for activity in recent[:recent_shown]]
    shown = activity_views.fitting(bubbles)
    text = LISTED.format(upcoming=len(upcoming), recent=len(recent))
    if len(shown) < len(upcoming) + len(recent):
        text += FIRST_ONLY.format(shown=len(shown))
    return Outcome.reply(activity_views.carousel("กิจกรรมของกลุ่ม", shown), replies.text(text, chips))


def _present_count(ctx: Context, activity: Activity) -> int:
    return sum(1 for _user, response in _people(ctx, activity)
               if response.checked_in_at is not None or response.attended)


def managed(turn: Turn, ctx: Context) -> Activity | None:
    """The activity a button is about, if this person may manage it (None for a forged or foreign one)."""
    raw = turn.postback.params.get("id", "") if turn.postback else ""
    activity = activities.get(ctx.db, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    return activity if activity is not None and activities.may_manage(ctx.user, activity) else None


def _refused() -> Outcome:
    return Outcome.reply(replies.text(NOT_YOURS))


def _back(text: str) -> Outcome:
    return Outcome.reply(replies.text(text, [replies.say_chip("กิจกรรมของกลุ่ม")]))


def move(turn: Turn, ctx: Context) -> Outcome:
    """A new start picked: the activity keeps its length; everyone who answered is told, reminders move."""
    activity, value = managed(turn, ctx), picked(turn)
    if activity is None:
        return _refused()
    if not value:
        return _back(PICK_NEW_TIME)
    try:
        starts_at = activities.parse_start(value, ctx.now, ctx.timezone)
        told = activities.change(ctx.db, activity, ctx.user, ctx.now, ctx.settings, starts_at=starts_at,
                                 ends_at=starts_at + (activity.ends_at - activity.starts_at))
    except Refused as refused:
        return _back(str(refused))
    return _back(MOVED.format(title=activity.title, when=activity_views.when_line(activity, ctx.timezone), told=told))


def start_place(turn: Turn, ctx: Context) -> Outcome:
    activity = managed(turn, ctx)
    if activity is None:
        return Outcome.end(replies.text(NOT_YOURS))
    return Outcome.goto(PLACE_FLOW, "place", replies.text(
        ASK_PLACE.format(title=activity.title), [replies.location_chip(CHIP_PIN), replies.say_chip("ยกเลิก")]),
        data={"id": activity.id})


def answer_place(turn: Turn, ctx: Context) -> Outcome:
    activity = activities.get(ctx.db, int(ctx.data.get("id", 0)))
    if activity is None or not activities.may_manage(ctx.user, activity):
        return Outcome.end(replies.text(NOT_YOURS))
    try:
        place, latitude, longitude = _new_place(turn)
        told = activities.change(ctx.db, activity, ctx.user, ctx.now, ctx.settings, place_text=place,
                                 latitude=latitude, longitude=longitude)
    except Refused as refused:
        return Outcome.reply(replies.text(str(refused), [replies.location_chip(CHIP_PIN), replies.say_chip("ยกเลิก")]))
    return Outcome.end(replies.text(PLACE_CHANGED.format(title=activity.title, place=activity.place_text, told=told),
                                    [replies.say_chip("กิจกรรมของกลุ่ม")]))


def _new_place(turn: Turn) -> tuple[str, float | None, float | None]:
    if turn.kind is TurnKind.LOCATION and turn.location is not None:
        where = turn.location
        named = where.title or where.address or PIN_PLACE
        return activities.clean_place(named[:300]), where.latitude, where.longitude
    return activities.clean_place(turn.text if turn.kind is TurnKind.TEXT else None), None, None


def place_cancelled(turn: Turn, ctx: Context) -> Outcome:
    return Outcome.end(replies.text(PLACE_KEPT, [replies.say_chip("กิจกรรมของกลุ่ม")]))


def ask_cancel(turn: Turn, ctx: Context) -> Outcome:
    activity = managed(turn, ctx)
    if activity is None:
        return _refused()
    going = activities.counts(ctx.db, activity)
    text = SURE_CANCEL.format(title=activity.title, when=activity_views.when_line(activity, ctx.timezone),
                              going=going.going + going.maybe + going.waitlist)
    chips = [replies.postback_chip(CANCEL_YES, postback.encode("ac.cxok", id=activity.id), f"ยกเลิก {activity.title}")]
    if activity.repeat:
        chips.append(replies.postback_chip(CANCEL_SERIES, postback.encode("ac.cxok", id=activity.id, all=1),
                                           f"ยกเลิก {activity.title} และครั้งต่อ ๆ ไป"))
    chips.append(replies.postback_chip(CANCEL_NO, postback.encode("ac.keep", id=activity.id)))
    return Outcome.reply(replies.text(text, chips))


def cancel(turn: Turn, ctx: Context) -> Outcome:
    activity = managed(turn, ctx)
    if activity is None:
        return _refused()
    if activity.status == ActivityStatus.CANCELLED:
        return _back(ALREADY_CANCELLED.format(title=activity.title))
    series = turn.postback.params.get("all") == "1"
    try:
        told = activities.cancel(ctx.db, activity, ctx.user, ctx.now, ctx.settings, whole_series=series)
    except Refused as refused:
        return _back(str(refused))
    return _back(CANCELLED.format(title=activity.title, told=told) + (SERIES_STOPPED if series else ""))


def keep(turn: Turn, ctx: Context) -> Outcome:
    return _back(KEPT)


def _people(ctx: Context, activity: Activity) -> list[tuple[User, ActivityResponse]]:
    """Everyone who answered, with their answer (going first, then by name)."""
    rows = ctx.db.execute(select(User, ActivityResponse).join(ActivityResponse, ActivityResponse.user_id == User.id)
                          .where(ActivityResponse.activity_id == activity.id)).all()
    order = {answer: index for index, answer in enumerate(Answer.ALL)}
    return sorted(((user, response) for user, response in rows),
                  key=lambda row: (order.get(row[1].answer, 9), row[0].nickname or "", row[0].id))


def show_who(turn: Turn, ctx: Context) -> Outcome:
    activity = managed(turn, ctx)
    if activity is None:
        return _refused()
    lines = [WHO.format(title=activity.title)]
    for answer in Answer.ALL:
        names = [user.nickname or "-" for user, response in _people(ctx, activity) if response.answer == answer]
        lines.append(f"{activity_views.ANSWER_LABELS[answer]} {len(names):,} คน"
                     + (f": {', '.join(names[:80])}" if names else ""))
    return _back("\n".join(lines)[:4900])


def show_attendance(turn: Turn, ctx: Context) -> Outcome:
    activity = managed(turn, ctx)
    if activity is None:
        return _refused()
    rows = [(user, response) for user, response in _people(ctx, activity)
            if response.answer in Answer.REMINDED or response.checked_in_at is not None]
    listing, shown = activity_views.attendance(activity, rows, ctx.timezone)
    present = sum(1 for _user, response in rows if response.checked_in_at is not None or response.attended)
    text = ATTENDANCE.format(present=present, total=len(rows))
    if shown < len(rows):
        text += SHOWN.format(shown=shown)
    chips = [replies.postback_chip("ยืนยันชั่วโมง", postback.encode("ac.hours", id=activity.id),
                                   f"ยืนยันชั่วโมง {activity.title}"), replies.say_chip("กิจกรรมของกลุ่ม")]
    return Outcome.reply(listing, replies.text(text, chips))


def mark(turn: Turn, ctx: Context) -> Outcome:
    activity = managed(turn, ctx)
    raw_user = turn.postback.params.get("u", "") if turn.postback else ""
    person = ctx.db.get(User, int(raw_user)) if raw_user.isdigit() and len(raw_user) < 12 else None
    if activity is None or person is None or not _may_be_marked(ctx, activity, person):
        return _refused()
    present = turn.postback.params.get("v") == "1"
    try:
        activities.mark_attendance(ctx.db, activity, ctx.user, person, present, ctx.now)
    except Refused as refused:
        return Outcome.reply(replies.text(str(refused)))
    return Outcome.reply(replies.text(MARKED.format(name=person.nickname or "", state="มา" if present else "ไม่มา")))


def _may_be_marked(ctx: Context, activity: Activity, person: User) -> bool:
    """Someone who answered the activity, or who is in its audience (came without answering)."""
    return activities.response_of(ctx.db, activity, person) is not None or activities.includes(ctx.db, activity, person)


def confirm_hours(turn: Turn, ctx: Context) -> Outcome:
    activity = managed(turn, ctx)
    if activity is None:
        return _refused()
    try:
        credited = activities.confirm_hours(ctx.db, activity, ctx.user, ctx.now, ctx.settings)
    except Refused as refused:
        return _back(str(refused))
    return _back(HOURS_DONE.format(title=activity.title, count=credited) if credited else HOURS_NONE)


PLACE_FLOW_DEFINITION = Flow(
    name=PLACE_FLOW,
    steps={"place": answer_place},
    start=start_place,
    entry_actions=frozenset({"ac.place"}),
    on_cancel=place_cancelled,
)
ACTIONS = {"ac.mv": move, "ac.cx": ask_cancel, "ac.cxok": cancel, "ac.who": show_who, "ac.att": show_attendance,
           "ac.mark": mark, "ac.hours": confirm_hours, "ac.keep": keep}
