"""One person in the console and what staff may do about them: put a youth in a mentor's group or take them
out, deactivate a mentor or youth who left the programme (their role ends, their codes are revoked, a mentor's
youth wait for a new mentor), and the codes page (mentor invite codes: issue, list, revoke). Everything is
limited to the staff member's province and written to the audit log."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot import access, people, richmenus
from bot.thai import PROVINCES, PROVINCES_BY_CODE
from models import AccessCode, CodeKind, Role, User, UserStatus
from web.blueprint import blueprint, database, now, staff_required
from web.people_pages import ROLES

INVITE_LIFETIME = dt.timedelta(days=7)
CODES_LISTED = 50


def _person_in_area(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role not in ROLES or user.status == UserStatus.DELETED \
            or not g.staff.sees_province(user.province_code):
        abort(404)
    return user


@blueprint.get("/people/<int:user_id>")
@staff_required
def person(user_id: int):
    with database() as session:
        user = _person_in_area(session, user_id)
        mentors = session.scalars(select(User).where(User.role == Role.MENTOR, User.status == UserStatus.ACTIVE,
                                                     User.province_code == user.province_code)
                                  .order_by(User.nickname)).all()
        group = people.youth_of(session, user) if user.role == Role.MENTOR else []
        return render_template("console/person.html", person=user, roles=ROLES, mentors=mentors, group=group,
                               mentor=session.get(User, user.mentor_id) if user.mentor_id else None)


@blueprint.post("/people/<int:user_id>/act")
@staff_required
def person_act(user_id: int):
    action = request.form.get("action", "")
    with database() as session:
        user = _person_in_area(session, user_id)
        actor = session.get(User, g.staff.id)
        if action == "assign" and user.role == Role.YOUTH:
            mentor = session.get(User, int(request.form.get("mentor_id", "0") or 0))
            if mentor is None or mentor.role != Role.MENTOR or mentor.province_code != user.province_code:
                abort(400)
            people.assign(session, user, mentor, now(), actor)
            flash(f"ย้าย {user.nickname} เข้ากลุ่มของ {mentor.nickname} แล้ว", "info")
        elif action == "remove" and user.role == Role.YOUTH and user.mentor_id:
            people.remove_from_group(session, user, now(), actor)
            flash("นำออกจากกลุ่มแล้ว", "info")
        elif action == "deactivate":
            _deactivate(session, user, actor)
            flash(f"ปิดการใช้งานของ {user.nickname} แล้ว", "info")
            return redirect(url_for("console.people_list"))
        else:
            abort(400)
    return redirect(url_for("console.person", user_id=user_id))


def _deactivate(session, user: User, actor: User) -> None:
    moment = now()
    access.revoke_codes_of(session, user, moment)
    people.set_role(session, user, None, user.province_code, moment, actor)
    richmenus.queue_link(session, user, moment)


@blueprint.route("/codes", methods=["GET", "POST"])
@staff_required
def codes():
    with database() as session:
        if request.method == "POST":
            _code_action(session)
            return redirect(url_for("console.codes"))
        query = (select(AccessCode).where(AccessCode.kind == CodeKind.MENTOR_INVITE, AccessCode.revoked_at.is_(None),
                                          AccessCode.expires_at > now(), AccessCode.uses < AccessCode.max_uses)
                 .order_by(AccessCode.id.desc()).limit(CODES_LISTED))
        if not g.staff.is_national:
            query = query.where(AccessCode.province_code == g.staff.province_code)
        return render_template("console/codes.html", codes=list(session.scalars(query)), provinces=PROVINCES)


def _code_action(session) -> None:
    actor = session.get(User, g.staff.id)
    if request.form.get("action") == "issue":
        province = g.staff.province_code if not g.staff.is_national else request.form.get("province", "")
        if province not in PROVINCES_BY_CODE:
            flash("เลือกจังหวัดก่อนออกรหัส", "error")
            return
        code = access.issue(session, CodeKind.MENTOR_INVITE, now(), province, INVITE_LIFETIME,
                            issued_by_user_id=actor.id)
        people.audit(session, now(), "code.issued", actor, None, kind=code.kind, province=province)
        flash(f"รหัสพี่เลี้ยงใหม่: {code.code} (ใช้ได้ 7 วัน ครั้งเดียว)", "info")
        return
    code_id = request.form.get("code_id", "")
    code = session.get(AccessCode, int(code_id)) if code_id.isdigit() else None
    if code is None or code.kind != CodeKind.MENTOR_INVITE or not g.staff.sees_province(code.province_code):
        abort(404)
    code.revoked_at = code.revoked_at or now()
    people.audit(session, now(), "code.revoked", actor, None, kind=code.kind, province=code.province_code)
    flash(f"ยกเลิกรหัส {code.code} แล้ว", "info")
