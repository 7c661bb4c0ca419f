"""The console's questions about reports: a filtered, paged list within what the staff member may see, and
the counts the dashboard shows. Province scoping is part of every query, never a check after it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, or_, select

from bot.report_cards import STATUS_LABELS
from bot.report_categories import CATEGORIES
from models import Report, ReportStatus
from web.blueprint import Staff

PAGE_SIZE = 50
CATEGORY_LABELS = {category.code: category.label for category in CATEGORIES}
STATUSES = {status: STATUS_LABELS[status] for status in (*ReportStatus.ACTIVE, ReportStatus.CLOSED)}


@dataclass(frozen=True)
class ReportFilter:
    """What the list is narrowed to; empty strings mean "any"."""

    status: str = ""
    category: str = ""
    province: str = ""
    urgent: bool = False
    overdue: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args) -> ReportFilter:
        page = args.get("page", "1")
        return cls(status=args.get("status", "") if args.get("status") in STATUSES else "",
                   category=args.get("category", "") if args.get("category") in CATEGORY_LABELS else "",
                   province=args.get("province", "")[:8], urgent=args.get("urgent") == "1",
                   overdue=args.get("overdue") == "1",
                   page=int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1)


def visible_to(staff: Staff) -> list:
    """Conditions that keep a query inside the staff member's area."""
    return [] if staff.is_national else [Report.province_code == staff.province_code]


def overdue_condition(now: dt.datetime):
    """Nobody acknowledged it in time: its deadline passed, or it has already climbed a level."""
    return and_(Report.status == ReportStatus.OPEN,
                or_(Report.escalation_level > 0, Report.next_escalation_at <= now))


def report_list(staff: Staff, wanted: ReportFilter, now: dt.datetime) -> Select:
    """Newest first, one page (one more row than a page, to know there is a next one)."""
    query = select(Report).where(*visible_to(staff), Report.submitted_at.is_not(None))
    if wanted.status:
        query = query.where(Report.status == wanted.status)
    if wanted.category:
        query = query.where(Report.category == wanted.category)
    if wanted.province and staff.is_national:
        query = query.where(Report.province_code == wanted.province)
    if wanted.urgent:
        query = query.where(Report.urgent.is_(True))
    if wanted.overdue:
        query = query.where(overdue_condition(now))
    offset = (wanted.page - 1) * PAGE_SIZE
    return query.order_by(Report.submitted_at.desc(), Report.id.desc()).offset(offset).limit(PAGE_SIZE + 1)
