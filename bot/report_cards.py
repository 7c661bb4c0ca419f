"""What staff see of a problem report in LINE: the Flex card with its action buttons, the reminder a
mentor gets when a report climbs past them, and the report's details (timeline) on request.

Only the mentor and the coordinators above them receive these; the youth's nickname is on the card
because they are the ones who must act. Buttons carry the report id in token-less postback data: every
tap is checked again (bot/reports.may_act), so a forged or replayed one changes nothing.
"""

from __future__ import annotations

import datetime as dt

from linebot.v3.messaging import LocationMessage, TextMessage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import postback, replies
from bot.report_categories import label_of
from bot.thai import thai_datetime
from models import Report, ReportEvent, ReportPhoto, ReportStatus, User

DESCRIPTION_ON_CARD = 600
LEVEL_HEADERS = {
    0: "แจ้งปัญหาจากน้องในกลุ่ม",
    1: "ยังไม่มีผู้รับเรื่อง: ส่งถึงผู้ประสานงานจังหวัด",
    2: "ยังไม่มีผู้รับเรื่อง: ส่งถึงผู้ประสานงานส่วนกลาง",
    3: "ยังไม่มีผู้รับเรื่อง: เตือนอีกครั้ง",
}
STATUS_LABELS = {
    ReportStatus.OPEN: "รอผู้รับเรื่อง",
    ReportStatus.ACKNOWLEDGED: "รับเรื่องแล้ว",
    ReportStatus.IN_PROGRESS: "กำลังดำเนินการ",
    ReportStatus.HANDED_OVER: "ส่งต่อหน่วยงานแล้ว",
    ReportStatus.CLOSED: "ปิดเรื่องแล้ว",
    "duplicate": "รวมกับเรื่องเดิม",
}
HANDED_TO_LABELS = {"province": "สำนักงาน พมจ.", "1300": "ศูนย์ช่วยเหลือสังคม 1300"}
EVENT_LABELS = {
    "created": "แจ้งเรื่อง", "sent_to_mentor": "ส่งถึงพี่เลี้ยง", "mentor_unreachable": "ติดต่อพี่เลี้ยงไม่ได้",
    "details_added": "ข้อมูลเพิ่มเติม", "location_shared": "ส่งตำแหน่ง", "escalated": "ส่งต่อขึ้นไป",
    "acknowledged": "รับเรื่อง", "note": "บันทึก", "handed_over": "ส่งต่อ", "closed": "ปิดเรื่อง",
    "duplicate_added": "แจ้งซ้ำ", "reassigned": "เปลี่ยนพี่เลี้ยงผู้ดูแล", "purged": "ลบข้อมูลส่วนบุคคล",
}


def staff_card(session: Session, report: Report, level: int, tz: dt.tzinfo) -> list[dict]:
    """The report as its handlers see it, with the buttons to act on it (loads what it shows)."""
    reporter = session.get(User, report.reporter_id) if report.reporter_id else None
    mentor = session.get(User, report.mentor_id) if report.mentor_id else None
    photo_count = session.scalar(select(func.count()).select_from(ReportPhoto)
                                 .where(ReportPhoto.report_id == report.id))
    return [card_json(report, level, tz, reporter, mentor, photo_count)]


def card_json(report: Report, level: int, tz: dt.tzinfo, reporter: User | None, mentor: User | None,
              photo_count: int) -> dict:
    """The card as the JSON LINE receives (built as a dict: a sweep builds thousands; the sandbox and the
    tests check it against LINE's schema)."""
    headline = LEVEL_HEADERS.get(level, LEVEL_HEADERS[3]) if report.status == ReportStatus.OPEN else \
        f"เรื่อง {report.ref}: {STATUS_LABELS.get(report.status, report.status)}"
    title = ("🚨 เรื่องด่วน " if report.urgent else "") + headline
    rows = [
        _field("เลขที่", report.ref),
        _field("ประเภท", label_of(report.category)),
        _field("เวลา", thai_datetime(report.created_at, tz)),
        _field("ผู้แจ้ง", _reporter_line(reporter, report)),
        _field("พี่เลี้ยง", mentor.nickname if mentor and mentor.nickname else "ยังไม่มีพี่เลี้ยง"),
        _field("สถานที่", _place_line(report)),
        _field("รูป", f"{photo_count} รูป" if photo_count else "ไม่มี"),
        _field("ติดต่อกลับ", {True: "ได้", False: "ไม่สะดวกให้ติดต่อ", None: "ยังไม่ได้ถาม"}[report.contact_ok]),
        _field("สถานะ", STATUS_LABELS.get(report.status, report.status)),
    ]
    description = (report.description or "(น้องยังเล่าไม่เสร็จ เรื่องด่วนส่งมาก่อน)")[:DESCRIPTION_ON_CARD]
    bubble = {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "backgroundColor": "#B71C1C" if report.urgent else "#1F5FA8",
                   "contents": [{"type": "text", "text": title, "weight": "bold", "color": "#FFFFFF", "wrap": True}]},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
            *rows, {"type": "separator"}, {"type": "text", "text": description, "wrap": True, "size": "sm"}]},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": action_buttons(report)},
    }
    alt = f"{'🚨 เรื่องด่วน ' if report.urgent else ''}แจ้งปัญหา {report.ref} {label_of(report.category)}"
    return {"type": "flex", "altText": alt, "contents": bubble}


