"""The mentor's and coordinators' side of a problem report in LINE: the buttons on a report's card
(acknowledge, add a note, hand over, close, see photos, map and timeline) and "เรื่องที่ต้องดูแล".

Buttons carry only the report id. Every tap loads the report and checks again that this person may act on
it now: a forged or replayed tap (another report's id, a closed report, another mentor's report) is
refused without saying whether the report exists, and logged.
"""

from __future__ import annotations

from collections import Counter

from bot import casework, people, postback, replies
from bot.casework import Refusal
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.report_cards import HANDED_TO_LABELS, STATUS_LABELS, details, pin, staff_card
from bot.report_categories import label_of
from bot.report_media import photo_messages
from bot.reports import caseload, locked, may_act, photos_of, timeline
from bot.textinput import normalised
from bot.thai import thai_datetime
from models import PhotoStatus, Report, ReportPhoto, Role, User

FLOW = "casework"
CASELOAD_TEXTS = ("เรื่องที่ต้องดูแล", "เรื่องค้าง", "caseload")
NOT_YOURS = "ปุ่มนี้ใช้กับเรื่องนี้ไม่ได้ค่ะ (เฉพาะพี่เลี้ยงและผู้ประสานงานที่ดูแลเรื่องนี้)"
ALREADY_CLOSED = "เรื่อง {ref} ปิดแล้วค่ะ"
CLOSING_PRESETS = (("ช่วยเหลือแล้ว", "ช่วยเหลือเรียบร้อยแล้ว"), ("ส่งต่อหน่วยงานแล้ว", "ส่งต่อหน่วยงานที่ดูแลแล้ว"),
                   ("ไม่พบปัญหา", "ตรวจสอบแล้ว ไม่พบปัญหา"))  # (chip label of at most 20, what it says)
NOTE_MAX = casework.NOTE_MAX


def _report_of(turn: Turn, ctx: Context, action: str, allow_closed: bool = False,
               in_flow: bool = False) -> Report | Outcome:
    """The report a button (or, `in_flow`, this conversation) is about, when this person may act on it;
    else the refusal to answer with."""
    raw_id = ctx.data.get("r") if in_flow else (turn.postback.params.get("r") if turn.postback else None)
    report = locked(ctx.db, int(raw_id)) if str(raw_id).isdigit() and len(str(raw_id)) < 12 else None
    refusal = casework.check(ctx.user, report)
    if refusal is Refusal.CLOSED and allow_closed:
        return report
    if refusal is None:
        return report
    casework.record_refusal(ctx.db, ctx.user, raw_id, refusal, action, ctx.now)
    answer = ALREADY_CLOSED.format(ref=report.ref) if refusal is Refusal.CLOSED else NOT_YOURS
    return Outcome.end(replies.text(answer)) if in_flow else Outcome.reply(replies.text(answer))


def acknowledge(turn: Turn, ctx: Context) -> Outcome:
    report = _report_of(turn, ctx, "acknowledge")
    if isinstance(report, Outcome):
        return report
    if not casework.acknowledge(ctx.db, report, ctx.user, ctx.now, ctx.settings):
        who = ctx.db.get(User, report.acknowledged_by_id) if report.acknowledged_by_id else None
        when = thai_datetime(report.acknowledged_at, ctx.timezone) if report.acknowledged_at else "-"
        return Outcome.reply(replies.text(
            f"เรื่อง {report.ref} มีผู้รับเรื่องแล้ว: {who.nickname if who and who.nickname else 'เจ้าหน้าที่'} ({when})",
            _next_chips(report)))
    return Outcome.reply(replies.text(
        f"รับเรื่อง {report.ref} แล้วค่ะ น้องได้รับแจ้งแล้ว\nอย่าลืมเพิ่มบันทึกเมื่อมีความคืบหน้า และปิดเรื่องเมื่อเสร็จ",
        _next_chips(report)))


def _next_chips(report: Report) -> list:
    return [replies.postback_chip("เพิ่มบันทึก", postback.encode("rp.note", r=report.id), f"เพิ่มบันทึก {report.ref}"),
            replies.postback_chip("ส่งต่อหน่วยงาน", postback.encode("rp.hand", r=report.id)),
            replies.postback_chip("ปิดเรื่อง", postback.encode("rp.close", r=report.id), f"ปิดเรื่อง {report.ref}")]


def view(turn: Turn, ctx: Context) -> Outcome:
    """The whole report: details and timeline, the pin, and the photos (links that expire)."""
    report = _report_of(turn, ctx, "view", allow_closed=True)
    if isinstance(report, Outcome):
        return report
    if report.purged_at is not None:
        return Outcome.reply(replies.text(f"ข้อมูลของเรื่อง {report.ref} ถูกลบตามระยะเวลาเก็บข้อมูลแล้วค่ะ"))
    people.audit(ctx.db, ctx.now, "report.viewed", actor=ctx.user, report_id=report.id)
    events = timeline(ctx.db, report)
    names = {user.id: user.nickname or "เจ้าหน้าที่" for user in ctx.db.query(User).filter(
        User.id.in_({event.actor_id for event in events if event.actor_id}))}
    photos = photos_of(ctx.db, report)
    images = photo_messages(ctx.settings, photos, ctx.now)
    messages = [replies.text(details(report, events, names, ctx.timezone) + _photo_line(photos, images))]
    if report.has_location:
        messages.append(pin(report, f"เรื่อง {report.ref}"))
    messages += images[:5 - len(messages)]
    return Outcome.reply(*messages)


