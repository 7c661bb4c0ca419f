"""Community activities: a mentor or coordinator creates one for an audience (invitations go out at once),
youth answer going / maybe / can't (a full activity puts them on a waiting list, moved up in order when a
seat comes free), and the creator may change its time or place or cancel it, telling everyone who answered
and moving or dropping their reminders. The LINE conversation (handlers/activity.py), the console and the
jobs call these inside their own transaction; nothing here commits or talks to LINE.

```mermaid
stateDiagram-v2
    [*] --> scheduled: create (checked, permitted, invitations queued)
    scheduled --> scheduled: change time or place (version + 1, reminders moved, people told)
    scheduled --> cancelled: cancel (reminders dropped, people told)
    scheduled --> [*]: ends (attendance and hours afterwards)
```

Inputs are checked in bot/activity_input.py, audiences and permissions in bot/activity_audience.py;
change, cancel and counts are bot/activity_lifecycle.py, reminders bot/activity_reminders.py, check-in,
hours and records bot/activity_attendance.py, the next occurrence of a repeating activity
bot/activity_repeat.py; all of it is re-exported here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot import activity_cards
from bot.activity_attendance import (  # noqa: F401 (re-exported)
    CHECK_IN_FROM,
    Record,
    RecordItem,
    check_in,
    confirm_hours,
    mark_attendance,
    record_of,
)
from bot.activity_audience import (
    audience_of,
    includes,
    invite,
    invitee_select,
    may_create,
    may_manage,
    place_province,
    tell,
)
from bot.activity_input import (  # noqa: F401 (re-exported)
    DEFAULT_REMINDER_MINUTES,
    MAX_CAPACITY,
    Draft,
    check_draft,
    check_end,
    check_location,
    check_start,
    clean_description,
    clean_place,
    clean_reminder_minutes,
    clean_title,
    parse_capacity,
    parse_end,
    parse_start,
)
from bot.activity_lifecycle import (  # noqa: F401 (re-exported)
    CANCELLED,
    Counts,
    cancel,
    change,
    counts,
    locked,
    require_manager,
)
from bot.activity_reminders import drop_for, plan_for
from bot.activity_repeat import create_next_occurrences  # noqa: F401 (re-exported; registers the job)
from bot.config import Settings
from bot.people import audit
from bot.textinput import Refused
from models import Activity, ActivityResponse, ActivityStatus, Answer, Role, User

SAME_CONFIRM_WINDOW = dt.timedelta(minutes=10)  # the same activity confirmed twice: the first one
UPCOMING_MAX, MANAGED_MAX, RECENT_DAYS = 10, 20, 14
ENDED = "กิจกรรมนี้จบไปแล้วค่ะ"
NOT_FOR_YOU = "กิจกรรมนี้สำหรับน้อง ๆ ในกลุ่มหรือพื้นที่ที่จัดเท่านั้นค่ะ"


@dataclass(frozen=True)
class Responded:
    """What an answer did: the stored answer (going becomes waitlist when full), whether it changed
    anything, and who moved up from the waiting list because of it (already told by a push)."""

    answer: str
    changed: bool
    promoted: User | None = None


def unsaved(draft: Draft) -> Activity:
    """An Activity not added to any session, for previews (its card's buttons lead nowhere)."""
    return Activity(id=0, title=draft.title, description=draft.description, place_text=draft.place_text,
                    latitude=draft.latitude, longitude=draft.longitude, starts_at=draft.starts_at,
                    ends_at=draft.ends_at, audience=draft.audience.to_dict(), capacity=draft.capacity,
                    repeat=draft.repeat, reminder_minutes=list(draft.reminder_minutes),
                    status=ActivityStatus.SCHEDULED, invited_count=0, version=1)


def invitee_count(session: Session, draft: Draft) -> int:
    """How many youth the invitation would reach now (those `create` would invite)."""
    query = invitee_select(unsaved(draft)).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(query)) or 0


def get(session: Session, activity_id: int | str | None) -> Activity | None:
    """The activity with this id (a postback's text id is fine), or None."""
    try:
        return session.get(Activity, int(activity_id)) if activity_id is not None else None
    except (TypeError, ValueError):
        return None


