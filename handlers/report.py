"""A youth flags a problem in their community (แจ้งปัญหา / แจ้งเหตุ), and follows what happened to it
(เรื่องที่แจ้ง). All Thai text of the youth's side is here.

```mermaid
flowchart TD
  start[แจ้งปัญหา] --> danger{someone in danger now?}
  danger -->|yes| sos[numbers 191 / 1669 / 1300 at once + send-location chip;\nurgent report sent to the mentor now]
  danger -->|no| describe
  sos --> describe[what happened] --> category[category: suggested from the words, youth confirms]
  category --> place[where: location pin or typed place] --> photos[photos, optional, with the safety warning]
  photos --> contact[may we contact you?] --> confirm[summary, confirm] --> sent[reference number + what happens next]
```

The step is always the first answer still missing, so resuming after an interruption lands on the right
question. Nothing is sent before the confirm, except an urgent report: it is created and routed the moment
the youth says someone is in danger, and what they add later is sent on to the same people.
"""

from __future__ import annotations

import unicodedata

from bot import postback, replies
from bot.escalation import route
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.report_cards import STATUS_LABELS
from bot.report_categories import CATEGORIES, UNSPECIFIED, find, label_of, suggest
from bot.reports import attach_photos, open_report, reports_of
from bot.textinput import normalised
from bot.thai import thai_date
from handlers import common, report_attachments, report_submit
from models import Report, ReportStatus, Role, UserStatus

FLOW = "report"
START_TEXTS = frozenset({"แจ้งปัญหา", "แจ้งเหตุ", "แจ้งเรื่อง", "report"})
MY_REPORTS_TEXTS = ("เรื่องที่แจ้ง", "เรื่องที่ฉันแจ้ง", "my reports")
DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 1000
PIN_RECEIVED = "ได้รับตำแหน่งแล้วค่ะ"
PLACE_MAX, MAX_PHOTOS = report_attachments.PLACE_MAX, report_attachments.MAX_PHOTOS

ASK_DANGER = ("ตอนนี้มีใครตกอยู่ในอันตราย หรือต้องการความช่วยเหลือด่วนไหมคะ\n"
              "(เช่น กำลังถูกทำร้าย บาดเจ็บ หายตัว หรือถูกขังอยู่)")
CHIP_DANGER, CHIP_NOT_NOW = "ใช่ อันตรายตอนนี้", "ไม่ใช่ตอนนี้"
DANGER_NOW = ("🚨 ถ้ามีคนตกอยู่ในอันตรายตอนนี้ โทรเลย ไม่ต้องรอ\n"
              "📞 191 ตำรวจ เหตุร้ายหรืออันตราย\n📞 1669 เจ็บป่วยฉุกเฉิน\n📞 1300 ศูนย์ช่วยเหลือสังคม 24 ชั่วโมง")
DANGER_SENT = ("ส่งเรื่องด่วน {ref} ถึง{who}แล้วค่ะ\n"
               "ถ้าปลอดภัยพอ กด 📍 ส่งตำแหน่ง ให้{who}รู้ว่าที่ไหน\n"
               "แล้วเล่าสั้น ๆ ว่าเกิดอะไรขึ้น (พิมพ์ได้เลย) อย่าเข้าไปใกล้หรือเผชิญหน้ากับใครนะคะ")
ASK_DESCRIBE = "เล่าสั้น ๆ ว่าเกิดอะไรขึ้น กับใคร (ไม่ต้องบอกชื่อจริงของคนอื่น) พิมพ์ได้เลยค่ะ"
ASK_CATEGORY = "เรื่องนี้เป็นเรื่องประเภทไหนคะ กดเลือกด้านล่าง"
ASK_CATEGORY_SUGGESTED = "ดูเหมือนเป็นเรื่อง \"{label}\" ใช่ไหมคะ กดยืนยัน หรือเลือกประเภทอื่นด้านล่าง"
ASK_PLACE = ("เกิดที่ไหนคะ กด 📍 ส่งตำแหน่ง หรือพิมพ์ชื่อสถานที่ เช่น ตลาดสดหน้าวัด หมู่ 3\n"
             "ถ้าไม่แน่ใจ กด \"ไม่ทราบที่แน่ชัด\"")
ASK_PHOTOS = ("มีรูปประกอบไหมคะ ส่งได้ไม่เกิน {max} รูป\n"
              "⚠️ ห้ามถ่ายหน้าคน อย่าเข้าไปใกล้หรือเผชิญหน้ากับใคร และอย่าถ่ายถ้าไม่ปลอดภัย "
              "ความปลอดภัยของน้องสำคัญที่สุด")
