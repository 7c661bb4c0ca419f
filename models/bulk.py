"""A bulk send: one message to an audience snapshotted into multicast batches of at most 500 users.

Progress is counted from its outbox rows (queued / sent / failed recipients), never kept twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class BulkSend(Base):
    __tablename__ = "bulk_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime]
    recipient_total: Mapped[int] = mapped_column(default=0)
    batch_count: Mapped[int] = mapped_column(default=0)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