def _photo_line(photos: list[ReportPhoto], images: list) -> str:
    """How many photos there are and what became of them (fetching, failed, or not viewable in chat)."""
    if not photos:
        return "\nรูป: ไม่มี"
    counts = Counter(photo.status for photo in photos)
    parts = [f"{len(photos)} รูป"]
    if counts[PhotoStatus.PENDING]:
        parts.append(f"กำลังโหลด {counts[PhotoStatus.PENDING]} รูป")
    if counts[PhotoStatus.FAILED]:
        parts.append(f"โหลดจาก LINE ไม่สำเร็จ {counts[PhotoStatus.FAILED]} รูป")
    if counts[PhotoStatus.STORED] and not images:
        parts.append("ยังเปิดรูปในแชทไม่ได้ (ระบบยังไม่ได้ตั้งที่อยู่เว็บ)")
    elif counts[PhotoStatus.STORED] > len(images):
        parts.append(f"แสดง {len(images)} รูปแรก")
    return "\nรูป: " + " · ".join(parts)


def show_card(turn: Turn, ctx: Context) -> Outcome:
    report = _report_of(turn, ctx, "card", allow_closed=True)
    if isinstance(report, Outcome):
        return report
    return Outcome.reply(*staff_card(ctx.db, report, report.escalation_level, ctx.timezone))


def ask_hand_over(turn: Turn, ctx: Context) -> Outcome:
    report = _report_of(turn, ctx, "hand_over")
    if isinstance(report, Outcome):
        return report
    chips = [replies.postback_chip("ผู้ประสานงาน พมจ.", postback.encode("rp.handto", r=report.id, to="province"),
                                   f"ส่งต่อ พมจ. {report.ref}"),
             replies.postback_chip("ศูนย์ 1300", postback.encode("rp.handto", r=report.id, to="1300"),
                                   f"ส่งต่อศูนย์ 1300 {report.ref}")]
    return Outcome.reply(replies.text(f"ส่งต่อเรื่อง {report.ref} ให้ใครคะ\n• พมจ.: ผู้ประสานงานจังหวัดได้รับการ์ดเรื่องนี้\n"
                                      "• ศูนย์ 1300: พี่โทรแจ้งศูนย์เอง แล้วบันทึกว่าส่งต่อแล้ว", chips))


def hand_over(turn: Turn, ctx: Context) -> Outcome:
    report = _report_of(turn, ctx, "hand_over")
    if isinstance(report, Outcome):
        return report
    to = turn.postback.params.get("to")
    if to not in HANDED_TO_LABELS:
        casework.record_refusal(ctx.db, ctx.user, report.id, Refusal.NOT_ALLOWED, "hand_over", ctx.now)
        return Outcome.reply(replies.text(NOT_YOURS))
    casework.hand_over(ctx.db, report, ctx.user, to, ctx.now, ctx.settings)
    if to == "1300":
        return Outcome.reply(replies.text(
            f"บันทึกว่าส่งต่อเรื่อง {report.ref} ให้ศูนย์ 1300 แล้วค่ะ โทรแจ้งรายละเอียดได้ที่ 1300 (24 ชั่วโมง) "
            "ไม่ต้องบอกชื่อน้องผู้แจ้ง", [replies.call_chip("โทร 1300", "1300")]))
    return Outcome.reply(replies.text(f"ส่งเรื่อง {report.ref} ถึงผู้ประสานงาน พมจ. แล้วค่ะ", _next_chips(report)))


def start_note(turn: Turn, ctx: Context) -> Outcome:
    report = _report_of(turn, ctx, "note")
    if isinstance(report, Outcome):
        return report
    return Outcome.goto(FLOW, "note", replies.text(
        f"พิมพ์บันทึกของเรื่อง {report.ref} ได้เลยค่ะ (เห็นเฉพาะผู้ดูแลเรื่อง ไม่ส่งถึงน้อง)",
        [replies.say_chip("ยกเลิก")]), data={"r": report.id})


def answer_note(turn: Turn, ctx: Context) -> Outcome:
    text = normalised(turn.text) if turn.kind is TurnKind.TEXT else ""
    if not text:
        return Outcome.reply(replies.text("ขั้นนี้ขอเป็นข้อความบันทึกนะคะ หรือพิมพ์ \"ยกเลิก\""))
    if len(text) > NOTE_MAX:
        return Outcome.reply(replies.text(f"บันทึกยาวเกินไปค่ะ ({len(text):,} ตัวอักษร) ไม่เกิน {NOTE_MAX:,} ตัวอักษร"))
    report = _report_of(turn, ctx, "note", in_flow=True)
    if isinstance(report, Outcome):
        return report
    casework.add_note(ctx.db, report, ctx.user, text, ctx.now, ctx.settings)
    return Outcome.end(replies.text(f"บันทึกในเรื่อง {report.ref} แล้วค่ะ", _next_chips(report)))