ASK_CONTACT = "ถ้าพี่เลี้ยงหรือเจ้าหน้าที่อยากถามเพิ่ม ติดต่อน้องทางแชทนี้ได้ไหมคะ"
CHIP_LOCATION, CHIP_PLACE_UNKNOWN = "📍 ส่งตำแหน่ง", "ไม่ทราบที่แน่ชัด"
CHIP_NO_PHOTOS, CHIP_PHOTOS_DONE = "ไม่มีรูป", "ส่งรูปครบแล้ว"
CHIP_CONTACT_OK, CHIP_NO_CONTACT = "ติดต่อได้", "ไม่สะดวก"
CHIP_SEND, CHIP_CANCEL = "ยืนยันส่งเรื่อง", "ยกเลิก"
YES_WORDS = frozenset({"ใช่", "ใช่ค่ะ", "ใช่ครับ", "ช่วยด้วย", "ด่วน", CHIP_DANGER})
NO_WORDS = frozenset({"ไม่", "ไม่ใช่", "ไม่ค่ะ", "ไม่ครับ", CHIP_NOT_NOW})
ONLY_YOUTH = ("การแจ้งปัญหาผ่านแชทนี้สำหรับ อพม.น้อย ที่สมัครแล้วค่ะ\n\n" + common.EMERGENCY)
STAFF_HINT = "พี่ดูเรื่องที่น้อง ๆ แจ้งได้ที่ \"เรื่องที่ต้องดูแล\" ค่ะ"
PHOTO_ONLY = "ขั้นนี้รับเฉพาะรูปภาพค่ะ (วิดีโอ เสียง และไฟล์ยังรับไม่ได้)"


def start(turn: Turn, ctx: Context) -> Outcome:
    """แจ้งปัญหา: for registered youth; anyone else still gets the emergency numbers."""
    if ctx.user.role in (Role.MENTOR, Role.COORDINATOR, Role.ADMIN):
        return Outcome.reply(replies.text(STAFF_HINT, [replies.say_chip("เรื่องที่ต้องดูแล")]))
    if ctx.user.role != Role.YOUTH or ctx.user.status not in (UserStatus.ACTIVE, UserStatus.PENDING_GUARDIAN):
        return Outcome.reply(replies.text(ONLY_YOUTH, common.emergency_chips()))
    if ctx.flow == FLOW and _has_draft(ctx.data):
        return Outcome.goto(FLOW, "resume", replies.text(
            "มีเรื่องที่เล่าค้างไว้ค่ะ จะเล่าต่อ หรือเริ่มเรื่องใหม่", [
                replies.postback_chip("เล่าต่อ", postback.encode("rp.resume", ctx.token, go="on")),
                replies.postback_chip("เริ่มเรื่องใหม่", postback.encode("rp.resume", ctx.token, go="new"))]))
    return _ask_danger(ctx, {})


def resume(turn: Turn, ctx: Context) -> Outcome:
    choice = turn.postback.params.get("go") if turn.postback else None
    if choice == "on":
        return ask_next(ctx, ctx.data)
    if choice == "new":
        return _ask_danger(ctx, {})
    return Outcome.reply(replies.text("กด \"เล่าต่อ\" หรือ \"เริ่มเรื่องใหม่\" ค่ะ"))


def _has_draft(data: dict) -> bool:
    return any(key in data for key in ("description", "report_id", "photo_ids"))


def _ask_danger(ctx: Context, data: dict) -> Outcome:
    chips = [replies.postback_chip(CHIP_DANGER, postback.encode("rp.danger", ctx.token, yes=1)),
             replies.postback_chip(CHIP_NOT_NOW, postback.encode("rp.danger", ctx.token, yes=0)),
             *common.emergency_chips()]
    return Outcome.goto(FLOW, "danger", replies.text(ASK_DANGER, chips), data=data)