def create(session: Session, actor: User, draft: Draft, now: dt.datetime, settings: Settings) -> Activity:
    """Store a checked draft and invite its audience (minors after the quiet hours). The same activity
    confirmed again by the same person within ten minutes returns the first one."""
    check_draft(draft, now, settings.tz)
    reason = may_create(actor, draft.audience)
    if reason is not None:
        raise Refused(reason)
    earlier = _same_recent(session, actor, draft, now)
    if earlier is not None:
        return earlier
    activity = Activity(title=draft.title, description=draft.description, place_text=draft.place_text,
                        latitude=draft.latitude, longitude=draft.longitude, starts_at=draft.starts_at,
                        ends_at=draft.ends_at, audience=draft.audience.to_dict(),
                        province_code=place_province(session, draft.audience), capacity=draft.capacity,
                        repeat=draft.repeat, reminder_minutes=list(draft.reminder_minutes),
                        status=ActivityStatus.SCHEDULED, created_by_id=actor.id, created_at=now, updated_at=now,
                        version=1, next_created=False)
    session.add(activity)
    session.flush()
    activity.invited_count = invite(session, activity, now, settings)
    audit(session, now, "activity.created", actor, activity_id=activity.id, invited=activity.invited_count)
    return activity


def _same_recent(session: Session, actor: User, draft: Draft, now: dt.datetime) -> Activity | None:
    query = select(Activity).where(Activity.created_by_id == actor.id, Activity.title == draft.title,
                                   Activity.starts_at == draft.starts_at, Activity.ends_at == draft.ends_at,
                                   Activity.created_at >= now - SAME_CONFIRM_WINDOW,
                                   Activity.status == ActivityStatus.SCHEDULED)
    for earlier in session.scalars(query.order_by(Activity.id.desc())):
        if earlier.place_text == draft.place_text and audience_of(earlier) == draft.audience:
            return earlier
    return None


def response_of(session: Session, activity: Activity, user: User) -> ActivityResponse | None:
    """The person's answer to the activity, or None if they have not answered."""
    return session.scalar(select(ActivityResponse).where(ActivityResponse.activity_id == activity.id,
                                                          ActivityResponse.user_id == user.id))


def respond(session: Session, activity: Activity, user: User, answer: str, now: dt.datetime,
            settings: Settings) -> Responded:
    """Store a youth's answer (going / maybe / no): going becomes waitlist when the activity is full; going
    given up frees a seat for the first on the waiting list. Plans or drops the person's reminders.
    Refused when the activity is cancelled or over, or the person is not (any more) in its audience."""
    if answer not in (Answer.GOING, Answer.MAYBE, Answer.NO):
        raise ValueError(f"unknown answer {answer!r}")
    activity = locked(session, activity)
    require_open(activity, now)
    if not includes(session, activity, user):
        raise Refused(NOT_FOR_YOU)
    response = response_of(session, activity, user)
    previous = response.answer if response is not None else None
    stored = answer
    if answer == Answer.GOING and previous != Answer.GOING and _full(session, activity):
        stored = Answer.WAITLIST
    if stored == previous:
        return Responded(stored, changed=False)
    if response is None:
        response = ActivityResponse(activity_id=activity.id, user_id=user.id, answer=stored, answered_at=now)
        session.add(response)
    response.answer, response.answered_at, response.confirmed_at = stored, now, None
    session.flush()
    promoted = promote(session, activity, now, settings) if previous == Answer.GOING else None
    if stored in Answer.REMINDED:
        plan_for(session, activity, response, user, now, settings)
    else:
        drop_for(session, activity, user.id)
    return Responded(stored, changed=True, promoted=promoted)


def require_open(activity: Activity, now: dt.datetime) -> None:
    if activity.status == ActivityStatus.CANCELLED:
        raise Refused(CANCELLED)
    if activity.ends_at <= now:
        raise Refused(ENDED)


def _full(session: Session, activity: Activity) -> bool:
    return activity.capacity is not None and counts(session, activity).going >= activity.capacity


def promote(session: Session, activity: Activity, now: dt.datetime, settings: Settings) -> User | None:
    """Move the first on the waiting list to going when a seat is free (and tell them); who moved up."""
    if activity.capacity is not None and _full(session, activity):
        return None
    query = (select(ActivityResponse, User).join(User, User.id == ActivityResponse.user_id)
             .where(ActivityResponse.activity_id == activity.id, ActivityResponse.answer == Answer.WAITLIST)
             .order_by(ActivityResponse.answered_at, ActivityResponse.id).limit(1))
    first = session.execute(query).first()
    if first is None:
        return None
    response, user = first
    response.answer = Answer.GOING
    session.flush()
    plan_for(session, activity, response, user, now, settings)
    tell(session, [user], activity_cards.promoted_notice(activity, settings), now, settings, activity.starts_at)
    return user


