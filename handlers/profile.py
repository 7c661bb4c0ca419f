"""My profile: see it, edit the nickname, community and school, switch notifications, change mentor with a
new group code. Staff (mentors, coordinators) set the name the youth see here right after claiming a code.

```mermaid
flowchart LR
  show["ข้อมูลของฉัน"] --> card[profile + edit chips]
  card -->|edit a field| ask[question] --> saved[saved + profile]
  card -->|notifications on/off| saved
  code[new group code from a youth] --> moved[new mentor, both mentors told]
```
"""

from __future__ import annotations

from bot import access, people, postback, replies
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.outbox import push_to
from bot.textinput import Refused, clean_nickname, clean_place
from bot.thai import thai_date
from handlers.common import ROLE_NAMES, TEXT_PLEASE, menu_chips, province_name
from models import Role, User, UserStatus

FLOW = "profile"
SHOW_TEXTS = frozenset({"ข้อมูลของฉัน", "โปรไฟล์", "profile", "ข้อมูลฉัน"})
FIELDS = {  # field -> (label, question, cleaner)
    "nickname": ("ชื่อเล่น", "พิมพ์ชื่อเล่นใหม่ เช่น ฟ้า", clean_nickname),
    "community": ("ชุมชน", "พิมพ์ชื่อชุมชนหรือหมู่บ้าน เช่น ชุมชนบ้านหนองบัว ต.ในเมือง", clean_place),
    "school": ("โรงเรียน/กลุ่ม", "พิมพ์ชื่อโรงเรียนหรือกลุ่ม (พิมพ์ \"ไม่มี\" เพื่อลบ)", clean_place),
}
STAFF_NAME_QUESTION = "พิมพ์ชื่อที่จะให้น้อง ๆ และเจ้าหน้าที่เห็น เช่น สมชาย (บอทจะเรียกว่า พี่สมชาย)"
NOT_REGISTERED = "ยังไม่ได้สมัครค่ะ พิมพ์ \"สมัคร\" เพื่อเป็น อพม.น้อย หรือพิมพ์รหัสที่ได้รับจากเจ้าหน้าที่"
SAVED = "บันทึกแล้วค่ะ"
NOTIFY_LABELS = {"campaigns": "ข่าวและแคมเปญ", "activities": "เตือนกิจกรรม"}
MOVED = "ย้ายเข้ากลุ่มของพี่{mentor} แล้วค่ะ พี่เลี้ยงได้รับแจ้งแล้ว"
SAME_GROUP = "น้องอยู่ในกลุ่มของพี่{mentor} อยู่แล้วค่ะ"
MENTOR_JOINED = "น้อง{nickname} ({community}) ย้ายเข้ากลุ่มของพี่แล้วค่ะ ดูได้ที่ \"กลุ่มของฉัน\""
MENTOR_LEFT = "น้อง{nickname} ย้ายไปอยู่กลุ่มของพี่เลี้ยงคนอื่นแล้วค่ะ"


def show(turn: Turn, ctx: Context) -> Outcome:
    """The profile as a readable list, with chips to edit it."""
    user = ctx.user
    if user.role is None:
        return Outcome.reply(replies.text(NOT_REGISTERED, menu_chips()))
    return Outcome.reply(replies.text(profile_text(ctx, user), _edit_chips(ctx, user)))


def profile_text(ctx: Context, user: User) -> str:
    lines = [f"บทบาท: {ROLE_NAMES.get(user.role, '-')}",
             f"{'ชื่อเล่น' if user.role == Role.YOUTH else 'ชื่อ'}: {user.nickname or '-'}",
             f"จังหวัด: {province_name(user.province_code)}"]
    if user.role == Role.YOUTH:
        mentor = ctx.db.get(User, user.mentor_id) if user.mentor_id else None
        lines += [f"ชุมชน: {user.community or '-'}", f"โรงเรียน/กลุ่ม: {user.school or '-'}",
                  f"พี่เลี้ยง: {'พี่' + (mentor.nickname or '') if mentor else 'ยังไม่มี'}",
                  f"สมัครเมื่อ: {thai_date(user.registered_at, ctx.timezone) if user.registered_at else '-'}"]
        if user.status == UserStatus.PENDING_GUARDIAN:
            lines.append("สถานะ: รอผู้ปกครองยืนยัน")
    lines += [f"{label}: {'เปิด' if _notify(user, key) else 'ปิด'}" for key, label in NOTIFY_LABELS.items()]
    return "ข้อมูลของฉัน\n" + "\n".join(f"• {line}" for line in lines)


def _notify(user: User, key: str) -> bool:
    return user.notify_campaigns if key == "campaigns" else user.notify_activities


