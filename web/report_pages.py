"""Reports in the console: the filtered list, one report's page (details, timeline, photos, map) and the
actions mentors have in LINE (acknowledge, note, reassign, hand to the province or 1300, close), through
the same bot/casework functions. Every view of a report's details is written to the audit log; a report
outside the staff member's province is a 404, as if it did not exist."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from bot import casework, people
from bot.report_cards import EVENT_LABELS, HANDED_TO_LABELS
from bot.reports import locked, photos_of, timeline
from bot.services import services
from bot.thai import PROVINCES
from models import PhotoStatus, Report, ReportPhoto, ReportStatus, Role, User, UserStatus
from web.blueprint import blueprint, database, now, staff_required
from web.report_queries import CATEGORY_LABELS, PAGE_SIZE, STATUSES, ReportFilter, report_list

ACTIONS = ("acknowledge", "note", "reassign", "hand_province", "hand_1300", "close")


@blueprint.get("/reports")
@staff_required
def reports():
    wanted = ReportFilter.from_args(request.args)
    with database() as session:
        rows = list(session.scalars(report_list(g.staff, wanted, now())))
        return render_template("console/reports.html", reports=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE,
                               wanted=wanted, statuses=STATUSES, categories=CATEGORY_LABELS, provinces=PROVINCES,
                               now=now())


def _report_in_area(session, report_id: int, lock: bool = False) -> Report:
    report = locked(session, report_id) if lock else session.get(Report, report_id)
    if report is None or report.submitted_at is None or not g.staff.sees_province(report.province_code):
        abort(404)
    return report


@blueprint.get("/reports/<int:report_id>")
@staff_required
def report(report_id: int):
    with database() as session:
        found = _report_in_area(session, report_id)
        actor = session.get(User, g.staff.id)
        people.audit(session, now(), "report.viewed", actor, None, report_id=found.id)
        events = timeline(session, found)
        return render_template(
            "console/report.html", report=found, events=events, labels=EVENT_LABELS,
            people=_people_of(session, found, events), photos=[p for p in photos_of(session, found)
                                                       if p.status == PhotoStatus.STORED],
            mentors=_mentors_in(session, found.province_code), statuses=STATUSES, categories=CATEGORY_LABELS,
            handed_to=HANDED_TO_LABELS, active=found.status in ReportStatus.ACTIVE)


def _people_of(session, report: Report, events) -> dict:
    ids = {report.reporter_id, report.mentor_id, *(event.actor_id for event in events)}
    found = session.scalars(select(User).where(User.id.in_([i for i in ids if i]))).all()
    return {user.id: user for user in found}


def _mentors_in(session, province_code: str | None) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.MENTOR, User.status == UserStatus.ACTIVE,
                                                   User.province_code == province_code).order_by(User.nickname)))


@blueprint.get("/reports/<int:report_id>/photos/<int:photo_id>.jpg")
@staff_required
def report_photo(report_id: int, photo_id: int):
    with database() as session:
        _report_in_area(session, report_id)
        photo = session.get(ReportPhoto, photo_id)
        if photo is None or photo.report_id != report_id or photo.status != PhotoStatus.STORED:
            abort(404)
        path = _photo_path(photo.storage_name, request.args.get("size") == "preview")
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _photo_path(storage_name: str | None, preview: bool):
    variant = "preview" if preview else "original"
    return services(current_app).photo_store().path(storage_name, variant) if storage_name else None


@blueprint.post("/reports/<int:report_id>/act")
@staff_required
def act(report_id: int):
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    with database() as session:
        found = _report_in_area(session, report_id, lock=True)
        actor = session.get(User, g.staff.id)
        refusal = casework.check(actor, found)
        if refusal is not None:
            casework.record_refusal(session, actor, report_id, refusal, f"console.{action}", now())
            flash("ทำรายการนี้ไม่ได้: เรื่องนี้ปิดแล้วหรือไม่อยู่ในความรับผิดชอบของคุณ", "error")
        else:
            message = _perform(session, found, actor, action)
            flash(*message)
    return redirect(url_for("console.report", report_id=report_id))


def _perform(session, report: Report, actor: User, action: str) -> tuple[str, str]:
    settings, moment = services(current_app).settings, now()
    if action == "acknowledge":
        done = casework.acknowledge(session, report, actor, moment, settings)
        return ("รับเรื่องแล้ว", "info") if done else ("เรื่องนี้มีผู้รับเรื่องแล้ว", "error")
    if action == "note":
        note = " ".join(request.form.get("note", "").split())[:casework.NOTE_MAX]
        if not note:
            return "พิมพ์บันทึกก่อนกดบันทึก", "error"
        casework.add_note(session, report, actor, note, moment, settings)
        return "บันทึกแล้ว", "info"
    if action == "reassign":
        mentor = session.get(User, int(request.form.get("mentor_id", "0") or 0))
        reason = casework.reassign(session, report, actor, mentor, moment, settings) if mentor else "เลือกพี่เลี้ยง"
        return (reason, "error") if reason else ("เปลี่ยนพี่เลี้ยงผู้ดูแลแล้ว", "info")
    if action in ("hand_province", "hand_1300"):
        casework.hand_over(session, report, actor, action.removeprefix("hand_"), moment, settings)
        return "ส่งต่อแล้ว", "info"
    note, redacted = casework.closing_note(request.form.get("closing_note"))
    if not note:
        return "พิมพ์ข้อความถึงน้องก่อนปิดเรื่อง", "error"
    casework.close(session, report, actor, note, moment, settings)
    return ("ปิดเรื่องแล้ว (ตัดข้อมูลส่วนตัวออกจากข้อความถึงน้อง)" if redacted else "ปิดเรื่องแล้ว"), "info"
