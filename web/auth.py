"""Sign-in pages: password (/console/login), a one-time link from LINE (/console/link/<token>), sign-out
and choosing a login name and password (/console/password). See web/accounts.py for the rules."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from models import User
from web import accounts
from web.blueprint import SIGNED_IN_AT, Staff, blueprint, database, now, staff_required


class LoginForm(FlaskForm):
    login = StringField("ชื่อผู้ใช้", validators=[DataRequired(), Length(max=60)])
    password = PasswordField("รหัสผ่าน", validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    login = StringField("ชื่อผู้ใช้ (ใช้เข้าระบบครั้งต่อไป)", validators=[DataRequired(), Length(max=60)])
    password = PasswordField("รหัสผ่านใหม่ (อย่างน้อย 10 ตัว)", validators=[DataRequired(), Length(max=200)])


def load_staff(session_id: str) -> Staff | None:
    """flask-login's loader: the session is valid only while its owner is still active staff."""
    user_id, _, version = (session_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    with database() as db_session:
        user = accounts.session_is_current(db_session, int(user_id), int(version))
        return _staff(user, int(version)) if user is not None else None


def _staff(user, version: int) -> Staff:
    return Staff(id=user.id, session_id=f"{user.id}:{version}", role=user.role, province_code=user.province_code,
                 name=user.nickname or "เจ้าหน้าที่")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        with database() as db_session:
            result = accounts.sign_in_with_password(db_session, form.login.data, form.password.data, now())
            if isinstance(result, accounts.SignedIn):
                return _start_session(result)
        flash(result.value, "error")
    elif request.method == "POST":
        flash("กรอกชื่อผู้ใช้และรหัสผ่าน", "error")
    return render_template("console/login.html", form=form), 200 if request.method == "GET" else 400


@blueprint.get("/link/<token>")
def login_link(token: str):
    with database() as db_session:
        result = accounts.sign_in_with_link(db_session, token, now())
        if isinstance(result, accounts.SignedIn):
            return _start_session(result, to=url_for("console.dashboard"))
    flash(result.value, "error")
    return render_template("console/login.html", form=LoginForm()), 403


def _start_session(signed_in: accounts.SignedIn, to: str | None = None):
    session.clear()  # a fresh session: nothing from before sign-in carries over
    login_user(_staff(signed_in.user, signed_in.session_version))
    session[SIGNED_IN_AT] = now().isoformat()
    return redirect(to or _safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str:
    """Only a path inside the console (never another site)."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/"):
        return url_for("console.dashboard")
    return target


@blueprint.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("ออกจากระบบแล้ว", "info")
    return redirect(url_for("console.login"))


@blueprint.route("/password", methods=["GET", "POST"])
@staff_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        with database() as db_session:
            user = db_session.get(User, g.staff.id)
            reason = accounts.set_password(db_session, user, form.login.data, form.password.data, now())
            if reason is None:
                version = accounts.account_of(db_session, user, now()).session_version
                login_user(_staff(user, version))  # this session stays; older ones end
                flash("ตั้งชื่อผู้ใช้และรหัสผ่านแล้ว", "info")
                return redirect(url_for("console.dashboard"))
        flash(reason, "error")
    return render_template("console/password.html", form=form)
