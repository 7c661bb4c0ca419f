"""Consent in the chat: the privacy notices (one for young people, one for adults, one for parents), the
consent question, and a guardian's confirmation for a child under 10 — from the guardian's own LINE
(they send the code the child forwards to them) or by the child's mentor. The notice texts are versioned
by `bot.privacy.NOTICE_VERSION`: change both together.

```mermaid
flowchart LR
  child[child registers, under 10] --> share[share button: message with code to the guardian]
  share --> guardian[guardian sends the code from their LINE] --> ask[notice + confirm / decline]
  ask -->|confirm| active[child active, child and mentor told]
  ask -->|decline| erased[child's data erased, child told]
  mentor[mentor taps 'confirm for the guardian' in my group] --> active
```
"""

from __future__ import annotations

from urllib.parse import quote

from linebot.v3.messaging import Message

from bot import access, postback, privacy, replies
from bot.access import ClaimResult
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.outbox import enqueue_replies, push_to
from handlers.common import menu_chips
from models import CodeKind, ConfirmedBy, User, UserStatus

PURPOSE = ("บอท อพม.น้อย เก็บข้อมูลเท่าที่จำเป็น เพื่อส่งข่าวและกิจกรรมอาสาให้ตรงพื้นที่ "
           "และส่งเรื่องที่แจ้งถึงพี่เลี้ยง อพม. และเจ้าหน้าที่ที่ต้องช่วยเหลือ")
NOTICES = {
    "youth": ("ก่อนสมัคร อ่านนิดนึงนะคะ 📄\n" + PURPOSE + "\n\n"
              "บอทจะเก็บ: ชื่อเล่น อายุ จังหวัด ชุมชน โรงเรียน (ถ้าบอก) และพี่เลี้ยงของน้อง\n"
              "ใครเห็นบ้าง: พี่เลี้ยงของน้อง และเจ้าหน้าที่ พม. ในจังหวัด เท่านั้น\n"
              "สิทธิ์ของน้อง: ดูข้อมูลของตัวเองได้ตลอด (พิมพ์ \"ข้อมูลส่วนบุคคล\") "
              "ขอลบข้อมูลและเลิกใช้เมื่อไรก็ได้ ไม่ต้องบอกเหตุผล\n"
              "เรื่องที่น้องแจ้งเกี่ยวกับคนอื่น บอทจะเก็บเป็นความลับ ส่งเฉพาะคนที่ต้องช่วยเหลือ\n\n"
              "น้องยินยอมให้บอทเก็บข้อมูลตามนี้ไหมคะ"),
    "adult": ("ประกาศความเป็นส่วนตัว (PDPA)\n" + PURPOSE + "\n\n"
              "ข้อมูลที่เก็บ: ชื่อเล่น อายุ จังหวัด ชุมชน โรงเรียนหรือกลุ่ม (ถ้าให้) และพี่เลี้ยง\n"
              "ผู้เข้าถึง: พี่เลี้ยง อพม. ของคุณ และเจ้าหน้าที่ พมจ./พส. ที่เกี่ยวข้อง\n"
              "สิทธิ์ของคุณ: ขอดูข้อมูล แก้ไข ถอนความยินยอม และขอลบข้อมูลได้ทุกเมื่อ ผ่านคำว่า \"ข้อมูลส่วนบุคคล\"\n\n"
              "คุณยินยอมให้เก็บและใช้ข้อมูลตามวัตถุประสงค์นี้หรือไม่"),
    "guardian": ("สำหรับผู้ปกครอง 📄\n" + PURPOSE + "\n\n"
                 "ข้อมูลของบุตรหลานที่เก็บ: ชื่อเล่น อายุ จังหวัด ชุมชน โรงเรียน (ถ้าให้) และพี่เลี้ยง "
                 "พร้อมชื่อและความเกี่ยวข้องของผู้ปกครอง\n"
                 "ผู้เข้าถึง: พี่เลี้ยง อพม. และเจ้าหน้าที่ พม. ในจังหวัดเท่านั้น\n"
                 "เด็กอายุต่ำกว่า 10 ปี ต้องได้รับความยินยอมจากผู้ปกครองตาม พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล "
                 "ผู้ปกครองขอดูหรือลบข้อมูลได้ทุกเมื่อ\n\n"
                 "ผู้ปกครองยินยอมหรือไม่คะ"),
}
YES_WORDS = frozenset({"ยินยอม", "ยอมรับ", "ตกลง", "ok"})
NO_WORDS = frozenset({"ไม่ยินยอม", "ไม่ยอมรับ", "ไม่ตกลง"})
TAP_PLEASE = "กดปุ่ม \"ยินยอม\" หรือ \"ไม่ยินยอม\" ด้านล่างนะคะ"
ASK_GUARDIAN = ("อีกขั้นเดียวค่ะ: ให้ผู้ปกครองยืนยันจาก LINE ของผู้ปกครองเอง\n"
                "กด \"ส่งให้ผู้ปกครอง\" แล้วเลือกผู้ปกครอง หรือให้ผู้ปกครองพิมพ์ในแชท อพม.น้อย ว่า\n"
                "ยืนยันผู้ปกครอง {code}\n"
                "หรือให้พี่เลี้ยง อพม. ยืนยันแทนหลังคุยกับผู้ปกครองแล้ว ระหว่างนี้บอทจะยังไม่ส่งข่าวให้น้องนะคะ")
