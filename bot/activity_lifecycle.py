"""Changing and cancelling an activity, and counting its answers.

A change of time or place makes a new version: every pending reminder is cancelled and planned again for
the new time (bot/activity_reminders.replan_activity) and everyone going, maybe or waiting is told what
changed. Cancelling drops the reminders and tells the same people. Both lock the activity's row, so two
managers at once (or an answer at the same moment) take turns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import activity_cards
from bot.activity_audience import may_manage, refresh_invites, tell, withdraw_invites
from bot.activity_input import check_end, check_location, check_start, clean_place
from bot.activity_reminders import cancel_activity, replan_activity
from bot.config import Settings
from bot.people import audit
from bot.textinput import Refused
from models import Activity, ActivityResponse, ActivityStatus, Answer, User

TOLD = (Answer.GOING, Answer.MAYBE, Answer.WAITLIST)
NOT_YOURS = "กิจกรรมนี้จัดการได้เฉพาะผู้สร้าง พี่เลี้ยงของกลุ่ม และผู้ประสานงานของพื้นที่ค่ะ"
CANCELLED = "กิจกรรมนี้ถูกยกเลิกแล้วค่ะ"
STARTED_NO_CHANGE = "กิจกรรมเริ่มไปแล้ว เปลี่ยนเวลาหรือสถานที่ไม่ได้ค่ะ"
ENDED_NO_CANCEL = "กิจกรรมจบไปแล้ว ยกเลิกไม่ได้ค่ะ"
TIME, PLACE = "เวลา", "สถานที่"


@dataclass(frozen=True)
class Counts:
    """How many answered each way."""

    going: int = 0
    maybe: int = 0
    no: int = 0
    waitlist: int = 0


def counts(session: Session, activity: Activity) -> Counts:
    rows = session.execute(select(ActivityResponse.answer, func.count())
                           .where(ActivityResponse.activity_id == activity.id)
                           .group_by(ActivityResponse.answer)).all()
    by_answer = dict(rows)
    return Counts(going=by_answer.get(Answer.GOING, 0), maybe=by_answer.get(Answer.MAYBE, 0),
                  no=by_answer.get(Answer.NO, 0), waitlist=by_answer.get(Answer.WAITLIST, 0))


def locked(session: Session, activity: Activity) -> Activity:
    """The activity re-read under a row lock (PostgreSQL; SQLite's transactions are serialised anyway)."""
    query = select(Activity).where(Activity.id == activity.id).with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def require_manager(actor: User | None, activity: Activity) -> None:
    if not may_manage(actor, activity):
        raise Refused(NOT_YOURS)


def change(session: Session, activity: Activity, actor: User, now: dt.datetime, settings: Settings, *,
           starts_at: dt.datetime | None = None, ends_at: dt.datetime | None = None, place_text: str | None = None,
           latitude: float | None = None, longitude: float | None = None) -> int:
    """Change the time (a new start alone keeps the duration) and/or the place of a scheduled activity
    that has not started: checked, version + 1, reminders moved, everyone going / maybe / waiting told.
    Returns how many were told (0 when nothing changed)."""
    activity = locked(session, activity)
    require_manager(actor, activity)
    if activity.status == ActivityStatus.CANCELLED:
        raise Refused(CANCELLED)
    if activity.starts_at <= now:
        raise Refused(STARTED_NO_CHANGE)
    old_start = activity.starts_at
    what = _apply_time(activity, starts_at, ends_at, now, settings) + _apply_place(activity, place_text, latitude,
                                                                                  longitude)
    if not what:
        return 0
    activity.version += 1
    activity.updated_at = now
    session.flush()
    replan_activity(session, activity, now, settings)
    refresh_invites(session, activity, now, settings)
    told = tell(session, _people(session, activity), activity_cards.change_notice(activity, settings, what), now,
                settings, min(old_start, activity.starts_at))
    audit(session, now, "activity.changed", actor, activity_id=activity.id, what=what, told=told,
          version=activity.version)
    return told


def _apply_time(activity: Activity, starts_at, ends_at, now: dt.datetime, settings: Settings) -> list[str]:
    if starts_at is None and ends_at is None:
        return []
    new_start = starts_at or activity.starts_at
    new_end = ends_at or activity.ends_at + (new_start - activity.starts_at)
    if starts_at is not None:
        check_start(new_start, now, settings.tz)
    check_end(new_start, new_end, settings.tz)
    if (new_start, new_end) == (activity.starts_at, activity.ends_at):
        return []
    activity.starts_at, activity.ends_at = new_start, new_end
    return [TIME]


def _apply_place(activity: Activity, place_text, latitude, longitude) -> list[str]:
    changed = False
    if place_text is not None:
        place = clean_place(place_text)
        changed = place != activity.place_text
        activity.place_text = place
    if latitude is not None or longitude is not None:
        check_location(latitude, longitude)
        changed = changed or (latitude, longitude) != (activity.latitude, activity.longitude)
        activity.latitude, activity.longitude = latitude, longitude
    return [PLACE] if changed else []


def cancel(session: Session, activity: Activity, actor: User, now: dt.datetime, settings: Settings, *,
           whole_series: bool = False) -> int:
    """Cancel an activity that has not ended: reminders dropped, everyone going / maybe / waiting told.
    `whole_series` also stops a repeating activity from making its next occurrence. Returns how many were
    told (0 if it was cancelled already)."""
    activity = locked(session, activity)
    require_manager(actor, activity)
    if activity.status == ActivityStatus.CANCELLED:
        if whole_series:
            activity.repeat = None
        return 0
    if activity.ends_at <= now:
        raise Refused(ENDED_NO_CANCEL)
    activity.status, activity.cancelled_at, activity.updated_at = ActivityStatus.CANCELLED, now, now
    if whole_series:
        activity.repeat = None
    cancel_activity(session, activity)
    withdraw_invites(session, activity, now)
    told = tell(session, _people(session, activity), activity_cards.cancel_notice(activity, settings), now, settings,
                activity.starts_at)
    audit(session, now, "activity.cancelled", actor, activity_id=activity.id, told=told, whole_series=whole_series)
    return told


def _people(session: Session, activity: Activity) -> list[User]:
    """Everyone going, maybe or waiting, in the order they answered."""
    query = (select(User).join(ActivityResponse, ActivityResponse.user_id == User.id)
             .where(ActivityResponse.activity_id == activity.id, ActivityResponse.answer.in_(TOLD))
             .order_by(ActivityResponse.answered_at, ActivityResponse.id))
    return list(session.scalars(query))
