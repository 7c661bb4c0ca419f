"""Coordinators in LINE: the province's mentors, youth waiting for a mentor, assigning one, and mentor
invite codes. A national coordinator (or an admin) sees every province and picks one for an invite.

```mermaid
flowchart LR
  mentors["พี่เลี้ยงในจังหวัด"] --> mlist[mentors + group sizes]
  waiting["เยาวชนรอพี่เลี้ยง"] --> wlist[numbered youth] -->|มอบหมายพี่เลี้ยง| y[youth number] --> m[mentor number]
  m --> sure{confirm by names} -->|yes| assigned[youth and mentor told]
  invite["ออกรหัสพี่เลี้ยง"] -->|provincial| code[code + expiry]
  invite -->|national| province[province search] --> code
```
"""

from __future__ import annotations

import datetime as dt

from bot import access, people, postback, replies
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.outbox import push_to
from bot.thai import Province, thai_date
from handlers.common import NOT_IN_LIST, menu_chips, numbered_choice, province_answer, province_chips, province_name
from models import CodeKind, Role, User, UserStatus

MENTORS_TEXTS = frozenset({"พี่เลี้ยงในจังหวัด", "รายชื่อพี่เลี้ยง"})
WAITING_TEXTS = frozenset({"เยาวชนรอพี่เลี้ยง", "น้องรอพี่เลี้ยง"})
INVITE_TEXTS = frozenset({"ออกรหัสพี่เลี้ยง"})
ASSIGN_FLOW, INVITE_FLOW = "assign", "invite"
INVITE_LIFETIME = dt.timedelta(days=14)
LIST_LIMIT = 60
STAFF_ONLY = "เมนูนี้สำหรับผู้ประสานงานค่ะ"
NO_MENTORS = "ยังไม่มีพี่เลี้ยงใน{area}ค่ะ ออกรหัสให้พี่เลี้ยงได้ที่ \"ออกรหัสพี่เลี้ยง\""
NO_WAITING = "ไม่มีน้องที่รอพี่เลี้ยงใน{area}ค่ะ 👍"
PICK_YOUTH = "พิมพ์ลำดับของน้องที่จะมอบหมาย เช่น 1"
PICK_MENTOR = "มอบหมายน้อง{nickname} ให้พี่เลี้ยงคนไหนคะ พิมพ์ลำดับ\n{mentors}"
SURE = "มอบหมายน้อง{youth} ({community}) ให้พี่{mentor} ไหมคะ"
ASSIGNED = "มอบหมายน้อง{youth} ให้พี่{mentor} แล้วค่ะ ทั้งสองคนได้รับแจ้งแล้ว"
STALE = "รายชื่อเปลี่ยนไปแล้วค่ะ (น้องอาจมีพี่เลี้ยงแล้ว) ลองเปิด \"เยาวชนรอพี่เลี้ยง\" อีกครั้ง"
TO_YOUTH = "น้องมีพี่เลี้ยงแล้วค่ะ: พี่{mentor} 🎉"
TO_MENTOR = "เจ้าหน้าที่มอบหมายน้อง{youth} ({community}) ให้อยู่ในกลุ่มของพี่แล้วค่ะ ดูได้ที่ \"กลุ่มของฉัน\""
ASK_PROVINCE = "ออกรหัสพี่เลี้ยงของจังหวัดไหนคะ พิมพ์ชื่อจังหวัด เช่น เชียงใหม่"
NO_PROVINCE = "ไม่พบจังหวัดนี้ค่ะ ลองพิมพ์ใหม่ เช่น เชียงใหม่ หรือ Chiang Mai"
INVITE = ("รหัสสำหรับพี่เลี้ยง อพม. {area}: {code}\n"
          "ใช้ได้ 1 คน หมดอายุ {expires}\n"
          "ส่งรหัสนี้ให้พี่เลี้ยง แล้วให้พิมพ์รหัสในแชท อพม.น้อย")


def is_coordinator(user: User) -> bool:
    return user.role in (Role.COORDINATOR, Role.ADMIN) and user.status == UserStatus.ACTIVE


