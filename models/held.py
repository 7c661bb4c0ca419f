"""Pushes held back until a time of day: a minor's non-urgent messages wait out the night (quiet hours).

A periodic job moves due rows to the outbox; `key` keeps a message from being held (and sent) twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class HeldPush(Base):
    __tablename__ = "held_pushes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    messages: Mapped[list]
    key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[dt.datetime]
