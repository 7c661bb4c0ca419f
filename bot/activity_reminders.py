"""Reminders before an activity: planned as rows when someone says they are going (or maybe), sent by the
"activity-reminders" job (every 20 s) as outbox pushes.

Each row stands for one offset ("1,440 minutes before") of one person for one version of the activity;
its key `activity:user:minutes:vVersion` is unique, so planning twice changes nothing and a change of time
or place (a new version) plans new rows while the old ones are cancelled. The offsets are the person's
choice for this activity, else their own default, else the activity's. A minor's reminder that would fall
in the quiet hours moves earlier, before they begin (never later). Offsets already gone by are not
planned, except that when none is left the nearest one is due at once (still useful before the start).

The job claims due pending rows in batches (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises
writers), loads their activities, people and answers for the whole batch at once, inserts the outbox rows
in bulk and marks the reminders sent in the same transaction: a job that runs twice, two schedulers or a
restart send nothing twice. A row whose activity was cancelled or has started, or whose person no longer
goes, blocked the bot or was erased, is skipped. Rows due while the system was down go out on the next run
if still useful; a minor's that comes up in quiet hours is held until morning if that is still before
the start, else skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from bot.activity_cards import CONFIRM_FROM_MINUTES, reminder_json, time_left_text
from bot.config import Settings
from bot.messaging import MULTICAST_MAX_RECIPIENTS
from bot.quiet import quiet_until
from bot.scheduler import Job, register
from models import (
    Activity,
    ActivityReminder,
    ActivityResponse,
    ActivityStatus,
    Answer,
    HeldPush,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    ReminderStatus,
    User,
    UserStatus,
)
from models.base import new_uuid
from models.db import dialect_insert

log = logging.getLogger("bot.activities")

BATCH = 1000  # rows claimed, loaded and written together
MAX_PER_RUN = 100_000  # a run stops after this many; the next run (20 s later) takes the rest
QUIET_MARGIN = dt.timedelta(minutes=15)  # a reminder moved out of the quiet hours goes this long before them
HELD_PREFIX = "ar:"  # held pushes of reminders: "ar:<reminder key>"


def offsets_for(activity: Activity, response_minutes: list | None, user: User) -> tuple[int, ...]:
    """The person's offsets for this activity, largest first: their choice for it, else their own
    default, else the activity's."""
    for choice in (response_minutes, user.activity_reminder_minutes, activity.reminder_minutes):
        if choice is not None:
            return tuple(sorted({int(value) for value in choice}, reverse=True))
    return ()


def reminder_key(activity: Activity, user_id: int, minutes: int) -> str:
    return f"{activity.id}:{user_id}:{minutes}:v{activity.version}"


def before_quiet_hours(due: dt.datetime, settings: Settings) -> dt.datetime:
    """`due`, or if it falls in the quiet hours a moment before they began (UTC)."""
    if quiet_until(due, settings) is None:
        return due
    tz, (start, _end) = settings.tz, settings.quiet_window
    local = due.astimezone(tz)
    began = dt.datetime.combine(local.date(), start, tzinfo=tz)
    if began > local:
        began -= dt.timedelta(days=1)
    return began.astimezone(dt.UTC) - QUIET_MARGIN


def due_times(activity: Activity, offsets: Iterable[int], user: User, now: dt.datetime,
              settings: Settings) -> dict[int, dt.datetime]:
    """When each offset's reminder is due (offset -> UTC); see the module docstring for the rules."""
    offsets = sorted(set(offsets), reverse=True)
    minor = user.is_minor(now)
    planned = {}
    for minutes in offsets:
        due = activity.starts_at - dt.timedelta(minutes=minutes)
        if minor:
            due = before_quiet_hours(due, settings)
        if due >= now:
            planned[minutes] = due
    if not planned and offsets and activity.starts_at > now:
        planned[offsets[-1]] = now  # none left: the nearest one now, while it still helps
    return planned


def plan_for(session: Session, activity: Activity, response: ActivityResponse, user: User, now: dt.datetime,
             settings: Settings) -> int:
    """Plan the pending reminders of one person who is going or maybe (a cancelled plan for the same
    offset and version is revived; sent ones are never planned again). Returns how many are pending."""
    if response.answer not in Answer.REMINDED or activity.status != ActivityStatus.SCHEDULED:
        drop_for(session, activity, user.id)
        return 0
    planned = due_times(activity, offsets_for(activity, response.reminder_minutes, user), user, now, settings)
    keys = {reminder_key(activity, user.id, minutes): (minutes, due) for minutes, due in planned.items()}
    session.execute(update(ActivityReminder)
                    .where(ActivityReminder.activity_id == activity.id, ActivityReminder.user_id == user.id,
                           ActivityReminder.status == ReminderStatus.PENDING, ActivityReminder.key.not_in(keys))
                    .values(status=ReminderStatus.CANCELLED).execution_options(synchronize_session=False))
    if not keys:
        return 0
    rows = [{"key": key, "activity_id": activity.id, "user_id": user.id, "minutes_before": minutes,
             "due_at": due, "status": ReminderStatus.PENDING} for key, (minutes, due) in keys.items()]
    statement = dialect_insert(session, ActivityReminder).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=[ActivityReminder.key],
        set_={"due_at": statement.excluded.due_at, "status": ReminderStatus.PENDING},
        where=ActivityReminder.status.in_((ReminderStatus.PENDING, ReminderStatus.CANCELLED))))
    return len(rows)