def action_buttons(report: Report) -> list[dict]:
    buttons = [("รับเรื่อง", "rp.ack", True), ("เพิ่มบันทึก", "rp.note", False), ("ส่งต่อหน่วยงาน", "rp.hand", False),
               ("ปิดเรื่อง", "rp.close", False), ("รูป แผนที่ และประวัติ", "rp.view", False)]
    return [{"type": "button", "style": "primary" if primary else "secondary", "height": "sm",
             "color": "#2E7D32" if primary else "#EEEEEE",
             "action": {"type": "postback", "label": label, "data": postback.encode(action, r=report.id),
                        "displayText": f"{label} {report.ref}"}}
            for label, action, primary in buttons]


def pin(report: Report, title: str) -> LocationMessage:
    """The report's location as a LINE map pin (the report must have one)."""
    address = report.location_label or report.place_text or "ตำแหน่งที่น้องส่งมา"
    return LocationMessage(title=title[:100], address=address[:100], latitude=report.latitude,
                           longitude=report.longitude)


def mentor_reminder(report: Report, level: int) -> TextMessage:
    where = {1: "ผู้ประสานงานจังหวัด", 2: "ผู้ประสานงานส่วนกลาง"}.get(level, "ผู้ประสานงาน")
    return replies.text(
        f"⏰ เรื่อง {report.ref} ยังไม่มีใครรับเรื่อง จึงส่งถึง{where}แล้ว "
        "ถ้าพี่ดูแลเรื่องนี้อยู่ กดรับเรื่องเพื่อให้น้องรู้ว่ามีคนช่วยแล้ว",
        [replies.postback_chip("รับเรื่อง", postback.encode("rp.ack", r=report.id), f"รับเรื่อง {report.ref}")])


def details(report: Report, events: list[ReportEvent], names: dict[int, str], tz: dt.tzinfo) -> str:
    """The whole report as text: what, where, and its timeline (who, when, what)."""
    lines = [f"เรื่อง {report.ref} · {label_of(report.category)} · {STATUS_LABELS.get(report.status, report.status)}",
             f"เล่าว่า: {report.description or '-'}", f"สถานที่: {_place_line(report)}", "", "ประวัติ"]
    for event in events:
        who = names.get(event.actor_id, "ระบบ") if event.actor_id else "ระบบ"
        line = f"• {thai_datetime(event.at, tz)} {EVENT_LABELS.get(event.kind, event.kind)} ({who})"
        if event.note:
            line += f": {event.note[:200]}"
        lines.append(line)
    return "\n".join(lines)[:4900]


def _reporter_line(reporter: User | None, report: Report) -> str:
    if reporter is None or reporter.nickname is None:
        return "ไม่เปิดเผย"
    age = reporter.age_now(report.created_at)
    parts = [f"น้อง{reporter.nickname}", f"{age} ปี" if age is not None else None, reporter.community]
    return " · ".join(part for part in parts if part)


def _place_line(report: Report) -> str:
    parts = [report.place_text, report.location_label, "มีตำแหน่งบนแผนที่" if report.has_location else None]
    return " · ".join(part for part in parts if part) or "ยังไม่ระบุ"


def _field(name: str, value: str) -> dict:
    return {"type": "box", "layout": "baseline", "spacing": "sm", "contents": [
        {"type": "text", "text": name, "size": "sm", "color": "#777777", "flex": 2},
        {"type": "text", "text": value or "-", "size": "sm", "wrap": True, "flex": 5}]}
