"""The coordinators' web console: a Flask blueprint of server-rendered Thai pages under /console.

`register(app, settings)` wires it in: sessions signed with SECRET_KEY (HttpOnly, SameSite=Lax, Secure in
production) that end CONSOLE_SESSION_MINUTES after sign-in, flask-login for who is signed in, flask-wtf's
CSRF protection on every form (the LINE webhook, signed by LINE, is exempt). Pages live one capability per
module: auth (sign-in), dashboard, reports, people, audit.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from bot.config import Settings

csrf = CSRFProtect()


def register(app: Flask, settings: Settings) -> None:
    """Add the console to the bot's app."""
    from web import (  # noqa: F401 (their routes)
        activity_pages,
        audit_pages,
        auth,
        campaign_pages,
        dashboard,
        people_pages,
        person_pages,
        report_pages,
    )
    from web.blueprint import blueprint

    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.environment == "production",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=settings.console_session_minutes),
        WTF_CSRF_TIME_LIMIT=settings.console_session_minutes * 60,
    )
    login_manager = LoginManager()
    login_manager.login_view = "console.login"
    login_manager.login_message = "กรุณาเข้าสู่ระบบก่อนค่ะ"
    login_manager.user_loader(auth.load_staff)
    login_manager.init_app(app)
    csrf.init_app(app)
    from bot import webhook

    csrf.exempt(webhook.blueprint)
    app.register_blueprint(blueprint)
