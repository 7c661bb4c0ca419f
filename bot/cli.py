"""Operator commands: `flask --app app db-upgrade | replay-failed | bulk-resume | worker | scheduler |
issue-code | revoke-code | set-role | rich-menus`."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import threading

import click
from flask import Flask
from sqlalchemy import select

from bot import access, metrics, pause
from bot.background import start_loops
from bot.richmenu_cli import register_rich_menu_commands
from bot.services import services
from bot.thai import find_provinces
from models import CodeKind, Role, User, UserStatus
from models.schema import upgrade_to_head


def register(app: Flask) -> None:
    register_access_commands(app)
    register_rich_menu_commands(app)
    register_people_commands(app)
    register_console_commands(app)

    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply the database migrations (Alembic upgrade head)."""
        upgrade_to_head(services(app).settings.database_url)
        click.echo("database is at the latest schema")

    @app.cli.command("replay-failed")
    @click.option("--event-id", "event_ids", multiple=True, type=int, help="inbox id (default: all failed)")
    def replay_failed(event_ids):
        """Run recorded failed webhook events again, after a fix."""
        processor = services(app).processor
        ids = list(event_ids) or processor.failed_ids()
        results = {inbox_id: processor.replay(inbox_id) for inbox_id in ids}
        still_failed = [inbox_id for inbox_id, status in results.items() if status == "failed"]
        click.echo(f"replayed {len(results)} event(s); {len(results) - len(still_failed)} ok, "
                   f"{len(still_failed)} still failing{': ' + str(still_failed) if still_failed else ''}")
        if still_failed:
            raise SystemExit(1)

    @app.cli.command("bulk-resume")
    def bulk_resume():
        """Resume bulk sends paused by LINE's monthly limit (after raising the quota, or in a new month)."""
        app_services = services(app)
        with app_services.db.transaction() as session:
            resumed = pause.resume_bulk(session, app_services.clock())
        click.echo("bulk sends resumed" if resumed else "bulk sends were not paused")
        app_services.wake_delivery()

    @app.cli.command("worker")
    @click.option("--metrics-port", type=click.IntRange(0, 65535), default=0, show_default=True,
                  help="serve Prometheus metrics on this port (0: off)")
    def worker(metrics_port):
        """Process stored events and send the outbox until stopped (run 1..N of these; SIGTERM stops
        cleanly: rows being sent are finished, the rest stay for the other workers)."""
        app_services = services(app)
        if metrics_port:
            metrics.serve(app_services.db, metrics_port)
        stop = threading.Event()
        loops = start_loops(app_services, stop)
        click.echo("worker started: event processor, delivery and report photo fetcher")
        with _stop_on_sigterm(stop):
            try:
                while any(thread.is_alive() for thread in loops) and not stop.wait(1.0):
                    pass
            except KeyboardInterrupt:
                stop.set()
        for thread in loops:
            thread.join(timeout=30)

    @app.cli.command("scheduler")
    @click.option("--interval", type=click.FloatRange(min=0.01), default=5.0, show_default=True,
                  help="seconds between ticks")
    @click.option("--lease-ttl", type=click.FloatRange(min=0.02), default=30.0, show_default=True,
                  help="seconds a missed renewal keeps the lease (at least twice the interval)")
    @click.option("--once", is_flag=True, help="tick once (run due jobs if no other scheduler is active) and exit")
    def scheduler(interval, lease_ttl, once):
        """Run the periodic jobs until stopped (SIGINT/SIGTERM release the lease). Run two for a hot
        standby: only the holder of the "scheduler" lease runs jobs."""
        if interval * 2 > lease_ttl:
            raise click.BadParameter("must be at least twice --interval", param_hint="--lease-ttl")
        runner = services(app).scheduler_runner(interval=dt.timedelta(seconds=interval),
                                                lease_ttl=dt.timedelta(seconds=lease_ttl))
        if once:
            ran, was_active = runner.tick(), runner.active
            runner.shutdown()
            click.echo(f"active; ran: {', '.join(ran) or 'nothing due'}" if was_active
                       else "standby: another scheduler holds the lease")
            return
        stop = threading.Event()
        click.echo(f"scheduler started as {runner.holder} (active or hot standby)")
        with _stop_on_sigterm(stop):
            try:
                runner.run_forever(stop)
            except KeyboardInterrupt:
                stop.set()


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event):
    """Treat SIGTERM (docker stop, systemd) like Ctrl-C: set `stop` so the lease is released."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def register_access_commands(app: Flask) -> None:
    """`issue-code` and `revoke-code`: the admin's way to create coordinators (and, until coordinators
    can do it in LINE, mentor invites)."""

    @app.cli.command("issue-code")
    @click.argument("kind", type=click.Choice([CodeKind.COORDINATOR, CodeKind.MENTOR_INVITE]))
    @click.option("--province", help="province name in Thai or English, e.g. เชียงใหม่ or Chiang Mai")
    @click.option("--national", is_flag=True, help="a national coordinator (no province)")
    @click.option("--days", type=click.IntRange(1, 90), default=7, show_default=True, help="days until it expires")
    def issue_code(kind, province, national, days):
        """Make a one-time code; the person types it in the bot's chat to take the role."""
        province_code = None if national else _province_code(province)
        app_services = services(app)
        with app_services.db.transaction() as session:
            code = access.issue(session, kind, app_services.clock(), province_code,
                                lifetime=dt.timedelta(days=days))
            click.echo(f"{code.code}  ({kind}, {province or 'national'}, expires {code.expires_at:%Y-%m-%d %H:%M} UTC)")

    @app.cli.command("revoke-code")
    @click.argument("code")
    def revoke_code(code):
        """Revoke a code that was not claimed yet (or must not be used again)."""
        app_services = services(app)
        with app_services.db.transaction() as session:
            revoked = access.revoke(session, code, app_services.clock())
        click.echo("revoked" if revoked else "no such code, or already revoked")
        if not revoked:
            raise SystemExit(1)


