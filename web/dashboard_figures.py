"""The dashboard's counts over the whole registry — volunteers by province and role, new this month, reports by
status and category — in two grouped queries (one scan each; the users one is an index-only scan on
PostgreSQL), kept for a minute per area so a busy morning of coordinators does not rescan a million rows on
every page view. The page says when the figures were counted."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from bot.services import services
from models import Report, Role, User, UserStatus
from web.blueprint import Staff
from web.report_queries import visible_to

FRESH_FOR = dt.timedelta(minutes=1)
CACHE_KEY = "console.dashboard_figures"


@dataclass(frozen=True)
class Figures:
    counted_at: dt.datetime
    people_by_role: dict[str, int]
    people_by_province: list[tuple[str | None, int]]  # largest first
    new_this_month: int
    reports_by_status: list[tuple[str, int]]  # largest first
    reports_by_category: list[tuple[str, int]]


def figures(session, staff: Staff, now: dt.datetime) -> Figures:
    """The staff member's area's figures, counted at most a minute ago."""
    cache, lock = current_app.extensions.setdefault(CACHE_KEY, ({}, threading.Lock()))
    area = None if staff.is_national else staff.province_code
    with lock:
        cached = cache.get(area)
    if cached is not None and now - cached.counted_at < FRESH_FOR:
        return cached
    counted = _count(session, staff, now)
    with lock:
        cache[area] = counted
    return counted


def _count(session, staff: Staff, now: dt.datetime) -> Figures:
    month_start = now.astimezone(services(current_app).settings.tz).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0)
    people = [User.status == UserStatus.ACTIVE, User.role.in_((Role.YOUTH, Role.MENTOR))]
    if not staff.is_national:
        people.append(User.province_code == staff.province_code)
    rows = session.execute(select(User.province_code, User.role, func.count(),
                                  func.count().filter(User.registered_at >= month_start))
                           .where(*people).group_by(User.province_code, User.role)).all()
    by_role, by_province, new = Counter(), Counter(), 0
    for province, role, count, recent in rows:
        by_role[role] += count
        by_province[province] += count
        new += recent
    report_rows = session.execute(select(Report.status, Report.category, func.count())
                                  .where(*visible_to(staff), Report.submitted_at.is_not(None))
                                  .group_by(Report.status, Report.category)).all()
    by_status, by_category = Counter(), Counter()
    for status, category, count in report_rows:
        by_status[status] += count
        by_category[category] += count
    return Figures(now, dict(by_role), by_province.most_common(), new, by_status.most_common(),
                   by_category.most_common())
