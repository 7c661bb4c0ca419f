"""The console's first page: the programme at a glance within the staff member's area — volunteers by
province and role, new this month, reports by status and category, the reports waiting past their deadline
(the calls to make today), campaign reach and this week's activities."""

from __future__ import annotations

import datetime as dt

from flask import g, redirect, render_template, url_for
from sqlalchemy import func, select

from models import Activity, ActivityStatus, Campaign, Report, Role, User, UserStatus
from web.blueprint import Staff, blueprint, database, now, staff_required
from web.report_queries import CATEGORY_LABELS, STATUSES, counts_by, overdue_condition, visible_to

OVERDUE_SHOWN = 20


@blueprint.get("/")
def home():
    return redirect(url_for("console.dashboard"))


@blueprint.get("/dashboard")
@staff_required
def dashboard():
    moment = now()
    with database() as session:
        return render_template(
            "console/dashboard.html", people=_people_by_role(session, g.staff), new_this_month=_new_since(
                session, g.staff, moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)),
            by_province=_people_by_province(session, g.staff) if g.staff.is_national else [],
            by_status=session.execute(counts_by(g.staff, Report.status)).all(), statuses=STATUSES,
            by_category=session.execute(counts_by(g.staff, Report.category)).all(), categories=CATEGORY_LABELS,
            overdue=_overdue(session, g.staff, moment), reach=_campaign_reach(session, g.staff, moment),
            activities=_activities_this_week(session, g.staff, moment), now=moment)


def _people(staff: Staff):
    conditions = [User.status == UserStatus.ACTIVE, User.role.in_((Role.YOUTH, Role.MENTOR))]
    return conditions if staff.is_national else [*conditions, User.province_code == staff.province_code]


def _people_by_role(session, staff: Staff) -> dict[str, int]:
    return dict(session.execute(select(User.role, func.count()).where(*_people(staff)).group_by(User.role)).all())


def _new_since(session, staff: Staff, since: dt.datetime) -> int:
    return session.scalar(select(func.count()).select_from(User).where(*_people(staff), User.registered_at >= since))


def _people_by_province(session, staff: Staff) -> list:
    return session.execute(select(User.province_code, User.role, func.count()).where(*_people(staff))
                           .group_by(User.province_code, User.role)).all()


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