def start_close(turn: Turn, ctx: Context) -> Outcome:
    report = _report_of(turn, ctx, "close")
    if isinstance(report, Outcome):
        return report
    return Outcome.goto(FLOW, "close_note", replies.text(
        f"ปิดเรื่อง {report.ref}: พิมพ์ข้อความสั้น ๆ ถึงน้องผู้แจ้ง หรือเลือกด้านล่าง\n"
        "⚠️ น้องจะเห็นข้อความนี้ อย่าใส่ชื่อ เบอร์โทร ที่อยู่ หรือรายละเอียดส่วนตัวของใคร",
        [*(replies.say_chip(label, says) for label, says in CLOSING_PRESETS), replies.say_chip("ยกเลิก")]),
        data={"r": report.id})


def answer_close_note(turn: Turn, ctx: Context) -> Outcome:
    if turn.kind is not TurnKind.TEXT or not any(ch.isalpha() for ch in turn.text or ""):
        return Outcome.reply(replies.text("ขั้นนี้ขอเป็นข้อความถึงน้องนะคะ หรือพิมพ์ \"ยกเลิก\""))
    note, redacted = casework.closing_note(turn.text)
    warning = "\n(ตัดเบอร์โทร เลขบัตร อีเมล หรือลิงก์ออกแล้ว)" if redacted else ""
    chips = [replies.postback_chip("ยืนยันปิดเรื่อง", postback.encode("rp.closeok", ctx.token)),
             replies.say_chip("ยกเลิก")]
    return Outcome.goto(FLOW, "close_confirm", replies.text(
        f"น้องจะได้รับข้อความนี้:\n\"{note}\"{warning}\n\nกดยืนยันเพื่อปิดเรื่อง หรือพิมพ์ข้อความใหม่", chips),
        data={**ctx.data, "note": note})


def answer_close_confirm(turn: Turn, ctx: Context) -> Outcome:
    if turn.kind is TurnKind.TEXT:
        return answer_close_note(turn, ctx)
    if not (turn.kind is TurnKind.POSTBACK and turn.postback and turn.postback.action == "rp.closeok"):
        return Outcome.reply(replies.text("กด \"ยืนยันปิดเรื่อง\" หรือพิมพ์ข้อความใหม่ค่ะ"))
    report = _report_of(turn, ctx, "close", in_flow=True)
    if isinstance(report, Outcome):
        return report
    casework.close(ctx.db, report, ctx.user, ctx.data["note"], ctx.now, ctx.settings)
    return Outcome.end(replies.text(f"ปิดเรื่อง {report.ref} แล้วค่ะ น้องได้รับข้อความแล้ว ขอบคุณที่ดูแลนะคะ"))


def show_caseload(turn: Turn, ctx: Context) -> Outcome:
    """เรื่องที่ต้องดูแล: active reports this person may act on, the waiting ones first."""
    if ctx.user.role not in (Role.MENTOR, Role.COORDINATOR, Role.ADMIN):
        return Outcome.reply(replies.text("เมนูนี้สำหรับพี่เลี้ยงและผู้ประสานงานค่ะ น้องดูเรื่องของตัวเองได้ที่ "
                                          "\"เรื่องที่แจ้ง\"", [replies.say_chip("เรื่องที่แจ้ง")]))
    reports = [report for report in caseload(ctx.db, ctx.user, limit=12) if may_act(ctx.user, report)]
    if not reports:
        return Outcome.reply(replies.text("ตอนนี้ไม่มีเรื่องที่ต้องดูแลค่ะ 👍"))
    lines = ["เรื่องที่ต้องดูแล (รอรับเรื่องก่อน)"]
    for report in reports:
        urgent = "🚨 " if report.urgent else ""
        lines.append(f"• {urgent}{report.ref} {label_of(report.category)} · {STATUS_LABELS[report.status]} · "
                     f"{thai_datetime(report.created_at, ctx.timezone)}")
    chips = [replies.postback_chip(report.ref, postback.encode("rp.card", r=report.id)) for report in reports]
    return Outcome.reply(replies.text("\n".join(lines) + "\nกดเลขที่เรื่องเพื่อเปิดการ์ด", chips))


def start(turn: Turn, ctx: Context) -> Outcome:
    return start_close(turn, ctx) if turn.postback.action == "rp.close" else start_note(turn, ctx)


FLOW_DEFINITION = Flow(
    name=FLOW,
    steps={"note": answer_note, "close_note": answer_close_note, "close_confirm": answer_close_confirm},
    start=start,
    entry_actions=frozenset({"rp.note", "rp.close"}),
)
ACTIONS = {"rp.ack": acknowledge, "rp.view": view, "rp.hand": ask_hand_over, "rp.handto": hand_over,
           "rp.card": show_card}
