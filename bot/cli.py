"""Operator commands: `flask --app app db-upgrade | replay-failed | worker | scheduler`."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import threading

import click
from flask import Flask

from bot import metrics, pause
from bot.background import start_loops
from bot.services import services
from models.schema import upgrade_to_head


def register(app: Flask) -> None:
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
        click.echo("worker started: event processor and delivery")
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
