"""A LINE user known to the bot, and where they are in a conversation."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


class Role:
    """What a registered user is in the programme (stored as a string)."""

    YOUTH = "youth"  # อพม.น้อย
    MENTOR = "mentor"  # อพม. พี่เลี้ยง
    COORDINATOR = "coordinator"  # เจ้าหน้าที่ พมจ. / พส.
    ADMIN = "admin"


class UserStatus:
    """Whether the bot may use a registered person's data (stored as a string)."""

    ACTIVE = "active"
    PENDING_GUARDIAN = "pending_guardian"  # under 10: registered, waiting for a parent's or guardian's consent
    DELETED = "deleted"  # consent withdrawn: personal data erased, the row kept so records stay anonymous


class User(Base):
    """One LINE account that has talked to the bot. `role` stays empty until the person registers.

    A youth belongs to one mentor (`mentor_id`); without one they wait with their province's coordinators.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=UserStatus.ACTIVE, server_default=UserStatus.ACTIVE)
    province_code: Mapped[str | None] = mapped_column(String(8))  # bot.thai province code; None: national
    nickname: Mapped[str | None] = mapped_column(String(40))
    community: Mapped[str | None] = mapped_column(String(120))  # the community / area the person works in
    school: Mapped[str | None] = mapped_column(String(120))
    age_years: Mapped[int | None]  # as told at registration, with the date it was told
    age_recorded_at: Mapped[dt.datetime | None]
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    notify_campaigns: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_activities: Mapped[bool] = mapped_column(default=True, server_default=true())
    activity_reminder_minutes: Mapped[list | None]  # own choice of reminders before activities (None: default)
    failed_code_attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # wrong codes lately
    code_window_started_at: Mapped[dt.datetime | None]
    is_following: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    registered_at: Mapped[dt.datetime | None]
    last_active_at: Mapped[dt.datetime | None]
    followed_at: Mapped[dt.datetime | None]
    unfollowed_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]

    conversation: Mapped[Conversation] = relationship(back_populates="user", uselist=False)

    __table_args__ = (Index("ix_users_province_code_role", "province_code", "role"),
                      # the console's counts by province and role (an index-only scan of a million rows)
                      Index("ix_users_role_status_province_code_registered_at", "role", "status", "province_code",
                            "registered_at"),
                      # the console's search inside names and communities (pg_trgm; a plain index on SQLite)
                      Index("ix_users_nickname_trgm", "nickname", postgresql_using="gin",
                            postgresql_ops={"nickname": "gin_trgm_ops"}),
                      Index("ix_users_community_trgm", "community", postgresql_using="gin",
                            postgresql_ops={"community": "gin_trgm_ops"}))

    def age_now(self, now: dt.datetime) -> int | None:
        """The age told at registration plus the whole years since (None if never told)."""
        if self.age_years is None or self.age_recorded_at is None:
            return None
        return self.age_years + (now - self.age_recorded_at).days // 365

    def is_minor(self, now: dt.datetime) -> bool:
        """Under 18, or of unknown age (the safe assumption for a youth programme)."""
        age = self.age_now(now)
        return age is None or age < 18


def new_conversation_token() -> str:
    """A short random token that marks the buttons of one conversation (stale-button detection)."""
    return secrets.token_urlsafe(6)


class Conversation(Base):
    """The flow and step a user is in, with the flow's data; the only place conversation state lives.

    `token` changes whenever a flow starts or ends: buttons carry it, so a tap on a button from an older
    conversation is recognised and answered politely instead of acting. `version` guards against two
    web workers handling the same user's events at once (optimistic locking).
    """

    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(default=dict)
    token: Mapped[str] = mapped_column(String(16), default=new_conversation_token)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime]

    user: Mapped[User] = relationship(back_populates="conversation")

    __mapper_args__ = {"version_id_col": version}