def answer_danger(turn: Turn, ctx: Context) -> Outcome:
    answer = _yes_no(turn)
    if answer is None:
        return _ask_danger(ctx, ctx.data)
    data = {**ctx.data, "urgent": answer}
    if not answer:
        return ask_next(ctx, data)
    report = open_report(ctx.db, ctx.user, ctx.now, category=UNSPECIFIED, urgent=True, submitted=False)
    attach_photos(ctx.db, report, data.get("photo_ids", []), ctx.user)
    route(ctx.db, report, ctx.now, ctx.settings)
    data["report_id"] = report.id
    sent = DANGER_SENT.format(ref=report.ref, who=report_submit.who_has_it(report))
    return Outcome.goto(FLOW, "describe", replies.text(DANGER_NOW),
                        replies.text(sent, [replies.location_chip(CHIP_LOCATION), *common.emergency_chips()]),
                        data=data)


def _yes_no(turn: Turn) -> bool | None:
    if turn.kind is TurnKind.POSTBACK and turn.postback and turn.postback.action == "rp.danger":
        return turn.postback.params.get("yes") == "1"
    text = normalised(turn.text) if turn.kind is TurnKind.TEXT else ""
    return True if text in YES_WORDS else False if text in NO_WORDS else None


def first_missing(data: dict) -> str:
    """The step of the first answer still missing."""
    if "urgent" not in data:
        return "danger"
    for step, done in (("describe", "description" in data), ("category", "category" in data),
                       ("place", "place_done" in data), ("photos", "photos_done" in data),
                       ("contact", "contact_ok" in data)):
        if not done:
            return step
    return "confirm"


def ask_next(ctx: Context, data: dict, *before) -> Outcome:
    """Go to the first missing answer and ask its question (after any `before` messages)."""
    step = first_missing(data)
    if step == "danger":
        return _ask_danger(ctx, data)
    return Outcome.goto(FLOW, step, *before, QUESTIONS[step](ctx, data), data=data)


def _describe_question(ctx: Context, data: dict):
    chips = [replies.location_chip(CHIP_LOCATION)] if data.get("report_id") else []
    return replies.text(ASK_DESCRIBE, [*chips, replies.say_chip(CHIP_CANCEL)])


def _category_question(ctx: Context, data: dict):
    suggested = data.get("suggested")
    ordered = sorted(CATEGORIES, key=lambda category: category.code != suggested)
    chips = [replies.say_chip(category.label) for category in ordered]  # the suggestion first
    text = ASK_CATEGORY_SUGGESTED.format(label=label_of(suggested)) if suggested else ASK_CATEGORY
    return replies.text(text, chips)


def _place_question(ctx: Context, data: dict):
    return replies.text(ASK_PLACE, [replies.location_chip(CHIP_LOCATION), replies.say_chip(CHIP_PLACE_UNKNOWN)])


def _photos_question(ctx: Context, data: dict):
    count = len(data.get("photo_ids", []))
    if not count:
        text = ASK_PHOTOS.format(max=MAX_PHOTOS)
    elif count < MAX_PHOTOS:
        text = f"ได้รับ {count} รูปแล้ว ส่งเพิ่มได้อีก {MAX_PHOTOS - count} รูป หรือกด \"{CHIP_PHOTOS_DONE}\""
    else:
        text = f"ได้รับครบ {count} รูปแล้วค่ะ กด \"{CHIP_PHOTOS_DONE}\" เพื่อไปต่อ"
    chips = [replies.say_chip(CHIP_PHOTOS_DONE if count else CHIP_NO_PHOTOS)]
    return replies.text(text, chips)


def _contact_question(ctx: Context, data: dict):
    return replies.text(ASK_CONTACT, [replies.say_chip(CHIP_CONTACT_OK), replies.say_chip(CHIP_NO_CONTACT)])


def _confirm_question(ctx: Context, data: dict):
    place = data.get("place_text") or data.get("location_label") or (
        "ตำแหน่งบนแผนที่" if data.get("latitude") is not None else "ไม่ทราบที่แน่ชัด")
    lines = ["สรุปเรื่องที่จะแจ้ง" + (" (เรื่องด่วน ส่งแล้ว)" if data.get("report_id") else ""),
             f"ประเภท: {label_of(data['category'])}", f"เกิดอะไรขึ้น: {data['description']}",
             f"ที่ไหน: {place}", f"รูป: {len(data.get('photo_ids', []))} รูป",
             f"ติดต่อกลับ: {'ได้' if data['contact_ok'] else 'ไม่สะดวก'}"]
    chips = [replies.postback_chip(CHIP_SEND, postback.encode("rp.submit", ctx.token)), replies.say_chip(CHIP_CANCEL)]
    return replies.text("\n".join(lines)[:4900], chips)