SHARE_TEXT = "ช่วยยืนยันให้{nickname}เป็น อพม.น้อย (พม.) {how}"
SHARE_HOW_LINK = "กดลิงก์แล้วกดส่ง {link}"
SHARE_HOW_TEXT = "ในแชท LINE อพม.น้อย พิมพ์ {code}"
MAX_URI = 1000  # LINE's limit on a URI action
GUARDIAN_ASK = ("{relation_line}ผู้ปกครองของน้อง{nickname} อายุ {age} ปี ใช่ไหมคะ\n\n{notice}")
GUARDIAN_OWN_CODE = "รหัสนี้ต้องให้ผู้ปกครองส่งจาก LINE ของผู้ปกครองเองนะคะ กดปุ่ม \"ส่งให้ผู้ปกครอง\" เพื่อส่งต่อ"
GUARDIAN_NOT_WAITING = "น้องคนนี้ไม่ได้รอการยืนยันจากผู้ปกครองแล้วค่ะ ขอบคุณค่ะ"
GUARDIAN_THANKS = "ขอบคุณค่ะ บันทึกความยินยอมของผู้ปกครองแล้ว น้อง{nickname}เริ่มใช้ อพม.น้อย ได้เลย"
GUARDIAN_DECLINED = "รับทราบค่ะ บอทลบข้อมูลของน้องแล้ว ขอบคุณที่แจ้งค่ะ"
CHILD_CONFIRMED = "ผู้ปกครองยืนยันแล้วค่ะ 🎉 น้อง{nickname}ใช้ อพม.น้อย ได้เต็มที่แล้ว"
CHILD_CONFIRMED_BY_MENTOR = "พี่เลี้ยงยืนยันว่าผู้ปกครองยินยอมแล้วค่ะ 🎉 น้อง{nickname}ใช้ อพม.น้อย ได้เต็มที่แล้ว"
CHILD_DECLINED = "ผู้ปกครองไม่ยินยอม บอทจึงลบข้อมูลของน้องแล้วค่ะ ถ้ามีใครตกอยู่ในอันตราย โทร 191 1669 หรือ 1300 ได้เสมอ"
MENTOR_CONFIRMED = "บันทึกแล้วค่ะ: ผู้ปกครองของน้อง{nickname}ยินยอม (พี่ยืนยันแทน)"
GUARDIAN_FLOW = "guardian"


def consent_question(audience: str, token: str, problem: str | None = None) -> Message:
    text = NOTICES[audience] if problem is None else f"{problem}\n\n{NOTICES[audience]}"
    yes = "ผู้ปกครองยินยอม" if audience == "guardian" else "ยินยอม"
    return replies.text(text, [replies.postback_chip(yes, postback.encode("consent", token, v="yes")),
                               replies.postback_chip("ไม่ยินยอม", postback.encode("consent", token, v="no"))])


def consent_answer(turn: Turn) -> bool | None:
    """True / False for a tap (or a typed yes or no), None for anything else."""
    if turn.kind is TurnKind.POSTBACK and turn.postback and turn.postback.action == "consent":
        return {"yes": True, "no": False}.get(turn.postback.params.get("v", ""))
    if turn.kind is TurnKind.TEXT:
        typed = (turn.text or "").strip().lower()
        return True if typed in YES_WORDS else False if typed in NO_WORDS else None
    return None


