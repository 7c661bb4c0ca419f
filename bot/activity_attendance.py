"""Who came and the hours they earned: a youth who said going or maybe checks in ("I'm here", optionally
with their location) from 30 minutes before the start until the end; the mentor marks someone present or
absent during or after; afterwards the mentor confirms hours, crediting everyone checked in or marked
present once (a second confirmation credits nobody twice) and telling each of them. `record_of` sums a
person's volunteer record: activities attended, minutes credited, campaigns shared, reports made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot import activity_cards
from bot.activity_audience import includes
from bot.activity_input import check_location
from bot.activity_lifecycle import CANCELLED, locked, require_manager
from bot.config import Settings
from bot.people import audit
from bot.quiet import push_considerate
from bot.textinput import Refused
from bot.thai import thai_datetime
from models import Activity, ActivityResponse, ActivityStatus, Answer, CampaignShare, Report, Role, User

CHECK_IN_FROM = dt.timedelta(minutes=30)  # before the start
MAX_MINUTES = 24 * 60
RECENT_ON_RECORD = 5
TOO_EARLY = "ยังเช็กอินไม่ได้ค่ะ เช็กอินได้ตั้งแต่ {when} (30 นาทีก่อนเริ่ม)"
OVER = "กิจกรรมจบไปแล้ว เช็กอินไม่ได้ค่ะ ถ้ามาร่วมจริง บอกพี่เลี้ยงให้ยืนยันให้นะคะ"
NOT_JOINED = "ยังไม่ได้ตอบรับกิจกรรมนี้ค่ะ กด “ไปด้วย” ก่อนแล้วค่อยเช็กอินนะคะ"
NOT_STARTED = "กิจกรรมยังไม่เริ่ม ยืนยันชั่วโมงได้หลังเริ่มกิจกรรมค่ะ"
ONLY_YOUTH = "บันทึกการมาร่วมได้เฉพาะ อพม.น้อย ค่ะ"
NOT_INVITED = "น้องคนนี้ไม่ได้อยู่ในกลุ่มหรือพื้นที่ที่ชวนมากิจกรรมนี้ค่ะ"
BAD_MINUTES = "ชั่วโมงจิตอาสาต้องอยู่ระหว่าง 1 นาทีถึง 24 ชั่วโมงค่ะ"


def check_in(session: Session, activity: Activity, user: User, now: dt.datetime,
             latitude: float | None = None, longitude: float | None = None) -> bool:
    """"I'm here": True when noted, False if already checked in. Refused outside 30 minutes before the
    start to the end, for a cancelled activity, or for someone not going or maybe."""
    if activity.status == ActivityStatus.CANCELLED:
        raise Refused(CANCELLED)
    if now < activity.starts_at - CHECK_IN_FROM:
        raise Refused(TOO_EARLY.format(when=thai_datetime(activity.starts_at - CHECK_IN_FROM)))
    if now > activity.ends_at:
        raise Refused(OVER)
    response = _response(session, activity, user.id)
    if response is None or response.answer not in Answer.REMINDED:
        raise Refused(NOT_JOINED)
    if response.checked_in_at is not None:
        return False
    if latitude is not None or longitude is not None:
        check_location(latitude, longitude)
    response.checked_in_at, response.check_in_latitude, response.check_in_longitude = now, latitude, longitude
    return True


def mark_attendance(session: Session, activity: Activity, actor: User, user: User, present: bool,
                    now: dt.datetime) -> ActivityResponse:
    """The mentor marks a youth present or absent (from 30 minutes before the start, or afterwards);
    someone of its audience who never answered gets an answer of going (anyone else is refused). Absent takes
    back hours credited."""
    require_manager(actor, activity)
    if activity.status == ActivityStatus.CANCELLED:
        raise Refused(CANCELLED)
    if now < activity.starts_at - CHECK_IN_FROM:
        raise Refused(NOT_STARTED)
    if user.role != Role.YOUTH:
        raise Refused(ONLY_YOUTH)
    response = _response(session, activity, user.id)
    if response is None and not includes(session, activity, user):
        raise Refused(NOT_INVITED)  # hours only for those the activity was for (a forged id changes nothing)
    if response is None:
        response = ActivityResponse(activity_id=activity.id, user_id=user.id, answer=Answer.GOING, answered_at=now)
        session.add(response)
    response.attended, response.attendance_by_id, response.attendance_at = present, actor.id, now
    if present and response.checked_in_at is None:
        response.checked_in_at = now
    if not present:
        response.minutes_credited = 0
    session.flush()
    return response


def confirm_hours(session: Session, activity: Activity, actor: User, now: dt.datetime, settings: Settings,
                  minutes: int | None = None) -> int:
    """After the start: credit `minutes` (default: the activity's length) to everyone checked in or marked
    present who has no hours for it yet, and tell each of them. Returns how many were credited."""
    activity = locked(session, activity)
    require_manager(actor, activity)
    if activity.status == ActivityStatus.CANCELLED:
        raise Refused(CANCELLED)
    if now < activity.starts_at:
        raise Refused(NOT_STARTED)
    minutes = round((activity.ends_at - activity.starts_at).total_seconds() / 60) if minutes is None else minutes
    if not 0 < int(minutes) <= MAX_MINUTES:
        raise Refused(BAD_MINUTES)
    query = (select(ActivityResponse, User).join(User, User.id == ActivityResponse.user_id)
             .where(ActivityResponse.activity_id == activity.id, ActivityResponse.minutes_credited == 0,
                    or_(ActivityResponse.checked_in_at.is_not(None), ActivityResponse.attended.is_(True)),
                    or_(ActivityResponse.attended.is_(None), ActivityResponse.attended.is_(True)))
             .order_by(ActivityResponse.id))
    credited = 0
    for response, user in session.execute(query).all():
        response.minutes_credited, response.attended = int(minutes), True
        response.attendance_by_id = response.attendance_by_id or actor.id
        response.attendance_at = response.attendance_at or now
        push_considerate(session, user, activity_cards.hours_notice(activity, int(minutes), settings), now, settings)
        credited += 1
    audit(session, now, "activity.hours_confirmed", actor, activity_id=activity.id, credited=credited,
          minutes=int(minutes))
    return credited


def _response(session: Session, activity: Activity, user_id: int) -> ActivityResponse | None:
    return session.scalar(select(ActivityResponse).where(ActivityResponse.activity_id == activity.id,
                                                          ActivityResponse.user_id == user_id))


@dataclass(frozen=True)
class RecordItem:
    title: str
    starts_at: dt.datetime
    minutes: int


@dataclass(frozen=True)
class Record:
    """A person's volunteer record."""

    activities: int = 0  # attended (confirmed by a mentor)
    minutes: int = 0  # volunteer time credited
    campaigns_shared: int = 0
    reports: int = 0  # problem reports made (submitted)
    recent: list[RecordItem] = field(default_factory=list)  # the last 5 attended, latest first


def record_of(session: Session, user: User) -> Record:
    """Activities attended, minutes credited, campaigns shared, reports made, and the last 5 attended."""
    attended = (ActivityResponse.user_id == user.id, ActivityResponse.attended.is_(True))
    count, minutes = session.execute(select(func.count(), func.coalesce(func.sum(ActivityResponse.minutes_credited), 0))
                                     .where(*attended)).one()
    shared = session.scalar(select(func.count()).select_from(CampaignShare).where(CampaignShare.user_id == user.id))
    reports = session.scalar(select(func.count()).select_from(Report).where(Report.reporter_id == user.id,
                                                                             Report.submitted_at.is_not(None)))
    recent = session.execute(select(Activity.title, Activity.starts_at, ActivityResponse.minutes_credited)
                             .join(Activity, Activity.id == ActivityResponse.activity_id).where(*attended)
                             .order_by(Activity.starts_at.desc(), Activity.id.desc()).limit(RECENT_ON_RECORD)).all()
    return Record(activities=count, minutes=int(minutes), campaigns_shared=shared or 0, reports=reports or 0,
                  recent=[RecordItem(title, starts_at, credited) for title, starts_at, credited in recent])
