"""Volunteers and mentors in the console: search by name (Thai as typed, tone marks and all), filter by role
and province, and a CSV export that streams row by row (100,000 people never sit in memory) and is written to
the audit log."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator

from flask import Response, current_app, g, render_template, request, stream_with_context
from pythainlp.util import normalize as thai_normalize
from sqlalchemy import Select, select

from bot import people
from bot.services import services
from bot.thai import PROVINCES, PROVINCES_BY_CODE
from models import Role, User, UserStatus
from web.blueprint import Staff, blueprint, database, now, staff_required

PAGE_SIZE = 50
ROLES = {Role.YOUTH: "อพม.น้อย", Role.MENTOR: "พี่เลี้ยง อพม."}
CSV_COLUMNS = ("id", "ชื่อเล่น", "บทบาท", "จังหวัด", "ชุมชน", "โรงเรียน/กลุ่ม", "พี่เลี้ยง (id)", "สมัครเมื่อ")
EXPORT_BATCH = 1000
EXPORT_COLUMNS = (User.id, User.nickname, User.role, User.province_code, User.community, User.school, User.mentor_id,
                  User.registered_at)


def search_query(staff: Staff, args) -> Select:
    """People of the staff member's area matching the page's search and filters, by id."""
    query = select(User).where(User.status != UserStatus.DELETED, User.role.in_(tuple(ROLES)))
    if not staff.is_national:
        query = query.where(User.province_code == staff.province_code)
    elif args.get("province") in PROVINCES_BY_CODE:
        query = query.where(User.province_code == args["province"])
    if args.get("role") in ROLES:
        query = query.where(User.role == args["role"])
    text = searchable(args.get("q", ""))
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(User.nickname.like(f"%{escaped}%", escape="\\") | User.community.like(
            f"%{escaped}%", escape="\\"))
    return query.order_by(User.id)


def searchable(text: str) -> str:
    """Thai as it is stored: NFC, and tone marks and vowels in their standard order (pythainlp), so a name
    typed with the marks in another order, which looks the same, still matches."""
    return thai_normalize(unicodedata.normalize("NFC", " ".join((text or "").split())))[:40]


@blueprint.get("/people")
@staff_required
def people_list():
    page = int(request.args["page"]) if request.args.get("page", "").isdigit() else 1
    with database() as session:
        rows = list(session.scalars(search_query(g.staff, request.args).offset((max(page, 1) - 1) * PAGE_SIZE)
                                    .limit(PAGE_SIZE + 1)))
        return render_template("console/people.html", people=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE,
                               page=max(page, 1), roles=ROLES, provinces=PROVINCES, args=request.args)


@blueprint.get("/people.csv")
@staff_required
def people_csv():
    query = search_query(g.staff, request.args)
    with database() as session:
        people.audit(session, now(), "people.exported", session.get(User, g.staff.id), None,
                     filters={key: request.args.get(key, "")[:40] for key in ("q", "role", "province")})
    return Response(stream_with_context(_csv_rows(query)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=people.csv"})


def _csv_rows(query: Select) -> Iterator[str]:
    """The export, a batch of rows at a time, read with a server-side cursor (one transaction)."""
    yield "\ufeff" + _line(CSV_COLUMNS)  # the BOM makes Excel read the Thai as UTF-8
    tz = services(current_app).settings.tz
    columns = query.with_only_columns(*EXPORT_COLUMNS).execution_options(yield_per=EXPORT_BATCH)
    with services(current_app).db.transaction() as session:
        for batch in session.connection().execute(columns).partitions():
            yield "".join(_line(_csv_values(user, tz)) for user in batch)


def _csv_values(user, tz) -> tuple:
    province = PROVINCES_BY_CODE.get(user.province_code or "")
    registered = user.registered_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if user.registered_at else ""
    return (user.id, _cell(user.nickname), ROLES.get(user.role, user.role), province.name_th if province else "",
            _cell(user.community), _cell(user.school), user.mentor_id or "", registered)


def _cell(value: str | None) -> str:
    """Text as a spreadsheet will not run it as a formula (=, +, -, @ at the start)."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()