def ask_guardian_to_confirm(ctx: Context, child: User) -> Message:
    """The message that lets the child forward a confirmation request (with a fresh code) to a guardian."""
    code = access.guardian_code(ctx.db, child, ctx.now).code
    basic_id = ctx.settings.line_bot_basic_id
    if basic_id:  # the link pre-fills the bare code: short, and any code is recognised by itself
        from bot.joinlink import deep_link

        how = SHARE_HOW_LINK.format(link=deep_link(basic_id, code))
    else:
        how = SHARE_HOW_TEXT.format(code=code)
    share = "https://line.me/R/share?text=" + quote(SHARE_TEXT.format(nickname=child.nickname, how=how))
    chips = [replies.uri_chip("ส่งให้ผู้ปกครอง", share)] if len(share) <= MAX_URI else []
    return replies.text(ASK_GUARDIAN.format(code=code), chips)


# ------------------------------------------------------------------------------------- guardian's side


def guardian_start(code, ctx: Context) -> Outcome:
    """A guardian sent the child's code: show the notice and ask them to confirm."""
    child = ctx.db.get(User, code.subject_user_id)
    if child is None or child.id == ctx.user.id:
        return Outcome.reply(replies.text(GUARDIAN_OWN_CODE, menu_chips()))
    consent = privacy.pending_guardian_consent(ctx.db, child)
    if consent is None or child.status != UserStatus.PENDING_GUARDIAN:
        return Outcome.reply(replies.text(GUARDIAN_NOT_WAITING, menu_chips()))
    relation = f"คุณ{consent.guardian_name} ({consent.guardian_relation}) " if consent.guardian_name else ""
    text = GUARDIAN_ASK.format(relation_line=relation, nickname=child.nickname, age=child.age_years,
                               notice=NOTICES["guardian"])
    chips = [replies.postback_chip("ยืนยัน ยินยอม", postback.encode("consent", ctx.token, v="yes")),
             replies.postback_chip("ไม่ยินยอม", postback.encode("consent", ctx.token, v="no"))]
    return Outcome.goto(GUARDIAN_FLOW, "decide", replies.text(text, chips),
                        data={"child": child.id, "code": code.code})


def guardian_decides(turn: Turn, ctx: Context) -> Outcome:
    answer = consent_answer(turn)
    if answer is None:
        return Outcome.reply(replies.text(TAP_PLEASE))
    child = ctx.db.get(User, ctx.data["child"])
    result, code = access.check(ctx.db, ctx.user, ctx.data["code"], ctx.now, frozenset({CodeKind.GUARDIAN}))
    if child is None or result is not ClaimResult.OK or code.subject_user_id != child.id:
        return Outcome.end(replies.text(GUARDIAN_NOT_WAITING, menu_chips()))
    access.use(code, ctx.user)
    if answer:
        return _guardian_confirms(ctx, child)
    child_line_id = child.line_user_id
    privacy.erase(ctx.db, child, ctx.now)
    enqueue_replies(ctx.db, child_line_id, [replies.text(CHILD_DECLINED)], ctx.now)
    return Outcome.end(replies.text(GUARDIAN_DECLINED, menu_chips()))


def _guardian_confirms(ctx: Context, child: User) -> Outcome:
    if not privacy.confirm_guardian_consent(ctx.db, child, ctx.user, ConfirmedBy.GUARDIAN, ctx.now):
        return Outcome.end(replies.text(GUARDIAN_NOT_WAITING, menu_chips()))
    push_to(ctx.db, [child], [replies.text(CHILD_CONFIRMED.format(nickname=child.nickname))], ctx.now)
    mentor = ctx.db.get(User, child.mentor_id) if child.mentor_id else None
    if mentor is not None:
        push_to(ctx.db, [mentor], [replies.text(f"ผู้ปกครองของน้อง{child.nickname}ยืนยันความยินยอมแล้วค่ะ")],
                ctx.now)
    return Outcome.end(replies.text(GUARDIAN_THANKS.format(nickname=child.nickname), menu_chips()))


def mentor_confirms(ctx: Context, child: User) -> Message | None:
    """The child's mentor confirms for the guardian; None if nothing was waiting."""
    if not privacy.confirm_guardian_consent(ctx.db, child, ctx.user, ConfirmedBy.MENTOR, ctx.now):
        return None
    push_to(ctx.db, [child], [replies.text(CHILD_CONFIRMED_BY_MENTOR.format(nickname=child.nickname))], ctx.now)
    return replies.text(MENTOR_CONFIRMED.format(nickname=child.nickname))


def _guardian_start_again(turn: Turn, ctx: Context) -> Outcome:  # the flow is only entered by a code
    return Outcome.end(replies.text(GUARDIAN_NOT_WAITING, menu_chips()))


GUARDIAN_FLOW_DEFINITION = Flow(name=GUARDIAN_FLOW, steps={"decide": guardian_decides}, start=_guardian_start_again)
