"""Who did what to whom, for the people who must answer for it: role changes, group moves, consent,
deletions (and, with the console, views of report details). `detail` never holds message bodies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # None: operator
    action: Mapped[str] = mapped_column(String(40))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[dict] = mapped_column(default=dict)

    __table_args__ = (Index("ix_audit_events_subject_user_id_at", "subject_user_id", "at"),)
