"""One-time and reusable codes that give a LINE user a role: a coordinator's claim code (made by an admin),
a mentor's invite code (made by a coordinator for their province), a mentor's group code for youth, and
the code a guardian sends to confirm consent for a child. Codes expire and can be revoked.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CodeKind:
    COORDINATOR = "coordinator"  # claim: become a coordinator of `province_code` (None: national)
    MENTOR_INVITE = "mentor_invite"  # claim: become a mentor in `province_code`
    YOUTH_JOIN = "youth_join"  # a mentor's group code (many uses): a youth joins `issued_by_user_id`'s group
    GUARDIAN = "guardian"  # a parent or guardian confirms consent for the child `subject_user_id`


class AccessCode(Base):
    __tablename__ = "access_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[str | None] = mapped_column(String(8))
    issued_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[dt.datetime | None]
    claimed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
