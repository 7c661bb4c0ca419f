"""What staff do with a report — acknowledge, add a note, hand it over, close it — and what the youth who
reported it is told. Each action is checked (`may_act`), written to the timeline, stops the escalation
ladder, and tells the youth in words that never carry anyone's private details.

The youth's updates respect quiet hours (bot/quiet.py); the people handling the report are adults and are
told at once when someone else acts, so two of them do not both drive out.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from enum import StrEnum

from sqlalchemy.orm import Session

from bot import people, replies
from bot.config import Settings
from bot.outbox import push_to
from bot.quiet import push_considerate
from bot.report_cards import HANDED_TO_LABELS, staff_card
from bot.reports import EventKind, add_event, may_act, tell_handlers
from models import Report, ReportStatus, Role, User, UserStatus

log = logging.getLogger("bot.casework")

NOTE_MAX = 1000
CLOSING_NOTE_MAX = 300
REDACTED = "[ลบข้อมูลส่วนตัว]"
PRIVATE_PATTERNS = (  # what must never reach the youth in a closing note: phones, ID numbers, e-mail, links
    re.compile(r"\b\d{1}[- ]?\d{4}[- ]?\d{5}[- ]?\d{2}[- ]?\d{1}\b"),  # Thai ID number (13 digits)
    re.compile(r"(?:\+?66|0)[\d\- ]{8,11}\d"),  # phone numbers
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE),
)


class Refusal(StrEnum):
    NOT_ALLOWED = "not_allowed"
    CLOSED = "closed"
    MISSING = "missing"


def check(user: User, report: Report | None) -> Refusal | None:
    """Why `user` may not act on `report` now, or None when they may."""
    if report is None:
        return Refusal.MISSING
    if not may_act(user, report):
        return Refusal.NOT_ALLOWED
    if report.status not in ReportStatus.ACTIVE:
        return Refusal.CLOSED
    return None


def record_refusal(session: Session, user: User, report_id: str | int | None, reason: Refusal,
                   action: str, now: dt.datetime) -> None:
    """A tap that was refused: logged (ids only) and kept in the audit log for the console."""
    log.warning("report action refused", extra={"user_id": user.id, "report_id": report_id, "action": action,
                                                 "reason": reason.value})
    people.audit(session, now, "report.refused", actor=user, report_id=str(report_id)[:20], button=action,
                 reason=reason.value)


def acknowledge(session: Session, report: Report, actor: User, now: dt.datetime, settings: Settings) -> bool:
    """Take the report: the ladder stops, the youth and the other handlers are told. False if already taken."""
    if report.status != ReportStatus.OPEN:
        return False
    report.status, report.acknowledged_at, report.acknowledged_by_id = ReportStatus.ACKNOWLEDGED, now, actor.id
    report.next_escalation_at, report.updated_at = None, now
    add_event(session, report, now, EventKind.ACKNOWLEDGED, actor)
    tell_youth(session, report, f"พี่{_name(actor)}รับเรื่อง {report.ref} แล้ว กำลังหาทางช่วยเหลือ ขอบคุณที่แจ้งนะคะ",
               now, settings)
    tell_handlers(session, report, [replies.text(f"✅ เรื่อง {report.ref} มีผู้รับเรื่องแล้ว: {_name(actor)}")],
                  now, except_user=actor)
    return True


def add_note(session: Session, report: Report, actor: User, note: str, now: dt.datetime,
             settings: Settings) -> None:
    """A case note (only handlers see it); the first one puts the report in progress."""
    acknowledge(session, report, actor, now, settings)
    add_event(session, report, now, EventKind.NOTE, actor, note=note)
    report.updated_at = now
    if report.status == ReportStatus.ACKNOWLEDGED:
        report.status = ReportStatus.IN_PROGRESS
        tell_youth(session, report, f"เรื่อง {report.ref} กำลังดำเนินการค่ะ", now, settings)


def hand_over(session: Session, report: Report, actor: User, to: str, now: dt.datetime, settings: Settings) -> None:
    """Hand to the province office (its coordinators get the card) or record a hand-over to the 1300 centre."""
    acknowledge(session, report, actor, now, settings)
    report.status, report.handed_to, report.updated_at = ReportStatus.HANDED_OVER, to, now
    notified = []
    if to == "province":
        coordinators = [user for user in people.coordinators_of(session, report.province_code) if user.id != actor.id]
        push_to(session, coordinators, staff_card(session, report, 1, settings.tz), now)
        notified = [user.id for user in coordinators]
    add_event(session, report, now, EventKind.HANDED_OVER, actor, to=to, notified=notified)
    tell_youth(session, report, f"เรื่อง {report.ref} ส่งต่อให้{HANDED_TO_LABELS[to]}ดูแลแล้วค่ะ", now, settings)


def reassign(session: Session, report: Report, actor: User, mentor: User, now: dt.datetime,
             settings: Settings) -> str | None:
    """Give the report to another mentor of its province (they get the card; the previous one is told).
    None when done, else the Thai reason."""
    if mentor.role != Role.MENTOR or mentor.status != UserStatus.ACTIVE or mentor.province_code != report.province_code:
        return "เลือกได้เฉพาะพี่เลี้ยงที่ยังใช้งานอยู่ในจังหวัดของเรื่องนี้"
    if mentor.id == report.mentor_id:
        return "พี่เลี้ยงคนนี้ดูแลเรื่องนี้อยู่แล้ว"
    previous = session.get(User, report.mentor_id) if report.mentor_id else None
    report.mentor_id, report.updated_at = mentor.id, now
    add_event(session, report, now, EventKind.REASSIGNED, actor, mentor_id=mentor.id)
    push_to(session, [mentor], staff_card(session, report, 0, settings.tz), now)
    if previous is not None:
        push_to(session, [previous], [replies.text(f"เรื่อง {report.ref} ย้ายไปให้พี่{_name(mentor)}ดูแลแล้วค่ะ")], now)
    return None


def close(session: Session, report: Report, actor: User, note_for_youth: str, now: dt.datetime,
          settings: Settings) -> None:
    """Close with a note the youth will read (already checked by `closing_note`)."""
    if report.status == ReportStatus.OPEN:
        report.acknowledged_at, report.acknowledged_by_id = now, actor.id
    report.status, report.closed_at, report.closed_by_id = ReportStatus.CLOSED, now, actor.id
    report.closing_note, report.next_escalation_at, report.updated_at = note_for_youth, None, now
    add_event(session, report, now, EventKind.CLOSED, actor, note=note_for_youth)
    tell_youth(session, report, f"เรื่อง {report.ref} ปิดแล้วค่ะ\n{note_for_youth}\n\nขอบคุณที่ช่วยดูแลชุมชนนะคะ 💚",
               now, settings)
    tell_handlers(session, report, [replies.text(f"เรื่อง {report.ref} ปิดแล้วโดย {_name(actor)}")], now,
                  except_user=actor)


def closing_note(text: str | None) -> tuple[str, bool]:
    """The closing note as the youth will see it, and whether private details were taken out."""
    note = " ".join((text or "").split())[:CLOSING_NOTE_MAX]
    redacted = note
    for pattern in PRIVATE_PATTERNS:
        redacted = pattern.sub(REDACTED, redacted)
    return redacted, redacted != note


def tell_youth(session: Session, report: Report, text: str, now: dt.datetime, settings: Settings) -> None:
    reporter = session.get(User, report.reporter_id) if report.reporter_id else None
    if reporter is not None:
        chips = [replies.say_chip("เรื่องที่แจ้ง")]
        push_considerate(session, reporter, [replies.text(text, chips)], now, settings)


def _name(user: User) -> str:
    return user.nickname or "เจ้าหน้าที่"