def register_people_commands(app: Flask) -> None:
    """`set-role`: an admin's decision to change what someone is in the programme."""

    @app.cli.command("set-role")
    @click.argument("line_user_id")
    @click.argument("role", type=click.Choice([Role.YOUTH, Role.MENTOR, Role.COORDINATOR, Role.ADMIN, "none"]))
    @click.option("--province", help="province (Thai or English); required except for national coordinators "
                                     "and admins")
    def set_role(line_user_id, role, province):
        """Give a LINE user another role (their menu is relinked; a mentor's group waits for a new mentor)."""
        from bot import people, richmenus

        role = None if role == "none" else role
        if province is None and role in (Role.YOUTH, Role.MENTOR):
            raise click.UsageError(f"a {role} belongs to a province: give --province")
        province_code = _province_code(province) if province else None
        app_services = services(app)
        with app_services.db.transaction() as session:
            user = session.scalars(select(User).where(User.line_user_id == line_user_id)).one_or_none()
            if user is None or user.status == UserStatus.DELETED:
                raise click.UsageError(f"no user with LINE id {line_user_id!r}")
            now = app_services.clock()
            people.set_role(session, user, role, province_code, now)
            richmenus.queue_link(session, user, now)
        click.echo(f"{line_user_id} is now {role or 'unregistered'} ({province or 'national'})")
        app_services.wake_delivery()


def register_console_commands(app: Flask) -> None:
    """`console-link`: a one-time sign-in link to the web console for a coordinator or admin (first login)."""

    @app.cli.command("console-link")
    @click.argument("line_user_id")
    @click.option("--base-url", default="", help="the console's address (default PUBLIC_BASE_URL)")
    def console_link(line_user_id, base_url):
        """Print a sign-in link (valid 10 minutes, once) for the coordinator or admin with this LINE id."""
        from web import accounts

        app_services = services(app)
        base = base_url or accounts.console_base_url(app_services.settings)
        with app_services.db.transaction() as session:
            user = session.scalars(select(User).where(User.line_user_id == line_user_id)).one_or_none()
            token = accounts.issue_link(session, user, app_services.clock()) if user else None
        if token is None:
            raise click.UsageError(f"{line_user_id!r} is not an active coordinator or admin (see set-role)")
        click.echo(accounts.link_url(base, token))


def _province_code(name: str | None) -> str:
    if not name:
        raise click.UsageError("give --province NAME, or --national for a national coordinator")
    matches = find_provinces(name, limit=3)
    if not matches:
        raise click.UsageError(f"no province matches {name!r}")
    if matches[0].name_th != name and matches[0].name_en.lower() != name.lower() and len(matches) > 1:
        choices = ", ".join(f"{p.name_th} ({p.name_en})" for p in matches)
        raise click.UsageError(f"{name!r} is not exact; did you mean one of: {choices}?")
    return matches[0].code
