"""Repeating activities: the "activity-repeat" job (every 5 minutes) creates the next occurrence of each
weekly or monthly activity once it has started, at the same local clock time (+7 days, or the same day of
the next month — the 31st becomes the month's last day), and invites its audience. Each occurrence is its
own row in the series (`series_id` = the first one's id); those going or maybe last time keep their answer and
get their reminders for the next one (`carry_over`). An occurrence that was cancelled still leads to the
next one (cancelling with `whole_series` stops the series). After a long downtime the next occurrence is
the first one still ahead. `next_created` is set in the same transaction and the rows are claimed with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two runs at once create each occurrence once. If the creator may
no longer create it (left their role or area), the series stops, written to the audit log.
"""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.activity_audience import audience_of, includes, invite, may_create
from bot.activity_reminders import plan_for
from bot.config import Settings
from bot.people import audit
from bot.scheduler import Job, register
from models import Activity, ActivityResponse, ActivityStatus, Answer, Repeat, User

BATCH = 100  # series handled per run; the rest wait for the next run


def occurrence(first: dt.datetime, repeat: str, number: int, tz: dt.tzinfo) -> dt.datetime:
    """The start of occurrence `number` (0 = `first`) of a series, same local clock time, as UTC."""
    local = first.astimezone(tz)
    if repeat == Repeat.WEEKLY:
        day = local.date() + dt.timedelta(weeks=number)
    else:
        months = local.month - 1 + number
        year, month = local.year + months // 12, months % 12 + 1
        day = dt.date(year, month, min(local.day, calendar.monthrange(year, month)[1]))
    return dt.datetime.combine(day, local.time(), tzinfo=tz).astimezone(dt.UTC)


def create_next_occurrences(session: Session, now: dt.datetime, settings: Settings) -> int:
    """The job: create the next occurrence of every repeating activity that has started and has none yet.
    Returns how many were created."""
    query = (select(Activity).where(Activity.repeat.is_not(None), Activity.next_created.is_(False),
                                    Activity.starts_at <= now)
             .order_by(Activity.starts_at, Activity.id).limit(BATCH))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return sum(_next(session, activity, now, settings)
               for activity in session.scalars(query.execution_options(populate_existing=True)).all())


register(Job("activity-repeat", dt.timedelta(minutes=5), create_next_occurrences, needs_settings=True))


def _next(session: Session, activity: Activity, now: dt.datetime, settings: Settings) -> int:
    activity.next_created = True
    creator = session.get(User, activity.created_by_id) if activity.created_by_id else None
    reason = may_create(creator, audience_of(activity))
    if reason is not None:
        audit(session, now, "activity.repeat_stopped", None, creator, activity_id=activity.id, reason=reason)
        return 0
    first = session.get(Activity, activity.series_id) if activity.series_id else activity
    first = first or activity
    number, starts_at = 1, occurrence(first.starts_at, activity.repeat, 1, settings.tz)
    while starts_at <= max(now, activity.starts_at):
        number += 1
        starts_at = occurrence(first.starts_at, activity.repeat, number, settings.tz)
    following = Activity(
        title=activity.title, description=activity.description, place_text=activity.place_text,
        latitude=activity.latitude, longitude=activity.longitude, starts_at=starts_at,
        ends_at=starts_at + (activity.ends_at - activity.starts_at), audience=activity.audience,
        province_code=activity.province_code, capacity=activity.capacity, repeat=activity.repeat,
        series_id=first.id, next_created=False, reminder_minutes=list(activity.reminder_minutes or []),
        status=ActivityStatus.SCHEDULED, created_by_id=activity.created_by_id, created_at=now, updated_at=now,
        version=1)
    session.add(following)
    session.flush()
    kept = carry_over(session, activity, following, now, settings)
    following.invited_count = invite(session, following, now, settings)
    audit(session, now, "activity.repeated", None, creator, activity_id=following.id, series_id=first.id,
          invited=following.invited_count, carried_over=kept)
    return 1


def carry_over(session: Session, previous: Activity, following: Activity, now: dt.datetime,
               settings: Settings) -> int:
    """Who was going or maybe last time (and still belongs to the audience) keeps that answer, and their own
    reminder choice, for the next occurrence, with its reminders planned; going beyond the capacity waits in
    the order they first answered. They get the card too, to change their answer. Returns how many."""
    answers = session.execute(select(ActivityResponse, User).join(User, User.id == ActivityResponse.user_id)
                              .where(ActivityResponse.activity_id == previous.id,
                                     ActivityResponse.answer.in_((*Answer.REMINDED, Answer.WAITLIST)))
                              .order_by(ActivityResponse.answered_at, ActivityResponse.id)).all()
    going = kept = 0
    for answer, user in answers:
        if not includes(session, following, user):
            continue
        wanted = Answer.GOING if answer.answer == Answer.WAITLIST else answer.answer
        full = following.capacity is not None and going >= following.capacity
        stored = Answer.WAITLIST if wanted == Answer.GOING and full else wanted
        going += stored == Answer.GOING
        response = ActivityResponse(activity_id=following.id, user_id=user.id, answer=stored, answered_at=now,
                                    reminder_minutes=answer.reminder_minutes)
        session.add(response)
        session.flush()
        plan_for(session, following, response, user, now, settings)
        kept += 1
    return kept
