"""Problem reports: opening one, routing it to the right people, the escalation ladder, the timeline and
who may act. Handlers call these inside the event's transaction; the scheduler's sweep calls `escalate`.

```mermaid
flowchart LR
  open[report sent] -->|mentor reachable| mentor[card to mentor, deadline set]
  open -->|no mentor / blocked| l1
  mentor -->|no acknowledgement by deadline| l1[level 1: province coordinators + mentor reminded]
  l1 -->|still nobody| l2[level 2: national coordinators]
  l2 -->|still nobody| l3[level 3: everyone once more]
  mentor & l1 & l2 & l3 -->|acknowledge / note / hand over / close| acted[deadline cleared]
```

Deadlines: urgent 15 minutes, normal 24 hours (REPORT_ACK_URGENT_MINUTES, REPORT_ACK_HOURS), counted from
each step; quiet hours never delay them. Each level is a timeline entry with a unique key per report, so a
sweep that runs twice, or two sweeps at once, notify nobody twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
from collections.abc import Iterable, Sequence

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import people, report_cards
from bot.config import Settings
from bot.outbox import push_to
from bot.scheduler import Job, register
from models import Report, ReportEvent, ReportPhoto, ReportStatus, Role, User, UserStatus
from models.db import dialect_insert

log = logging.getLogger("bot.reports")

REF_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over the phone
MAX_LEVEL = 3  # 1 province, 2 national, 3 everyone once more; after that the report shows as overdue
DUPLICATE_WINDOW = dt.timedelta(days=1)
SAME_PLACE_METRES = 150
SWEEP_BATCH = 500


class EventKind:
    CREATED = "created"
    SENT_TO_MENTOR = "sent_to_mentor"
    MENTOR_UNREACHABLE = "mentor_unreachable"
    DETAILS_ADDED = "details_added"
    LOCATION_SHARED = "location_shared"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    NOTE = "note"
    HANDED_OVER = "handed_over"
    CLOSED = "closed"
    DUPLICATE_ADDED = "duplicate_added"
    PURGED = "purged"


def new_ref(session: Session) -> str:
    """A short unused reference people can quote ("R-4K7P2M")."""
    while True:
        ref = "R-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(6))
        if session.scalar(select(Report.id).where(Report.ref == ref)) is None:
            return ref


def add_event(session: Session, report: Report, now: dt.datetime, kind: str, actor: User | None = None,
              note: str | None = None, key: str | None = None, **detail) -> bool:
    """Append to the timeline; with a `key`, only once per report (False when it was already there)."""
    values = {"report_id": report.id, "at": now, "actor_id": actor.id if actor else None, "kind": kind,
              "note": note, "detail": detail, "key": key}
    statement = dialect_insert(session, ReportEvent).values(**values)
    if key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=[ReportEvent.report_id, ReportEvent.key])
    inserted = session.execute(statement.returning(ReportEvent.id)).scalar_one_or_none()
    return inserted is not None


def timeline(session: Session, report: Report) -> list[ReportEvent]:
    query = select(ReportEvent).where(ReportEvent.report_id == report.id).order_by(ReportEvent.at, ReportEvent.id)
    return list(session.scalars(query))


def ack_window(report: Report, settings: Settings) -> dt.timedelta:
    if report.urgent:
        return dt.timedelta(minutes=settings.report_ack_urgent_minutes)
    return dt.timedelta(hours=settings.report_ack_normal_hours)


def reachable(user: User | None) -> bool:
    """Someone a push can reach: active and still following the bot."""
    return user is not None and user.status == UserStatus.ACTIVE and user.is_following


def mentor_of(session: Session, report: Report) -> User | None:
    mentor = session.get(User, report.mentor_id) if report.mentor_id else None
    return mentor if mentor is not None and mentor.role == Role.MENTOR else None


def may_act(user: User, report: Report) -> bool:
    """The assigned mentor, or a coordinator (or admin) of the report's province or a national one."""
    if user.status != UserStatus.ACTIVE:
        return False
    if user.role == Role.MENTOR:
        return report.mentor_id == user.id
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return user.province_code is None or user.province_code == report.province_code
    return False


