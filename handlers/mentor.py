"""A mentor's group in LINE: who is in it (with last activity), confirming a guardian's consent for a
child under 10, taking a youth out of the group, and the group code / QR that youth join with.

```mermaid
flowchart LR
  group["กลุ่มของฉัน"] --> list[numbered list + waiting for guardians]
  list -->|ยืนยันแทนผู้ปกครอง| confirmed[child active]
  list -->|นำน้องออก| pick[type the number] --> sure{confirm by name}
  sure -->|yes| removed[youth told, back with coordinators]
  code["รหัสกลุ่ม"] --> join[code + link + QR] -->|ขอรหัสใหม่| renewed[old code revoked]
```
"""

from __future__ import annotations

from bot import access, people, postback, replies
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.outbox import push_to
from bot.thai import thai_date
from handlers import consent
from handlers.common import NOT_IN_LIST, menu_chips, numbered_choice
from models import Role, User, UserStatus

GROUP_TEXTS = frozenset({"กลุ่มของฉัน", "my group"})
CODE_TEXTS = frozenset({"รหัสกลุ่ม", "qr", "คิวอาร์"})
FLOW = "group"
LIST_LIMIT = 60  # lines in one chat message; the console shows everyone
MENTORS_ONLY = "เมนูนี้สำหรับพี่เลี้ยง อพม. ค่ะ"
EMPTY = "ยังไม่มีน้องในกลุ่มค่ะ ส่งรหัสกลุ่มหรือ QR ให้น้อง ๆ เพื่อเข้ากลุ่ม (พิมพ์ \"รหัสกลุ่ม\")"
HEADER = "กลุ่มของพี่{name}: น้อง {count} คน"
MORE = "…และอีก {count} คน"
PENDING = "รอผู้ปกครองยืนยัน"
PICK = "พิมพ์ลำดับของน้องที่จะนำออกจากกลุ่ม เช่น 2"
SURE = "นำน้อง{nickname} ({community}) ออกจากกลุ่มไหมคะ น้องจะกลับไปรอพี่เลี้ยงกับเจ้าหน้าที่จังหวัด"
REMOVED = "นำน้อง{nickname} ออกจากกลุ่มแล้วค่ะ"
YOUTH_REMOVED = "พี่เลี้ยงนำน้องออกจากกลุ่มแล้วค่ะ เจ้าหน้าที่จังหวัดจะช่วยหาพี่เลี้ยงใหม่ให้ หรือขอรหัสกลุ่มจากพี่เลี้ยงคนใหม่ได้เลย"
KEPT = "ไม่นำออกค่ะ"
NOT_YOURS = "น้องคนนี้ไม่ได้อยู่ในกลุ่มของพี่แล้วค่ะ"
NOT_WAITING = "น้องคนนี้ไม่ได้รอการยืนยันจากผู้ปกครองแล้วค่ะ"
RENEWED = "ยกเลิกรหัสเดิมและออกรหัสใหม่แล้วค่ะ รหัสเดิมใช้ไม่ได้อีก"


def is_mentor(user: User) -> bool:
    return user.role == Role.MENTOR and user.status == UserStatus.ACTIVE


def show_group(turn: Turn, ctx: Context) -> Outcome:
    if not is_mentor(ctx.user):
        return Outcome.reply(replies.text(MENTORS_ONLY, menu_chips()))
    group = people.youth_of(ctx.db, ctx.user)
    if not group:
        return Outcome.reply(replies.text(EMPTY, [replies.say_chip("รหัสกลุ่ม")]))
    return Outcome.reply(replies.text(group_text(ctx, group), _group_chips(group)))


def group_text(ctx: Context, group: list[User]) -> str:
    lines = [HEADER.format(name=ctx.user.nickname or "", count=len(group))]
    for number, youth in enumerate(group[:LIST_LIMIT], start=1):
        seen = thai_date(youth.last_active_at, ctx.timezone) if youth.last_active_at else "-"
        waiting = f" ({PENDING})" if youth.status == UserStatus.PENDING_GUARDIAN else ""
        lines.append(f"{number}. น้อง{youth.nickname} · {youth.community} · ใช้งานล่าสุด {seen}{waiting}")
    if len(group) > LIST_LIMIT:
        lines.append(MORE.format(count=len(group) - LIST_LIMIT))
    return "\n".join(lines)


def _group_chips(group: list[User]) -> list:
    waiting = [youth for youth in group if youth.status == UserStatus.PENDING_GUARDIAN][:10]
    chips = [replies.postback_chip(f"ยืนยัน {youth.nickname}", postback.encode("mg.guardian", y=youth.id),
                                   display_text=f"ยืนยันแทนผู้ปกครองของน้อง{youth.nickname}") for youth in waiting]
    return chips + [replies.postback_chip("นำน้องออกจากกลุ่ม", postback.encode(FLOW)), replies.say_chip("รหัสกลุ่ม")]


