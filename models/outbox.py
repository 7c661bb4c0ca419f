"""Outgoing messages: one row per LINE API call to make, written in the transaction that decided it.

The row's `retry_key` (a UUID fixed at insert) is the `X-Line-Retry-Key` of every push or multicast
attempt, so a retry after a timeout can never deliver twice. `id` orders the rows; one recipient's
messages are sent in that order.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UUID_STR, Base, new_uuid


class OutboxKind:
    REPLY = "reply"  # use the reply token while fresh, else fall back to push with the retry key
    PUSH = "push"
    MULTICAST = "multicast"
    LINK_RICH_MENU = "link_rich_menu"  # messages = [{"richMenuId": ...}] (or [] to unlink) for `to_id`


class OutboxStatus:
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker until lease_until; reclaimed after
    SENT = "sent"
    FAILED = "failed"  # LINE refused it (4xx): recorded, not retried
    DEAD = "dead"  # could not be sent while its retry key was valid (24 h)

    OPEN = (PENDING, SENDING)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    retry_key: Mapped[str] = mapped_column(UUID_STR, unique=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(16))
    to_id: Mapped[str | None] = mapped_column(String(64))
    recipients: Mapped[list | None]
    recipient_count: Mapped[int] = mapped_column(default=1)
    reply_token: Mapped[str | None] = mapped_column(String(255))
    reply_deadline: Mapped[dt.datetime | None]
    messages: Mapped[list]
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime]
    lease_until: Mapped[dt.datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    sent_at: Mapped[dt.datetime | None]
    http_status: Mapped[int | None]
    line_request_id: Mapped[str | None] = mapped_column(String(64))
    accepted_request_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    inbox_event_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_events.id", ondelete="SET NULL"))
    bulk_send_id: Mapped[int | None] = mapped_column(ForeignKey("bulk_sends.id", ondelete="CASCADE"))

    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_messages_to_id_id", "to_id", "id"),
        Index("ix_outbox_messages_bulk_send_id_status", "bulk_send_id", "status"),
    )