def area(province_code: str | None) -> str:
    return f"จังหวัด{province_name(province_code)}" if province_code else "ทุกจังหวัด"


def show_mentors(turn: Turn, ctx: Context) -> Outcome:
    if not is_coordinator(ctx.user):
        return Outcome.reply(replies.text(STAFF_ONLY, menu_chips()))
    summaries = people.mentors_in(ctx.db, ctx.user.province_code)
    if not summaries:
        return Outcome.reply(replies.text(NO_MENTORS.format(area=area(ctx.user.province_code)),
                                          [replies.say_chip("ออกรหัสพี่เลี้ยง")]))
    lines = [f"พี่เลี้ยงใน{area(ctx.user.province_code)}: {len(summaries)} คน"]
    for number, item in enumerate(summaries[:LIST_LIMIT], start=1):
        seen = thai_date(item.mentor.last_active_at, ctx.timezone) if item.mentor.last_active_at else "-"
        lines.append(f"{number}. พี่{item.mentor.nickname or '-'} · {province_name(item.mentor.province_code, '-')} · "
                     f"น้อง {item.youth_count} คน · ใช้งานล่าสุด {seen}")
    return Outcome.reply(replies.text("\n".join(lines), [replies.say_chip("เยาวชนรอพี่เลี้ยง")]))


def show_waiting(turn: Turn, ctx: Context) -> Outcome:
    if not is_coordinator(ctx.user):
        return Outcome.reply(replies.text(STAFF_ONLY, menu_chips()))
    waiting = people.unassigned_youth(ctx.db, ctx.user.province_code)
    if not waiting:
        return Outcome.reply(replies.text(NO_WAITING.format(area=area(ctx.user.province_code)), menu_chips()))
    return Outcome.reply(replies.text(_waiting_text(ctx, waiting),
                                      [replies.postback_chip("มอบหมายพี่เลี้ยง", postback.encode(ASSIGN_FLOW))]))


def _waiting_text(ctx: Context, waiting: list[User]) -> str:
    lines = [f"น้องที่รอพี่เลี้ยงใน{area(ctx.user.province_code)}: {len(waiting)} คน"]
    for number, youth in enumerate(waiting[:LIST_LIMIT], start=1):
        since = thai_date(youth.registered_at, ctx.timezone) if youth.registered_at else "-"
        lines.append(f"{number}. น้อง{youth.nickname} · {province_name(youth.province_code, '-')} · {youth.community} · "
                     f"สมัคร {since}")
    return "\n".join(lines)


def start_assign(turn: Turn, ctx: Context) -> Outcome:
    if not is_coordinator(ctx.user):
        return Outcome.end(replies.text(STAFF_ONLY, menu_chips()))
    waiting = people.unassigned_youth(ctx.db, ctx.user.province_code)
    if not waiting:
        return Outcome.end(replies.text(NO_WAITING.format(area=area(ctx.user.province_code)), menu_chips()))
    return Outcome.goto(ASSIGN_FLOW, "youth", replies.text(_waiting_text(ctx, waiting)), replies.text(PICK_YOUTH),
                        data={})


def pick_youth(turn: Turn, ctx: Context) -> Outcome:
    waiting = people.unassigned_youth(ctx.db, ctx.user.province_code)
    youth = numbered_choice(turn, waiting)
    if youth is None:
        return Outcome.reply(replies.text(NOT_IN_LIST))
    mentors = people.mentors_in(ctx.db, youth.province_code)
    if not mentors:
        return Outcome.end(replies.text(NO_MENTORS.format(area=area(youth.province_code)),
                                        [replies.say_chip("ออกรหัสพี่เลี้ยง")]))
    listing = "\n".join(f"{n}. พี่{m.mentor.nickname or '-'} (น้อง {m.youth_count} คน)"
                        for n, m in enumerate(mentors[:LIST_LIMIT], start=1))
    return Outcome.goto(ASSIGN_FLOW, "mentor", replies.text(PICK_MENTOR.format(nickname=youth.nickname,
                                                                               mentors=listing)),
                        data={"youth": youth.id})