QUESTIONS = {"describe": _describe_question, "category": _category_question, "place": _place_question,
             "photos": _photos_question, "contact": _contact_question, "confirm": _confirm_question}


def answer_describe(turn: Turn, ctx: Context) -> Outcome:
    if turn.kind is not TurnKind.TEXT:
        return ask_next(ctx, ctx.data, replies.text(common.TEXT_PLEASE))
    text = normalised(turn.text)
    if sum(unicodedata.category(ch).startswith("L") for ch in text) < DESCRIPTION_MIN:
        return ask_next(ctx, ctx.data, replies.text("เล่าเพิ่มอีกนิดนะคะ ว่าเกิดอะไรขึ้น ที่ไหน กับใคร"))
    if len(text) > DESCRIPTION_MAX:
        return ask_next(ctx, ctx.data, replies.text(
            f"ยาวเกินไปค่ะ ({len(text):,} ตัวอักษร) ขอสรุปให้สั้นลง ไม่เกิน {DESCRIPTION_MAX:,} ตัวอักษรนะคะ"))
    suggested = suggest(text)
    return ask_next(ctx, {**ctx.data, "description": text, "suggested": suggested.code if suggested else None})


def answer_category(turn: Turn, ctx: Context) -> Outcome:
    category = find(turn.text) if turn.kind is TurnKind.TEXT else None
    if category is None:
        return ask_next(ctx, ctx.data, replies.text("เลือกประเภทจากปุ่มด้านล่างนะคะ ถ้าไม่แน่ใจ เลือก \"เดือดร้อนอื่น ๆ\""))
    return ask_next(ctx, {**ctx.data, "category": category.code})


def answer_place(turn: Turn, ctx: Context) -> Outcome:
    if turn.kind is TurnKind.LOCATION:
        return ask_next(ctx, report_attachments.add_location(ctx, ctx.data, turn.location),
                        replies.text(PIN_RECEIVED))
    if turn.kind is not TurnKind.TEXT:
        return ask_next(ctx, ctx.data, replies.text("ขั้นนี้ขอเป็นตำแหน่ง (📍) หรือพิมพ์ชื่อสถานที่นะคะ"))
    text = normalised(turn.text)
    if text == CHIP_PLACE_UNKNOWN:
        return ask_next(ctx, {**ctx.data, "place_done": True})
    if not any(unicodedata.category(ch).startswith("L") for ch in text):
        return ask_next(ctx, ctx.data, replies.text("พิมพ์ชื่อสถานที่เป็นตัวอักษรนะคะ เช่น ตลาดสดหน้าวัด หมู่ 3"))
    if len(text) > PLACE_MAX:
        return ask_next(ctx, ctx.data, replies.text(
            f"ชื่อสถานที่ยาวเกินไปค่ะ ({len(text):,} ตัวอักษร) ขอสั้น ๆ ไม่เกิน {PLACE_MAX} ตัวอักษร "
            "เช่น ตลาดสดหน้าวัด หมู่ 3 หรือกด 📍 ส่งตำแหน่งแทน"))
    return ask_next(ctx, {**ctx.data, "place_text": text, "place_done": True})


def answer_photos(turn: Turn, ctx: Context) -> Outcome:
    if turn.kind is TurnKind.TEXT and normalised(turn.text) in (CHIP_NO_PHOTOS, CHIP_PHOTOS_DONE):
        return ask_next(ctx, {**ctx.data, "photos_done": True})
    if turn.kind is TurnKind.UNSUPPORTED_MESSAGE:
        return ask_next(ctx, ctx.data, replies.text(PHOTO_ONLY))
    return ask_next(ctx, ctx.data, replies.text("ส่งรูป หรือกดปุ่มด้านล่างได้เลยค่ะ"))


def answer_contact(turn: Turn, ctx: Context) -> Outcome:
    text = normalised(turn.text) if turn.kind is TurnKind.TEXT else ""
    if text not in (CHIP_CONTACT_OK, CHIP_NO_CONTACT, "ได้", "ไม่ได้"):
        return ask_next(ctx, ctx.data, replies.text("กด \"ติดต่อได้\" หรือ \"ไม่สะดวก\" นะคะ"))
    return ask_next(ctx, {**ctx.data, "contact_ok": text in (CHIP_CONTACT_OK, "ได้")})