def open_report(session: Session, reporter: User, now: dt.datetime, *, category: str, urgent: bool,
                submitted: bool, **fields) -> Report:
    """A new report from `reporter`, routed to their mentor (not yet notified: call `route`)."""
    report = Report(ref=new_ref(session), reporter_id=reporter.id, mentor_id=reporter.mentor_id,
                    province_code=reporter.province_code, category=category, urgent=urgent,
                    status=ReportStatus.OPEN, created_at=now, updated_at=now,
                    submitted_at=now if submitted else None, **fields)
    session.add(report)
    session.flush()
    add_event(session, report, now, EventKind.CREATED, reporter, urgent=urgent, category=category)
    return report


def attach_photos(session: Session, report: Report, photo_ids: Iterable[int], uploader: User) -> int:
    """Give the reporter's not-yet-attached photos to the report; returns how many were attached."""
    ids = list(photo_ids)
    if not ids:
        return 0
    photos = session.scalars(select(ReportPhoto).where(
        ReportPhoto.id.in_(ids), ReportPhoto.uploader_id == uploader.id, ReportPhoto.report_id.is_(None)))
    count = 0
    for photo in photos:
        photo.report_id = report.id
        count += 1
    return count


def photos_of(session: Session, report: Report) -> list[ReportPhoto]:
    return list(session.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report.id)
                                .order_by(ReportPhoto.id)))


def route(session: Session, report: Report, now: dt.datetime, settings: Settings) -> None:
    """Send a new report to its mentor with a deadline, or straight up the ladder when nobody can take it."""
    mentor = mentor_of(session, report)
    if reachable(mentor):
        push_to(session, [mentor], report_cards.staff_card(session, report, 0, settings.tz), now)
        add_event(session, report, now, EventKind.SENT_TO_MENTOR, key="level:0", notified=[mentor.id])
        report.next_escalation_at = now + ack_window(report, settings)
        return
    reason = "no_mentor" if mentor is None else "mentor_unreachable"
    add_event(session, report, now, EventKind.MENTOR_UNREACHABLE, reason=reason)
    escalate(session, report, now, settings)


def recipients_at(session: Session, report: Report, level: int) -> list[User]:
    """Who a level notifies: the province's coordinators (national ones if it has none), then the national
    ones, then both once more."""
    province = people.coordinators_of(session, report.province_code)
    national = people.coordinators_of(session, None)
    chosen = {1: province, 2: national}.get(level, province + national)
    unique = {user.id: user for user in chosen}
    return [user for user in unique.values() if reachable(user)]


def escalate(session: Session, report: Report, now: dt.datetime, settings: Settings) -> bool:
    """Climb one level: notify that level, remind the mentor, set the next deadline. False (and nothing
    sent) when another sweep already took this level."""
    level = report.escalation_level + 1
    recipients = recipients_at(session, report, level)
    if not add_event(session, report, now, EventKind.ESCALATED, key=f"level:{level}", level=level,
                     notified=[user.id for user in recipients]):
        report.escalation_level = level  # taken by another sweep: catch up, notify nobody
        return False
    push_to(session, recipients, report_cards.staff_card(session, report, level, settings.tz), now)
    mentor = mentor_of(session, report)
    if reachable(mentor) and mentor not in recipients:
        push_to(session, [mentor], [report_cards.mentor_reminder(report, level)], now)
    report.escalation_level = level
    report.next_escalation_at = now + ack_window(report, settings) if level < MAX_LEVEL else None
    report.updated_at = now
    if recipients:
        log.info("report escalated", extra={"report_id": report.id, "level": level, "notified": len(recipients)})
    else:
        log.warning("report escalated to nobody: no reachable coordinator", extra={"report_id": report.id,
                                                                                   "level": level})
    return True


