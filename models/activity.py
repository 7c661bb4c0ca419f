"""Community activities youth join, the answers they give, the reminders they get and the hours they earn.

An activity belongs to an audience (a mentor's group, a province, everyone; stored like a campaign's,
see bot/campaign_audience.Audience). A repeating activity is a series: every occurrence is its own row
carrying `series_id` (the first occurrence's id) and the next one is created by a job. Each person's answer
is one `ActivityResponse` (going / maybe / can't / waiting list), which later carries their check-in and the
hours the mentor confirmed. Reminders are rows with a due time and a unique key, turned into outbox rows by
the "activity-reminders" job, so a tick that runs twice, a restart or a second scheduler sends nothing twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ActivityStatus:
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Repeat:
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    ALL = (WEEKLY, MONTHLY)


class Answer:
    GOING = "going"
    MAYBE = "maybe"
    NO = "no"
    WAITLIST = "waitlist"  # wanted to go while the activity was full; moved up in order of `answered_at`

    REMINDED = (GOING, MAYBE)  # who gets reminders
    ALL = (GOING, MAYBE, NO, WAITLIST)


class ReminderStatus:
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # no longer useful when its turn came (the activity began), or the person can't get it
    CANCELLED = "cancelled"  # the activity moved or was cancelled, or the person changed their answer


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    place_text: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)  # UTC; shown in Bangkok time
    ends_at: Mapped[dt.datetime]
    audience: Mapped[dict] = mapped_column(default=dict)  # bot/campaign_audience.Audience as JSON
    province_code: Mapped[str | None] = mapped_column(String(8))  # where it happens (None: nationwide)
    capacity: Mapped[int | None]  # None: no limit
    repeat: Mapped[str | None] = mapped_column(String(10))  # Repeat.WEEKLY / MONTHLY
    series_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"), index=True)
    next_created: Mapped[bool] = mapped_column(default=False)  # a repeating one whose next occurrence exists
    reminder_minutes: Mapped[list] = mapped_column(default=list)  # minutes before the start, e.g. [1440, 120]
    status: Mapped[str] = mapped_column(String(20), default=ActivityStatus.SCHEDULED)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    cancelled_at: Mapped[dt.datetime | None]
    invited_count: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)  # grows with every change of time or place

    __table_args__ = (Index("ix_activities_status_starts_at", "status", "starts_at"),)


class ActivityResponse(Base):
    """One person's answer to one activity, and afterwards their attendance and confirmed hours."""

    __tablename__ = "activity_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str] = mapped_column(String(10))
    answered_at: Mapped[dt.datetime]
    confirmed_at: Mapped[dt.datetime | None]  # "still coming" from the day-before reminder
    reminder_minutes: Mapped[list | None]  # this person's own choice for this activity (None: the default)
    checked_in_at: Mapped[dt.datetime | None]  # "I'm here", or the mentor marked them present
    check_in_latitude: Mapped[float | None] = mapped_column(Float)
    check_in_longitude: Mapped[float | None] = mapped_column(Float)
    attended: Mapped[bool | None]  # the mentor's confirmation afterwards (None: not confirmed yet)
    minutes_credited: Mapped[int] = mapped_column(default=0)  # confirmed volunteer time
    attendance_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attendance_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("activity_id", "user_id", name="uq_activity_responses_activity_id_user_id"),
        Index("ix_activity_responses_activity_id_answer", "activity_id", "answer"),
    )


class ActivityReminder(Base):
    """A reminder due at `due_at`; `key` (activity, person, minutes before, activity version) is unique."""

    __tablename__ = "activity_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    minutes_before: Mapped[int]  # the offset it stands for (the due time may be earlier: quiet hours)
    due_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(10), default=ReminderStatus.PENDING)
    sent_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_activity_reminders_status_due_at", "status", "due_at"),)
