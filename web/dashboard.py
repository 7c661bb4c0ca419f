"""The console's first page: the programme at a glance within the staff member's area — volunteers by
province and role, new this month, reports by status and category, the reports waiting past their deadline
(the calls to make today), campaign reach and this week's activities."""

from __future__ import annotations

import datetime as dt

from flask import g, redirect, render_template, url_for
from sqlalchemy import func, select

from bot.thai import PROVINCES_BY_CODE
from models import Activity, ActivityStatus, Campaign, Report, ReportStatus, User
from web.blueprint import Staff, blueprint, database, now, staff_required
from web.charts import bar_chart
from web.dashboard_figures import Figures, figures
from web.report_queries import CATEGORY_LABELS, STATUSES, overdue_condition, visible_to

OVERDUE_SHOWN = 20
MAP_POINTS = 500
PROVINCES_CHARTED = 15


@blueprint.get("/")
def home():
    return redirect(url_for("console.dashboard"))


@blueprint.get("/dashboard")
@staff_required
def dashboard():
    moment = now()
    with database() as session:
        counted = figures(session, g.staff, moment)
        return render_template(
            "console/dashboard.html", figures=counted,
            status_chart=bar_chart("เรื่องที่แจ้งตามสถานะ",
                                   [(STATUSES.get(s, s), n) for s, n in counted.reports_by_status]),
            category_chart=bar_chart("เรื่องที่แจ้งตามประเภท",
                                     [(CATEGORY_LABELS.get(c, c), n) for c, n in counted.reports_by_category],
                                     horizontal=True),
            province_chart=_province_chart(counted) if g.staff.is_national else "",
            overdue=_overdue(session, g.staff, moment), reach=_campaign_reach(session, g.staff, moment),
            activities=_activities_this_week(session, g.staff, moment), map_points=_map_points(session, g.staff),
            categories=CATEGORY_LABELS, now=moment)


def _province_chart(counted: Figures):
    """The provinces with the most volunteers (youth and mentors)."""
    named = [(PROVINCES_BY_CODE[code].name_th if code in PROVINCES_BY_CODE else "ไม่ระบุ", count)
             for code, count in counted.people_by_province[:PROVINCES_CHARTED]]
    return bar_chart(f"อาสาสมัคร {len(named)} จังหวัดที่มากที่สุด", named, horizontal=True)


def _overdue(session, staff: Staff, moment: dt.datetime) -> list[Report]:
    return list(session.scalars(select(Report).where(*visible_to(staff), overdue_condition(moment))
                                .order_by(Report.urgent.desc(), Report.submitted_at).limit(OVERDUE_SHOWN)))


def _campaign_reach(session, staff: Staff, moment: dt.datetime) -> tuple[int, int]:
    """Campaigns started in the last 30 days and the people they reached (national: all; else their own)."""
    query = select(func.count(), func.coalesce(func.sum(Campaign.recipient_count), 0)).where(
        Campaign.started_at >= moment - dt.timedelta(days=30))
    if not staff.is_national:
        query = query.join(User, User.id == Campaign.created_by_id).where(User.province_code == staff.province_code)
    return tuple(session.execute(query).one())


def _activities_this_week(session, staff: Staff, moment: dt.datetime) -> list[Activity]:
    query = select(Activity).where(Activity.status == ActivityStatus.SCHEDULED, Activity.starts_at >= moment,
                                   Activity.starts_at < moment + dt.timedelta(days=7))
    if not staff.is_national:
        query = query.where(Activity.province_code == staff.province_code)
    return list(session.scalars(query.order_by(Activity.starts_at).limit(20)))


def _map_points(session, staff: Staff) -> list[dict]:
    """Open reports with a location (newest first), for the map: position, reference, urgency, link."""
    rows = session.execute(select(Report.id, Report.ref, Report.latitude, Report.longitude, Report.urgent)
                           .where(*visible_to(staff), Report.status.in_(ReportStatus.ACTIVE),
                                  Report.latitude.is_not(None), Report.purged_at.is_(None))
                           .order_by(Report.id.desc()).limit(MAP_POINTS)).all()
    return [{"id": row.id, "ref": row.ref, "lat": round(row.latitude, 5), "lng": round(row.longitude, 5),
             "urgent": row.urgent} for row in rows]