def confirm_guardian(turn: Turn, ctx: Context) -> Outcome:
    """"Confirm for the guardian" from a group list (old lists work too: every tap is checked)."""
    child = _own_youth(ctx, turn.postback.params.get("y") if turn.postback else None)
    if child is None:
        return Outcome.reply(replies.text(NOT_YOURS if is_mentor(ctx.user) else MENTORS_ONLY, menu_chips()))
    confirmed = consent.mentor_confirms(ctx, child)
    return Outcome.reply(confirmed or replies.text(NOT_WAITING, menu_chips()))


def _own_youth(ctx: Context, raw_id: str | None) -> User | None:
    """The youth with this id if they are in this mentor's group right now."""
    if not is_mentor(ctx.user) or not (raw_id or "").isdigit():
        return None
    youth = ctx.db.get(User, int(raw_id))
    return youth if youth is not None and youth.mentor_id == ctx.user.id and youth.role == Role.YOUTH else None


def start_remove(turn: Turn, ctx: Context) -> Outcome:
    if not is_mentor(ctx.user):
        return Outcome.end(replies.text(MENTORS_ONLY, menu_chips()))
    group = people.youth_of(ctx.db, ctx.user)
    if not group:
        return Outcome.end(replies.text(EMPTY, menu_chips()))
    return Outcome.goto(FLOW, "pick", replies.text(group_text(ctx, group)), replies.text(PICK))


def pick(turn: Turn, ctx: Context) -> Outcome:
    group = people.youth_of(ctx.db, ctx.user)
    youth = numbered_choice(turn, group)
    if youth is None:
        return Outcome.reply(replies.text(NOT_IN_LIST))
    chips = [replies.postback_chip("ยืนยันนำออก", postback.encode("mg.remove", ctx.token, y=youth.id)),
             replies.postback_chip("ไม่นำออก", postback.encode("mg.keep", ctx.token))]
    return Outcome.goto(FLOW, "sure", replies.text(SURE.format(nickname=youth.nickname, community=youth.community),
                                                   chips))


def sure(turn: Turn, ctx: Context) -> Outcome:
    action = turn.postback.action if turn.kind is TurnKind.POSTBACK and turn.postback else None
    if action == "mg.keep":
        return Outcome.end(replies.text(KEPT))
    if action != "mg.remove":
        return Outcome.reply(replies.text("กด \"ยืนยันนำออก\" หรือ \"ไม่นำออก\" นะคะ"))
    youth = _own_youth(ctx, turn.postback.params.get("y"))
    if youth is None:
        return Outcome.end(replies.text(NOT_YOURS))
    people.remove_from_group(ctx.db, youth, ctx.now, ctx.user)
    push_to(ctx.db, [youth], [replies.text(YOUTH_REMOVED)], ctx.now, include_pending=True)
    return Outcome.end(replies.text(REMOVED.format(nickname=youth.nickname), [replies.say_chip("กลุ่มของฉัน")]))


def show_code(turn: Turn, ctx: Context) -> Outcome:
    """The group code, its link and QR; "ขอรหัสใหม่" revokes the old one."""
    if not is_mentor(ctx.user):
        return Outcome.reply(replies.text(MENTORS_ONLY, menu_chips()))
    renew = turn.kind is TurnKind.POSTBACK and turn.postback is not None and turn.postback.action == "mg.newcode"
    code = access.group_code(ctx.db, ctx.user, ctx.now, renew=renew)
    if renew:
        people.audit(ctx.db, ctx.now, "group_code.renewed", ctx.user, ctx.user)
    messages = join_messages(ctx, code)
    chip = replies.postback_chip("ขอรหัสใหม่", postback.encode("mg.newcode"), display_text="ขอรหัสกลุ่มใหม่")
    return Outcome.reply(*([replies.text(RENEWED)] if renew else []), *messages[:-1],
                         _with_chip(messages[-1], chip))


def join_messages(ctx: Context, code) -> list:
    from bot.joinlink import join_messages as build

    return build(code.code, ctx.settings.line_bot_basic_id, ctx.settings.public_base_url)


def _with_chip(message, chip):
    from linebot.v3.messaging import QuickReply

    message.quick_reply = QuickReply(items=[chip])
    return message


FLOW_DEFINITION = Flow(name=FLOW, steps={"pick": pick, "sure": sure}, start=start_remove,
                       entry_actions=frozenset({FLOW}))
