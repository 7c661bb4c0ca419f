"""Consent to the privacy notice (PDPA): who agreed to which version of the notice, when, and for whom.

A youth of 10 or more consents for themself. For a child under 10 a parent or guardian consents: their name
and relation are recorded, and the consent counts only once confirmed, by the guardian's own tap in their
LINE (`confirmed_by = guardian`, `guardian_user_id` set) or by the child's mentor (`confirmed_by = mentor`).
Withdrawing keeps the row (proof of what was agreed and when) without the guardian's name.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ConsentKind:
    SELF = "self"
    GUARDIAN = "guardian"


class ConfirmedBy:
    SELF = "self"
    GUARDIAN = "guardian"
    MENTOR = "mentor"


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    notice_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[dt.datetime]
    guardian_name: Mapped[str | None] = mapped_column(String(80))
    guardian_relation: Mapped[str | None] = mapped_column(String(40))
    confirmed_by: Mapped[str | None] = mapped_column(String(16))  # None: waiting for the guardian
    confirmed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]
