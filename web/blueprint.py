"""The console's blueprint and what every page shares: the signed-in staff member (`Staff`), the check that
a page is theirs to see (role, province, session age), the database session and the clock."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import fontpkg_sarabun
from flask import Blueprint, abort, current_app, g, redirect, request, send_from_directory, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy.orm import Session

from bot.services import services
from bot.thai import PROVINCES_BY_CODE, thai_datetime
from models import Role

blueprint = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                      static_folder="static", static_url_path="/static")
SIGNED_IN_AT = "console_signed_in_at"
UPLOAD_LIMIT = 12 * 1024 * 1024  # a campaign image (LINE: 10 MB) and its form; the webhook keeps its 2 MB


CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
                           "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


@blueprint.before_request
def allow_uploads() -> None:
    request.max_content_length = UPLOAD_LIMIT


@blueprint.after_request
def security_headers(response):
    """No scripts but the console's own files, no framing, no caching of personal data."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Staff:
    """Who is signed in (flask-login's user): copied out of the database for the request."""

    id: int
    session_id: str  # "<user id>:<session version>", what the session cookie holds
    role: str
    province_code: str | None
    name: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.session_id

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_national(self) -> bool:
        """Admins and coordinators without a province see the whole country."""
        return self.is_admin or self.province_code is None

    @property
    def area(self) -> str:
        return "ทั่วประเทศ" if self.is_national else PROVINCES_BY_CODE[self.province_code].name_th

    def sees_province(self, province_code: str | None) -> bool:
        return self.is_national or province_code == self.province_code


def now() -> dt.datetime:
    return services(current_app).clock()


@contextlib.contextmanager
def database() -> Iterator[Session]:
    """One transaction for the request's work (committed when the block ends)."""
    with services(current_app).db.transaction() as db_session:
        yield db_session


def staff_required(view: Callable) -> Callable:
    """Signed in as staff, within the session's lifetime; otherwise to the sign-in page."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated or _session_expired():
            logout_user()
            session.pop(SIGNED_IN_AT, None)
            return redirect(url_for("console.login", next=request.full_path))
        g.staff = current_user
        return view(*args, **kwargs)
    return guarded


def admin_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not g.staff.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return staff_required(guarded)


def _session_expired() -> bool:
    started = session.get(SIGNED_IN_AT)
    if started is None:
        return True
    lifetime = dt.timedelta(minutes=services(current_app).settings.console_session_minutes)
    return now() - dt.datetime.fromisoformat(started) > lifetime


FONT_FILES = {"regular": "Sarabun-Regular.ttf", "bold": "Sarabun-Bold.ttf"}


@blueprint.get("/fonts/<weight>.ttf")
def font(weight: str):
    """Sarabun (OFL), shipped with the project's font package, so Thai reads the same on every desk."""
    if weight not in FONT_FILES:
        abort(404)
    return send_from_directory(fontpkg_sarabun.ROOT / "files", FONT_FILES[weight], max_age=86400 * 30)


@blueprint.app_template_filter("bangkok")
def bangkok_time(value: dt.datetime | None) -> str:
    """A date and time in Thai, Buddhist era, the bot's time zone."""
    return thai_datetime(value, services(current_app).settings.tz) if value else "-"


@blueprint.app_template_filter("province")
def province_name(code: str | None) -> str:
    province = PROVINCES_BY_CODE.get(code or "")
    return province.name_th if province else "ทั่วประเทศ"