def drop_for(session: Session, activity: Activity, user_id: int) -> None:
    """Cancel one person's pending reminders of an activity (and any held for the morning)."""
    _cancel(session, [ActivityReminder.activity_id == activity.id, ActivityReminder.user_id == user_id],
            f"{HELD_PREFIX}{activity.id}:{user_id}:")


def cancel_activity(session: Session, activity: Activity) -> None:
    """Cancel every pending reminder of an activity (and any held for the morning)."""
    _cancel(session, [ActivityReminder.activity_id == activity.id], f"{HELD_PREFIX}{activity.id}:")


def _cancel(session: Session, conditions: list, held_prefix: str) -> None:
    session.execute(update(ActivityReminder)
                    .where(*conditions, ActivityReminder.status == ReminderStatus.PENDING)
                    .values(status=ReminderStatus.CANCELLED).execution_options(synchronize_session=False))
    session.execute(delete(HeldPush).where(HeldPush.key.startswith(held_prefix, autoescape=True))
                    .execution_options(synchronize_session=False))


def replan_activity(session: Session, activity: Activity, now: dt.datetime, settings: Settings) -> int:
    """After a change of time or place (a new version): cancel every pending reminder and plan those of
    everyone going or maybe again. Returns how many reminders are pending."""
    cancel_activity(session, activity)
    query = (select(ActivityResponse, User).join(User, User.id == ActivityResponse.user_id)
             .where(ActivityResponse.activity_id == activity.id, ActivityResponse.answer.in_(Answer.REMINDED))
             .order_by(ActivityResponse.id))
    return sum(plan_for(session, activity, response, user, now, settings)
               for response, user in session.execute(query).all())


# ------------------------------------------------------------------------------------------------ the job


def send_due(session: Session, now: dt.datetime, settings: Settings) -> int:
    """The job: turn every due pending reminder into an outbox push (or skip it), batch by batch, in the
    caller's transaction. Returns how many were sent or held for the morning."""
    sent = handled = 0
    while handled < MAX_PER_RUN:
        rows = _claim(session, now)
        if not rows:
            break
        sent += _deliver(session, rows, now, settings)
        handled += len(rows)
        if len(rows) < BATCH:
            break
    if handled:
        log.info("activity reminders queued", extra={"sent": sent, "skipped": handled - sent})
    return sent


register(Job("activity-reminders", dt.timedelta(seconds=20), send_due, needs_settings=True))


def _claim(session: Session, now: dt.datetime) -> list:
    query = (select(ActivityReminder.id, ActivityReminder.key, ActivityReminder.activity_id,
                    ActivityReminder.user_id, ActivityReminder.minutes_before)
             .where(ActivityReminder.status == ReminderStatus.PENDING, ActivityReminder.due_at <= now)
             .order_by(ActivityReminder.due_at, ActivityReminder.id).limit(BATCH))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.execute(query).all()