def due_for_escalation(session: Session, now: dt.datetime, limit: int = SWEEP_BATCH) -> list[Report]:
    """Open reports whose deadline passed, oldest deadline first, locked (skipping ones another sweep holds)."""
    query = (select(Report).where(Report.next_escalation_at <= now, Report.status == ReportStatus.OPEN)
             .order_by(Report.next_escalation_at, Report.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def notified_people(session: Session, report: Report) -> list[User]:
    """Everyone the report was sent to so far (mentor and escalation levels), still reachable."""
    ids: set[int] = set()
    for event in timeline(session, report):
        ids.update(event.detail.get("notified", []) if isinstance(event.detail, dict) else [])
    users = session.scalars(select(User).where(User.id.in_(ids))) if ids else []
    return [user for user in users if reachable(user)]


def tell_handlers(session: Session, report: Report, messages: Sequence[Message], now: dt.datetime,
                  except_user: User | None = None) -> int:
    """Push to everyone who has this report (but the person who just acted)."""
    others = [user for user in notified_people(session, report) if except_user is None or user.id != except_user.id]
    return push_to(session, others, messages, now)


def possible_duplicate(session: Session, reporter: User, category: str, now: dt.datetime,
                       place_text: str | None, latitude: float | None, longitude: float | None) -> Report | None:
    """The reporter's active report of the same category and place from the last day, if any."""
    query = (select(Report).where(Report.reporter_id == reporter.id, Report.category == category,
                                  Report.created_at >= now - DUPLICATE_WINDOW,
                                  Report.status.in_(ReportStatus.ACTIVE), Report.duplicate_of_id.is_(None))
             .order_by(Report.created_at.desc()))
    for earlier in session.scalars(query):
        if same_place(earlier, place_text, latitude, longitude):
            return earlier
    return None


def same_place(report: Report, place_text: str | None, latitude: float | None, longitude: float | None) -> bool:
    if latitude is not None and longitude is not None and report.has_location:
        return distance_metres(report.latitude, report.longitude, latitude, longitude) <= SAME_PLACE_METRES
    return bool(place_text) and _place_key(place_text) == _place_key(report.place_text or "")


def _place_key(text: str) -> str:
    return "".join(text.split()).casefold()


def distance_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    radius = 6_371_000
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def reports_of(session: Session, reporter: User, limit: int = 10) -> list[Report]:
    query = select(Report).where(Report.reporter_id == reporter.id).order_by(Report.created_at.desc(), Report.id.desc())
    return list(session.scalars(query.limit(limit)))


def caseload(session: Session, user: User, limit: int = 10) -> list[Report]:
    """Active reports this person may act on: the unacknowledged and most escalated first."""
    query = select(Report).where(Report.status.in_(ReportStatus.ACTIVE), Report.duplicate_of_id.is_(None))
    if user.role == Role.MENTOR:
        query = query.where(Report.mentor_id == user.id)
    elif user.province_code is not None:
        query = query.where(Report.province_code == user.province_code)
    query = query.order_by((Report.status == ReportStatus.OPEN).desc(), Report.urgent.desc(),
                           Report.escalation_level.desc(), Report.created_at)
    return list(session.scalars(query.limit(limit)))


def find_by_ref(session: Session, ref: str) -> Report | None:
    return session.scalar(select(Report).where(Report.ref == ref.strip().upper()))


def locked(session: Session, report_id: int) -> Report | None:
    """The report, locked for this transaction (PostgreSQL), so two staff acting at once are serialised."""
    return session.scalar(select(Report).where(Report.id == report_id).with_for_update())


def sweep(session: Session, now: dt.datetime, settings: Settings) -> int:
    """The scheduled job: climb one level for every open report whose deadline passed."""
    climbed = 0
    while True:
        due = due_for_escalation(session, now)
        for report in due:
            climbed += escalate(session, report, now, settings)
            if report.next_escalation_at is not None and report.next_escalation_at <= now:
                report.next_escalation_at = now + ack_window(report, settings)  # never twice in one sweep
        session.flush()
        if len(due) < SWEEP_BATCH:
            return climbed


register(Job("report-escalation", dt.timedelta(seconds=30), sweep, needs_settings=True))


def escalate_waiting_on(session: Session, mentor: User, now: dt.datetime, settings: Settings) -> int:
    """A mentor blocked the bot: their reports still waiting for them go up the ladder now, not at the deadline."""
    query = select(Report).where(Report.mentor_id == mentor.id, Report.status == ReportStatus.OPEN,
                                 Report.escalation_level == 0).with_for_update()
    waiting = list(session.scalars(query))
    for report in waiting:
        add_event(session, report, now, EventKind.MENTOR_UNREACHABLE, reason="mentor_blocked")
        escalate(session, report, now, settings)
    return len(waiting)
