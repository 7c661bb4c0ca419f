"""Sign-in to the coordinators' web console: a password (hashed by werkzeug) and one-time login links sent
to the person's own LINE chat. Only coordinators and admins get in; the role and province always come
from their `users` row, never from the console account."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ConsoleAccount(Base):
    """A staff member's console sign-in: a login name and password (optional: links work without one)."""

    __tablename__ = "console_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    login: Mapped[str | None] = mapped_column(String(60), unique=True)  # lower case
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_attempts: Mapped[int] = mapped_column(default=0)  # wrong passwords in a row
    locked_until: Mapped[dt.datetime | None]
    session_version: Mapped[int] = mapped_column(default=1)  # grows on password change: other sessions end
    last_login_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class ConsoleLoginLink(Base):
    """A one-time login link: only the SHA-256 of its token is stored."""

    __tablename__ = "console_login_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