class _Batch:
    """One claimed batch with what it needs, loaded at once: activities, people and their answers."""

    def __init__(self, session: Session, rows: list):
        activity_ids = {row.activity_id for row in rows}
        user_ids = {row.user_id for row in rows}
        self.activities = {a.id: a for a in session.scalars(select(Activity).where(Activity.id.in_(activity_ids)))}
        self.users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
        answers = session.execute(select(ActivityResponse.activity_id, ActivityResponse.user_id,
                                         ActivityResponse.answer, ActivityResponse.reminder_minutes)
                                  .where(ActivityResponse.activity_id.in_(activity_ids),
                                         ActivityResponse.user_id.in_(user_ids)))
        self.answers = {(row.activity_id, row.user_id): row for row in answers}
        self.payloads: dict[tuple, list[dict]] = {}
        self.nearest: dict[tuple[int, int], int] = {}
        for row in rows:
            pair = (row.activity_id, row.user_id)
            self.nearest[pair] = min(row.minutes_before, self.nearest.get(pair, row.minutes_before))

    def superseded(self, row) -> bool:
        """Whether a nearer reminder of the same person and activity is in the batch too (after downtime:
        only the nearest one goes)."""
        return row.minutes_before > self.nearest[(row.activity_id, row.user_id)]

    def useful(self, row, now: dt.datetime) -> bool:
        activity, user = self.activities.get(row.activity_id), self.users.get(row.user_id)
        answer = self.answers.get((row.activity_id, row.user_id))
        return (activity is not None and user is not None and answer is not None
                and activity.status == ActivityStatus.SCHEDULED and activity.starts_at > now
                and row.key.endswith(f":v{activity.version}") and answer.answer in Answer.REMINDED
                and user.is_following and user.status == UserStatus.ACTIVE)

    def payload(self, row, at: dt.datetime, settings: Settings) -> list[dict]:
        """The reminder's JSON, built once per activity, time-left wording and kind."""
        activity, user = self.activities[row.activity_id], self.users[row.user_id]
        offsets = offsets_for(activity, self.answers[(row.activity_id, row.user_id)].reminder_minutes, user)
        ask_confirm = row.minutes_before == max((o for o in offsets if o >= CONFIRM_FROM_MINUTES), default=None)
        minutes_left = math.ceil((activity.starts_at - at).total_seconds() / 60 - 0.5)
        cache_key = (activity.id, time_left_text(minutes_left), ask_confirm)
        if cache_key not in self.payloads:
            self.payloads[cache_key] = reminder_json(activity, minutes_left, settings, ask_confirm)
        return self.payloads[cache_key]


def _deliver(session: Session, rows: list, now: dt.datetime, settings: Settings) -> int:
    batch = _Batch(session, rows)
    quiet_end = quiet_until(now, settings)
    recipients: dict[int, tuple[list[dict], list[str]]] = {}  # one payload object -> who gets it
    held, done, skipped = [], [], []
    for row in rows:
        if not batch.useful(row, now) or batch.superseded(row):
            skipped.append(row.id)
            continue
        activity, user = batch.activities[row.activity_id], batch.users[row.user_id]
        if quiet_end is not None and user.is_minor(now):
            if quiet_end >= activity.starts_at or _another_by(session, row, quiet_end):
                skipped.append(row.id)  # the morning is too late for it, or brings a nearer one
                continue
            held.append({"user_id": user.id, "due_at": quiet_end, "key": HELD_PREFIX + row.key, "created_at": now,
                         "messages": batch.payload(row, quiet_end, settings)})
        else:
            payload = batch.payload(row, now, settings)
            recipients.setdefault(id(payload), (payload, []))[1].append(user.line_user_id)
        done.append(row.id)
    outbox = [row for payload, line_ids in recipients.values() for row in _outbox_rows(payload, line_ids, now)]
    if outbox:
        session.execute(insert(OutboxMessage), outbox)
    if held:
        session.execute(dialect_insert(session, HeldPush).on_conflict_do_nothing(index_elements=[HeldPush.key]),
                        held)
    _mark(session, done, ReminderStatus.SENT, now)
    _mark(session, skipped, ReminderStatus.SKIPPED, None)
    return len(done)


def _another_by(session: Session, row, until: dt.datetime) -> bool:
    """Whether another pending reminder of the same person and activity falls due by `until`."""
    query = select(ActivityReminder.id).where(
        ActivityReminder.activity_id == row.activity_id, ActivityReminder.user_id == row.user_id,
        ActivityReminder.status == ReminderStatus.PENDING, ActivityReminder.id != row.id,
        ActivityReminder.due_at <= until)
    return session.scalar(query.limit(1)) is not None


def _outbox_rows(payload: list[dict], line_ids: list[str], now: dt.datetime) -> list[dict]:
    """The same reminder to several people is one multicast per 500 (LINE counts the quota per recipient
    either way; 10,000 reminders due in one minute are 500 calls instead of 10,000); one person: a push."""
    common = {"messages": payload, "status": OutboxStatus.PENDING, "attempts": 0, "created_at": now,
              "next_attempt_at": now}
    if len(line_ids) == 1:
        return [{**common, "retry_key": new_uuid(), "kind": OutboxKind.PUSH, "to_id": line_ids[0],
                 "recipient_count": 1}]
    return [{**common, "retry_key": new_uuid(), "kind": OutboxKind.MULTICAST, "to_id": None,
             "recipients": line_ids[start:start + MULTICAST_MAX_RECIPIENTS],
             "recipient_count": len(line_ids[start:start + MULTICAST_MAX_RECIPIENTS])}
            for start in range(0, len(line_ids), MULTICAST_MAX_RECIPIENTS)]


def _mark(session: Session, ids: list[int], status: str, sent_at: dt.datetime | None) -> None:
    if ids:
        session.execute(update(ActivityReminder).where(ActivityReminder.id.in_(ids))
                        .values(status=status, sent_at=sent_at).execution_options(synchronize_session=False))
