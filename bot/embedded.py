"""The embedded mode behind `uv run app.py`: one process with the webhook, the delivery worker, the
scheduler and, when no LINE credentials are set, the LINE sandbox with its chat page and rich menus.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading

from werkzeug.serving import make_server

from bot.background import start_loops, start_scheduler
from bot.config import ConfigError, Settings
from bot.services import services
from models.schema import upgrade_to_head

log = logging.getLogger("bot.embedded")


def start_sandbox(settings: Settings, host: str):
    """Start the local LINE platform and return it with settings pointing the bot at it."""
    from bot.sandbox import Sandbox

    secret, token = secrets.token_hex(16), secrets.token_urlsafe(32)
    raw_port = settings.extra.get("BOT_SANDBOX_PORT", str(settings.port + 1 if settings.port else 0))
    if not raw_port.isdigit() or int(raw_port) > 65535:
        raise ConfigError(f"BOT_SANDBOX_PORT must be a port number, got {raw_port!r}")
    sandbox_port = int(raw_port)
    webhook_url = f"http://{host}:{settings.port}/callback"
    sandbox = Sandbox(channel_secret=secret, access_token=token, webhook_url=webhook_url)
    sandbox.start(host=host, port=sandbox_port)
    bot_settings = settings.with_(channel_secret=secret, channel_access_token=token,
                                  line_api_base_url=sandbox.base_url, line_bot_basic_id=sandbox.basic_id,
                                  public_base_url=_local_public_url(settings, host))
    return sandbox, bot_settings


def _local_public_url(settings: Settings, host: str) -> str:
    """Where the chat page loads the bot's images (QR codes) from: this machine, when it is known."""
    if settings.public_base_url:
        return settings.public_base_url
    if host not in ("127.0.0.1", "localhost", "0.0.0.0") or not settings.port:
        return ""
    return f"http://127.0.0.1:{settings.port}"


def set_up_sandbox_rich_menus(app) -> None:
    """Make the rich menus in the sandbox, which starts empty each time (a failure only loses the menus)."""
    from bot.richmenu_cli import RichMenuSetupError, set_up_rich_menus

    try:
        set_up_rich_menus(services(app), verify=True)
    except RichMenuSetupError as error:
        log.warning("rich menus not set up in the sandbox", extra={"error": str(error)})


def demo_codes(app) -> list[str]:
    """One-day codes a person trying the sandbox types as the chat page's mentor and coordinator."""
    import datetime as dt

    from bot import access
    from models import CodeKind

    app_services = services(app)
    with app_services.db.transaction() as session:
        now, day = app_services.clock(), dt.timedelta(days=1)
        mentor = access.issue(session, CodeKind.MENTOR_INVITE, now, "BKK", day).code
        coordinator = access.issue(session, CodeKind.COORDINATOR, now, "BKK", day).code
    return [f"  mentor of Bangkok (type it as the mentor): {mentor}",
            f"  coordinator of Bangkok (type it as the coordinator): {coordinator}"]


DEMO_ADMIN_ID = "demo-console-admin"  # not a LINE user: the demo's console admin only signs in on the web


def demo_console_link(app, base_url: str) -> str:
    """A one-day, one-time console sign-in link for the demo's admin (created on first start)."""
    import datetime as dt

    from sqlalchemy import select

    from models import Role, User
    from web import accounts

    app_services = services(app)
    with app_services.db.transaction() as session:
        now = app_services.clock()
        admin = session.scalars(select(User).where(User.line_user_id == DEMO_ADMIN_ID)).one_or_none()
        if admin is None:
            admin = User(line_user_id=DEMO_ADMIN_ID, role=Role.ADMIN, nickname="ผู้ดูแลระบบ (ทดลอง)",
                         is_following=False, created_at=now, registered_at=now)
            session.add(admin)
            session.flush()
        token = accounts.issue_link(session, admin, now, lifetime=dt.timedelta(days=1))
    return accounts.link_url(base_url, token)


def run_embedded(settings: Settings) -> int:
    from app import create_app

    host = os.environ.get("HOST", "127.0.0.1")
    sandbox = None
    if settings.uses_sandbox:
        sandbox, settings = start_sandbox(settings, host)
    upgrade_to_head(settings.database_url)
    app = create_app(settings)
    if sandbox is not None:  # in the background: drawing the images takes a few seconds
        threading.Thread(target=set_up_sandbox_rich_menus, args=(app,), name="rich-menus", daemon=True).start()
    stop = threading.Event()
    if settings.start_worker:
        start_loops(services(app), stop)
    scheduler = start_scheduler(services(app), stop) if settings.start_scheduler else None
    server = make_server(host, settings.port, app, threaded=True)
    print(f"bot webhook: http://{host}:{server.server_port}/callback", flush=True)
    if sandbox is not None:
        print(f"LINE sandbox (no LINE credentials set): chat with the bot at {sandbox.chat_url}", flush=True)
        print("one-day codes for trying the other roles on the chat page:", *demo_codes(app), sep="\n", flush=True)
        print(f"web console for coordinators, first login as the demo admin (one-time link, valid a day): "
              f"{demo_console_link(app, f'http://{host}:{server.server_port}')}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.join(timeout=10)  # let it release its lease
        if sandbox is not None:
            sandbox.stop()
    return 0