def _edit_chips(ctx: Context, user: User) -> list:
    fields = FIELDS if user.role == Role.YOUTH else {"nickname": FIELDS["nickname"]}
    chips = [replies.postback_chip(f"แก้{label}", postback.encode("pf.edit", f=key))
             for key, (label, _, _) in fields.items()]
    for key, label in NOTIFY_LABELS.items():
        on = _notify(user, key)
        chips.append(replies.postback_chip(f"{'ปิด' if on else 'เปิด'}{label}",
                                           postback.encode("pf.notify", k=key, v="off" if on else "on")))
    return chips + [replies.say_chip("ข้อมูลส่วนบุคคล")]


def start_edit(turn: Turn, ctx: Context) -> Outcome:
    """A tap on "แก้..." (any time): ask for the new value."""
    field = turn.postback.params.get("f") if turn.postback else None
    if ctx.user.role is None or field not in FIELDS or (field != "nickname" and ctx.user.role != Role.YOUTH):
        return Outcome.end(replies.text(NOT_REGISTERED, menu_chips()))
    return Outcome.goto(FLOW, field, replies.text(_question(ctx.user, field)))


def ask_staff_name(ctx: Context, *before) -> Outcome:
    """Right after a staff code is claimed: the name youth and colleagues will see."""
    return Outcome.goto(FLOW, "nickname", *before, replies.text(STAFF_NAME_QUESTION))


def _question(user: User, field: str) -> str:
    return STAFF_NAME_QUESTION if field == "nickname" and user.role != Role.YOUTH else FIELDS[field][1]


def edit_step(field: str):
    def handler(turn: Turn, ctx: Context) -> Outcome:
        if turn.kind is not TurnKind.TEXT:
            return Outcome.reply(replies.text(f"{TEXT_PLEASE}\n{_question(ctx.user, field)}"))
        text = turn.text or ""
        if access.typed_code(text):  # a code is never a name: use it, and leave the question
            from handlers.codes import use_typed_code

            return _ended(use_typed_code(turn, ctx))
        try:
            value = None if field == "school" and text.strip() in ("ไม่มี", "-") else FIELDS[field][2](text)
        except Refused as refused:
            return Outcome.reply(replies.text(f"{refused}\n{_question(ctx.user, field)}"))
        setattr(ctx.user, field, value)
        people.audit(ctx.db, ctx.now, "profile.edited", ctx.user, ctx.user, field=field)
        return Outcome.end(replies.text(SAVED), replies.text(profile_text(ctx, ctx.user), _edit_chips(ctx, ctx.user)))
    return handler


def _ended(outcome: Outcome) -> Outcome:
    return outcome if outcome.changes_flow else Outcome.end(*outcome.replies)


def set_notifications(turn: Turn, ctx: Context) -> Outcome:
    """Notification switches work from any profile card, old or new (setting a value twice is harmless)."""
    params = turn.postback.params if turn.postback else {}
    key, value = params.get("k"), params.get("v")
    if ctx.user.role is None or key not in NOTIFY_LABELS or value not in ("on", "off"):
        return Outcome.reply(replies.text(NOT_REGISTERED, menu_chips()))
    setattr(ctx.user, f"notify_{key}", value == "on")
    return Outcome.reply(replies.text(f"{SAVED}\n{profile_text(ctx, ctx.user)}", _edit_chips(ctx, ctx.user)))


def change_mentor(code, ctx: Context) -> Outcome:
    """A registered youth sent another mentor's group code: move to that group (the code is used)."""
    youth, mentor = ctx.user, ctx.db.get(User, code.issued_by_user_id)
    if mentor is None or mentor.role != Role.MENTOR:
        return Outcome.reply(replies.text("รหัสกลุ่มนี้ใช้ไม่ได้แล้วค่ะ ขอรหัสใหม่จากพี่เลี้ยง", menu_chips()))
    if youth.mentor_id == mentor.id:
        return Outcome.reply(replies.text(SAME_GROUP.format(mentor=mentor.nickname or ""), menu_chips()))
    previous = ctx.db.get(User, youth.mentor_id) if youth.mentor_id else None
    access.use(code, youth)
    people.assign(ctx.db, youth, mentor, ctx.now)
    fields = {"nickname": youth.nickname, "community": youth.community}
    push_to(ctx.db, [mentor], [replies.text(MENTOR_JOINED.format(**fields))], ctx.now)
    if previous is not None:
        push_to(ctx.db, [previous], [replies.text(MENTOR_LEFT.format(**fields))], ctx.now)
    return Outcome.reply(replies.text(MOVED.format(mentor=mentor.nickname or ""), menu_chips()))


FLOW_DEFINITION = Flow(
    name=FLOW,
    steps={field: edit_step(field) for field in FIELDS},
    start=start_edit,
    entry_actions=frozenset({"pf.edit"}),
)
