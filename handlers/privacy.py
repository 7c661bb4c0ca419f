"""My data (PDPA rights) in the chat: a readable summary of everything the bot holds about the person,
and withdrawing consent, which erases their data (see `bot.privacy.erase`).

```mermaid
flowchart LR
  mine["ข้อมูลส่วนบุคคล"] --> summary[what is held, why, who sees it + delete chip]
  summary -->|ลบข้อมูล| confirm{sure?}
  confirm -->|yes| erased[data erased, menu unlinked, goodbye]
  confirm -->|no| kept[nothing changes]
```
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot import people, postback, privacy, replies
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.outbox import push_to
from bot.thai import thai_date
from handlers.common import ROLE_NAMES, menu_chips, province_name
from handlers.consent import PURPOSE
from models import ActivityResponse, ConsentKind, InboxEvent, Report, Role, User

SHOW_TEXTS = frozenset({"ข้อมูลส่วนบุคคล", "ข้อมูลส่วนตัว", "my data", "pdpa"})
ERASE_TEXTS = frozenset({"ลบข้อมูล", "ลบบัญชี", "ถอนความยินยอม", "delete my data"})
FLOW = "erase"
NOTHING_HELD = ("บอทยังไม่ได้เก็บข้อมูลส่วนตัวของคุณค่ะ มีเพียงรหัสผู้ใช้ LINE และข้อความที่ส่งมา "
                "ซึ่งใช้ตอบกลับเท่านั้น")
CONFIRM = ("ยืนยันการลบข้อมูลไหมคะ\n"
           "บอทจะลบชื่อเล่น อายุ ชุมชน โรงเรียน พี่เลี้ยง และข้อความที่เคยส่งมา และจะไม่ส่งข่าวให้อีก\n"
           "เรื่องที่เคยแจ้งไว้จะยังอยู่กับเจ้าหน้าที่เพื่อช่วยคนที่เดือดร้อน แต่จะไม่มีชื่อของคุณ")
ERASED = ("ลบข้อมูลเรียบร้อยแล้วค่ะ ขอบคุณที่เป็นส่วนหนึ่งของ อพม.น้อย 🌱\n"
          "ถ้าอยากกลับมา พิมพ์ \"สมัคร\" ได้ทุกเมื่อ")
KEPT = "ไม่ลบค่ะ ข้อมูลยังอยู่เหมือนเดิม"
TAP_PLEASE = "กด \"ยืนยันลบข้อมูล\" หรือ \"ไม่ลบ\" นะคะ"
MENTOR_LEFT = "พี่เลี้ยง{name} ลบบัญชีแล้วค่ะ น้อง {count} คน รอพี่เลี้ยงใหม่ ดูได้ที่ \"เยาวชนรอพี่เลี้ยง\""
CONFIRMED_BY = {"self": "ตัวเอง", "guardian": "ผู้ปกครองทาง LINE", "mentor": "พี่เลี้ยง (แทนผู้ปกครอง)"}


def show(turn: Turn, ctx: Context) -> Outcome:
    """What the bot holds about this person, why, and who sees it."""
    if ctx.user.role is None:
        return Outcome.reply(replies.text(NOTHING_HELD, menu_chips()))
    lines = _profile_lines(ctx, ctx.user) + _consent_lines(ctx, ctx.user) + _activity_lines(ctx, ctx.user)
    text = "ข้อมูลที่บอทเก็บเกี่ยวกับคุณ\n" + "\n".join(f"• {line}" for line in lines) + f"\n\nใช้เพื่อ: {PURPOSE}"
    chips = [replies.say_chip("ข้อมูลของฉัน"), replies.postback_chip("ลบข้อมูลและเลิกใช้", postback.encode(FLOW))]
    return Outcome.reply(replies.text(text, chips))


def _profile_lines(ctx: Context, user: User) -> list[str]:
    lines = [f"บทบาท: {ROLE_NAMES.get(user.role, '-')}", f"ชื่อ: {user.nickname or '-'}",
             f"จังหวัด: {province_name(user.province_code)}"]
    if user.role == Role.YOUTH:
        mentor = ctx.db.get(User, user.mentor_id) if user.mentor_id else None
        told = thai_date(user.age_recorded_at, ctx.timezone) if user.age_recorded_at else "-"
        lines += [f"อายุที่บอกไว้: {user.age_years} ปี (เมื่อ {told})", f"ชุมชน: {user.community or '-'}",
                  f"โรงเรียน/กลุ่ม: {user.school or '-'}",
                  f"พี่เลี้ยง: {'พี่' + (mentor.nickname or '') if mentor else 'ยังไม่มี'}"]
    lines.append(f"รับข่าว: {'เปิด' if user.notify_campaigns else 'ปิด'} / "
                 f"เตือนกิจกรรม: {'เปิด' if user.notify_activities else 'ปิด'}")
    return lines


def _consent_lines(ctx: Context, user: User) -> list[str]:
    consent = privacy.current_consent(ctx.db, user)
    if consent is None:
        return []
    when = thai_date(consent.given_at, ctx.timezone)
    lines = [f"ความยินยอม: ประกาศฉบับ {consent.notice_version} เมื่อ {when}"]
    if consent.kind == ConsentKind.GUARDIAN:
        status = CONFIRMED_BY.get(consent.confirmed_by or "", "") or "รอผู้ปกครองยืนยัน"
        lines.append(f"ผู้ปกครอง: {consent.guardian_name} ({consent.guardian_relation}) ยืนยันโดย: {status}")
    return lines


def _activity_lines(ctx: Context, user: User) -> list[str]:
    count = ctx.db.scalar(select(func.count()).select_from(InboxEvent)
                          .where(InboxEvent.source_user_id == user.line_user_id))
    last = thai_date(user.last_active_at, ctx.timezone) if user.last_active_at else "-"
    lines = [f"ข้อความและการกดปุ่มที่บอทบันทึกไว้: {count} รายการ", f"ใช้งานล่าสุด: {last}"]
    reported = ctx.db.scalar(select(func.count()).select_from(Report).where(Report.reporter_id == user.id))
    if reported:
        lines.append(f"เรื่องที่แจ้ง: {reported} เรื่อง (พี่เลี้ยงและผู้ประสานงานที่ดูแลเห็น รายละเอียดถูกลบ "
                     f"{ctx.settings.report_purge_days} วันหลังปิดเรื่อง)")
    answers = ctx.db.scalar(select(func.count()).select_from(ActivityResponse)
                            .where(ActivityResponse.user_id == user.id))
    if answers:
        lines.append(f"กิจกรรมที่ตอบรับหรือเข้าร่วม: {answers} รายการ (รวมเวลาเช็กอินและชั่วโมงอาสาที่พี่เลี้ยงยืนยัน)")
    return lines


def start(turn: Turn, ctx: Context) -> Outcome:
    if ctx.user.role is None:
        return Outcome.end(replies.text(NOTHING_HELD, menu_chips()))
    chips = [replies.postback_chip("ยืนยันลบข้อมูล", postback.encode("erase.yes", ctx.token)),
             replies.postback_chip("ไม่ลบ", postback.encode("erase.no", ctx.token))]
    return Outcome.goto(FLOW, "confirm", replies.text(CONFIRM, chips))


def confirm(turn: Turn, ctx: Context) -> Outcome:
    action = turn.postback.action if turn.kind is TurnKind.POSTBACK and turn.postback else None
    if action == "erase.no":
        return Outcome.end(replies.text(KEPT, menu_chips()))
    if action != "erase.yes":
        return Outcome.reply(replies.text(TAP_PLEASE))
    erase_account(ctx)
    return Outcome.end(replies.text(ERASED))


def erase_account(ctx: Context) -> None:
    """Erase the person's data, unlink their menu, and tell coordinators if a mentor's group is left alone."""
    from bot import richmenus

    user, line_user_id = ctx.user, ctx.user.line_user_id
    group = people.youth_of(ctx.db, user) if user.role == Role.MENTOR else []
    name, province = user.nickname or "", user.province_code
    privacy.erase(ctx.db, user, ctx.now)
    richmenus.queue_unlink(ctx.db, line_user_id, ctx.now)
    if group:
        news = replies.text(MENTOR_LEFT.format(name=name, count=len(group)), [replies.say_chip("เยาวชนรอพี่เลี้ยง")])
        push_to(ctx.db, people.coordinators_of(ctx.db, province), [news], ctx.now)


FLOW_DEFINITION = Flow(name=FLOW, steps={"confirm": confirm}, start=start,
                       entry_actions=frozenset({FLOW}), entry_texts=ERASE_TEXTS)