def confirm_coming(session: Session, activity: Activity, user: User, now: dt.datetime) -> bool:
    """"Still coming" from the day-before reminder: True if noted; False if the person is not going or maybe
    (Refused when the activity is cancelled or over)."""
    require_open(activity, now)
    response = response_of(session, activity, user)
    if response is None or response.answer not in Answer.REMINDED:
        return False
    response.confirmed_at = now
    return True


def set_reminder_choice(session: Session, user: User, minutes, now: dt.datetime, settings: Settings,
                        activity: Activity | None = None) -> int:
    """A person's own reminder offsets (an empty choice: no reminders; None: back to the default), for one
    activity or, without `activity`, for all; their pending reminders are planned again. Returns how many
    reminders are pending for them now."""
    choice = list(clean_reminder_minutes(minutes)) if minutes is not None else None
    if activity is None:
        user.activity_reminder_minutes = choice
    query = (select(ActivityResponse, Activity).join(Activity, Activity.id == ActivityResponse.activity_id)
             .where(ActivityResponse.user_id == user.id, Activity.status == ActivityStatus.SCHEDULED,
                    Activity.starts_at > now))
    if activity is not None:
        query = query.where(Activity.id == activity.id)
    pending = 0
    for response, upcoming in session.execute(query).all():
        if activity is not None:
            response.reminder_minutes = choice
        pending += plan_for(session, upcoming, response, user, now, settings)
    return pending


def upcoming_for(session: Session, user: User, now: dt.datetime) -> list[tuple[Activity, ActivityResponse | None]]:
    """Scheduled activities of the person's audience that have not ended, soonest first (at most 10), each
    with the person's answer."""
    answered = select(ActivityResponse.activity_id).where(ActivityResponse.user_id == user.id)
    nearby = [Activity.province_code.is_(None), Activity.id.in_(answered)]
    if user.province_code is not None:
        nearby.append(Activity.province_code == user.province_code)
    if user.mentor_id is not None:
        nearby.append(Activity.created_by_id == user.mentor_id)
    query = (select(Activity).where(Activity.status == ActivityStatus.SCHEDULED, Activity.ends_at > now,
                                    or_(*nearby)).order_by(Activity.starts_at, Activity.id).limit(500))
    found = [activity for activity in session.scalars(query) if includes(session, activity, user)][:UPCOMING_MAX]
    answers = {response.activity_id: response for response in session.scalars(
        select(ActivityResponse).where(ActivityResponse.user_id == user.id,
                                       ActivityResponse.activity_id.in_([a.id for a in found])))}
    return [(activity, answers.get(activity.id)) for activity in found]


def managed_upcoming(session: Session, actor: User, now: dt.datetime) -> list[Activity]:
    """Activities the person manages that have not ended, soonest first (at most 20)."""
    query = _managed(actor).where(Activity.ends_at > now).order_by(Activity.starts_at, Activity.id)
    return [a for a in session.scalars(query.limit(200)) if may_manage(actor, a)][:MANAGED_MAX]


def managed_recent(session: Session, actor: User, now: dt.datetime) -> list[Activity]:
    """Activities the person manages that ended in the last 14 days (for attendance and hours), latest
    first (at most 20)."""
    query = _managed(actor).where(Activity.ends_at <= now,
                                  Activity.ends_at > now - dt.timedelta(days=RECENT_DAYS))
    query = query.order_by(Activity.starts_at.desc(), Activity.id.desc())
    return [a for a in session.scalars(query.limit(200)) if may_manage(actor, a)][:MANAGED_MAX]


def _managed(actor: User):
    query = select(Activity).where(Activity.status == ActivityStatus.SCHEDULED)
    if actor.role == Role.ADMIN or (actor.role == Role.COORDINATOR and actor.province_code is None):
        return query
    mine = [Activity.created_by_id == actor.id]
    if actor.province_code is not None:
        mine.append(Activity.province_code == actor.province_code)
    return query.where(or_(*mine))

