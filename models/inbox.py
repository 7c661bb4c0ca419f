"""Every webhook event LINE delivered, keyed by `webhookEventId` so a redelivery has no second effect."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class InboxStatus:
    """What became of an event (stored as a string)."""

    RECEIVED = "received"  # stored by the webhook, waiting for the event processor
    PROCESSED = "processed"
    IGNORED = "ignored"  # standby mode, group chats, event types the bot does not act on
    FAILED = "failed"  # the handler raised or the event could not be read; replayable


class InboxEvent(Base):
    __tablename__ = "inbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(80), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(16), default="active")
    is_redelivery: Mapped[bool] = mapped_column(default=False)
    source_user_id: Mapped[str | None] = mapped_column(String(64))
    event_time: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime]
    payload: Mapped[Any] = mapped_column(JSON)  # the event exactly as LINE sent it
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.RECEIVED)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    processed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ix_inbox_events_status_id", "status", "id"),
        Index("ix_inbox_events_source_user_id_id", "source_user_id", "id"),
    )