def answer_confirm(turn: Turn, ctx: Context) -> Outcome:
    if not (turn.kind is TurnKind.POSTBACK and turn.postback and turn.postback.action == "rp.submit"):
        return ask_next(ctx, ctx.data, replies.text(f"กด \"{CHIP_SEND}\" เพื่อส่งเรื่อง หรือพิมพ์ \"ยกเลิก\""))
    return Outcome.end(*report_submit.submit(ctx, ctx.data))


def any_step(turn: Turn, ctx: Context) -> Outcome | None:
    """Photos and pins work in every step; None when the step's own handler should answer."""
    if turn.kind is TurnKind.IMAGE:
        data, answer = report_attachments.add_photo(turn, ctx, ctx.data)
        if answer is report_attachments.SILENT:
            return Outcome(data=data)  # one answer for a set of photos, at its last one
        return ask_next(ctx, data, *([replies.text(answer)] if answer else []))
    if turn.kind is TurnKind.LOCATION and ctx.step not in ("place", "danger"):
        data = report_attachments.add_location(ctx, ctx.data, turn.location)
        sent = "ส่งตำแหน่งถึงผู้ดูแลเรื่องแล้วค่ะ" if data.get("report_id") else PIN_RECEIVED
        return ask_next(ctx, data, replies.text(sent))
    return None


def cancel(turn: Turn, ctx: Context) -> Outcome:
    report_id = ctx.data.get("report_id")
    if report_id:
        report = ctx.db.get(Report, report_id)
        return Outcome.end(replies.text(
            f"หยุดเล่าแล้วค่ะ แต่เรื่องด่วน {report.ref} ส่งถึงผู้ดูแลแล้ว และยังดำเนินการต่อ "
            "ถ้าแจ้งผิด บอกพี่เลี้ยงได้เลยนะคะ", common.emergency_chips()))
    return Outcome.end(replies.text("ยกเลิกแล้วค่ะ เรื่องนี้ยังไม่ได้ส่ง แจ้งใหม่ได้ทุกเมื่อที่ \"แจ้งปัญหา\"",
                                    common.menu_chips()))


def show_my_reports(turn: Turn, ctx: Context) -> Outcome:
    """เรื่องที่แจ้ง: the youth's reports, newest first, with what happened to each."""
    reports = reports_of(ctx.db, ctx.user)
    if not reports:
        return Outcome.reply(replies.text("ยังไม่มีเรื่องที่แจ้งค่ะ เห็นคนเดือดร้อน กด \"แจ้งปัญหา\" ได้เลย",
                                          [replies.say_chip("แจ้งปัญหา")]))
    lines = ["เรื่องที่น้องแจ้ง (ล่าสุดก่อน)"]
    for report in reports:
        status = STATUS_LABELS.get(report.status, report.status)
        line = f"• {report.ref} {label_of(report.category)} · {thai_date(report.created_at, ctx.timezone)} · {status}"
        if report.status == ReportStatus.CLOSED and report.closing_note:
            line += f"\n  {report.closing_note}"
        lines.append(line)
    return Outcome.reply(replies.text("\n".join(lines)[:4900], [replies.say_chip("แจ้งปัญหา")]))


def _step(handler):
    """A step handler that first lets photos and pins through (they are welcome in every step)."""
    def step(turn: Turn, ctx: Context) -> Outcome:
        return any_step(turn, ctx) or handler(turn, ctx)
    step.__name__ = handler.__name__
    return step


FLOW_DEFINITION = Flow(
    name=FLOW,
    steps={"danger": _step(answer_danger), "describe": _step(answer_describe), "category": _step(answer_category),
           "place": _step(answer_place), "photos": _step(answer_photos), "contact": _step(answer_contact),
           "confirm": _step(answer_confirm), "resume": resume},
    start=start,
    entry_texts=frozenset(START_TEXTS),
    on_cancel=cancel,
)


def or_report_hint(idle):
    """Outside any flow, a youth's photo or pin most likely belongs to a report: say how to send one."""
    def handler(turn: Turn, ctx: Context) -> Outcome:
        if turn.kind in (TurnKind.IMAGE, TurnKind.LOCATION) and ctx.user.role == Role.YOUTH:
            return Outcome.reply(replies.text(
                "ถ้าเห็นคนเดือดร้อน กด \"แจ้งปัญหา\" ก่อนนะคะ แล้วส่งรูปหรือตำแหน่งในขั้นตอนนั้น "
                "รูปที่ส่งนอกขั้นตอนไม่ได้เก็บไว้ค่ะ", [replies.say_chip("แจ้งปัญหา")]))
        return idle(turn, ctx)
    return handler