def pick_mentor(turn: Turn, ctx: Context) -> Outcome:
    youth = ctx.db.get(User, ctx.data["youth"])
    mentor_summary = numbered_choice(turn, people.mentors_in(ctx.db, youth.province_code) if youth else [])
    if mentor_summary is None:
        return Outcome.reply(replies.text(NOT_IN_LIST))
    mentor = mentor_summary.mentor
    chips = [replies.postback_chip("ยืนยัน", postback.encode("as.yes", ctx.token)),
             replies.postback_chip("ไม่ใช่", postback.encode("as.no", ctx.token))]
    text = SURE.format(youth=youth.nickname, community=youth.community, mentor=mentor.nickname or "")
    return Outcome.goto(ASSIGN_FLOW, "sure", replies.text(text, chips), data={**ctx.data, "mentor": mentor.id})


def assign_sure(turn: Turn, ctx: Context) -> Outcome:
    action = turn.postback.action if turn.kind is TurnKind.POSTBACK and turn.postback else None
    if action == "as.no":
        return Outcome.end(replies.text("ยกเลิกการมอบหมายค่ะ", menu_chips()))
    if action != "as.yes":
        return Outcome.reply(replies.text("กด \"ยืนยัน\" หรือ \"ไม่ใช่\" นะคะ"))
    youth, mentor = ctx.db.get(User, ctx.data["youth"]), ctx.db.get(User, ctx.data["mentor"])
    if not _still_assignable(ctx, youth, mentor):
        return Outcome.end(replies.text(STALE))
    people.assign(ctx.db, youth, mentor, ctx.now, actor=ctx.user)
    push_to(ctx.db, [youth], [replies.text(TO_YOUTH.format(mentor=mentor.nickname or ""))], ctx.now,
            include_pending=True)
    push_to(ctx.db, [mentor], [replies.text(TO_MENTOR.format(youth=youth.nickname, community=youth.community))],
            ctx.now)
    return Outcome.end(replies.text(ASSIGNED.format(youth=youth.nickname, mentor=mentor.nickname or "")))


def _still_assignable(ctx: Context, youth: User | None, mentor: User | None) -> bool:
    in_area = ctx.user.province_code is None or (youth is not None and youth.province_code == ctx.user.province_code)
    return (youth is not None and mentor is not None and youth.role == Role.YOUTH and youth.mentor_id is None
            and mentor.role == Role.MENTOR and mentor.province_code == youth.province_code and in_area)


def start_invite(turn: Turn, ctx: Context) -> Outcome:
    if not is_coordinator(ctx.user):
        return Outcome.end(replies.text(STAFF_ONLY, menu_chips()))
    if ctx.user.province_code is not None:
        return Outcome.end(_invite(ctx, ctx.user.province_code))
    return Outcome.goto(INVITE_FLOW, "province", replies.text(ASK_PROVINCE))


def invite_province(turn: Turn, ctx: Context) -> Outcome:
    answer = province_answer(turn, "inv.province")
    if isinstance(answer, Province):
        return Outcome.end(_invite(ctx, answer.code))
    if not answer:
        return Outcome.reply(replies.text(NO_PROVINCE))
    return Outcome.reply(province_chips(answer, "inv.province", ctx.token))


def _invite(ctx: Context, province_code: str):
    code = access.issue(ctx.db, CodeKind.MENTOR_INVITE, ctx.now, province_code, INVITE_LIFETIME,
                        issued_by_user_id=ctx.user.id)
    people.audit(ctx.db, ctx.now, "mentor_invite.issued", ctx.user, None, province=province_code)
    return replies.text(INVITE.format(area=area(province_code), code=code.code,
                                      expires=thai_date(code.expires_at, ctx.timezone)))


ASSIGN_FLOW_DEFINITION = Flow(name=ASSIGN_FLOW, steps={"youth": pick_youth, "mentor": pick_mentor,
                                                       "sure": assign_sure},
                              start=start_assign, entry_actions=frozenset({ASSIGN_FLOW}))
INVITE_FLOW_DEFINITION = Flow(name=INVITE_FLOW, steps={"province": invite_province}, start=start_invite,
                              entry_texts=INVITE_TEXTS)
