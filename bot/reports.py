"""Problem reports: opening one, the timeline (who, when, what), who may act, same-day duplicates and the
lists people see. How a report reaches people and climbs when nobody acts is in bot/escalation.py.
Handlers call these inside the event's transaction.
"""
from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterable, Sequence

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.outbox import push_to
from models import Report, ReportEvent, ReportPhoto, ReportStatus, Role, User, UserStatus
from models.db import dialect_insert

REF_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over the phone
DUPLICATE_WINDOW = dt.timedelta(days=1)
SAME_PLACE_METRES = 150


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
    REASSIGNED = "reassigned"
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


def locked(session: Session, report_id: int) -> Report | None:
    """The report, locked for this transaction (PostgreSQL), so two staff acting at once are serialised."""
    return session.scalar(select(Report).where(Report.id == report_id).with_for_update())
