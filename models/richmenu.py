"""The rich menu LINE holds for each kind of user (guest, youth, mentor, coordinator), made by the
`rich-menus` command; linking a user to their role's menu is an outbox row like any other LINE call."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class RichMenu(Base):
    __tablename__ = "rich_menus"

    audience: Mapped[str] = mapped_column(String(20), primary_key=True)  # "guest" or a Role value
    line_rich_menu_id: Mapped[str] = mapped_column(String(80))
    layout_version: Mapped[str] = mapped_column(String(32))  # which design it was made from
    created_at: Mapped[dt.datetime]
