"""Operator commands: `flask --app app db-upgrade | replay-failed | worker`."""

from __future__ import annotations

import threading

import click
from flask import Flask

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

    @app.cli.command("worker")
    def worker():
        """Process stored events and send the outbox until interrupted (run 1..N of these)."""
        stop = threading.Event()
        loops = start_loops(services(app), stop)
        click.echo("worker started: event processor and delivery")
        try:
            for thread in loops:
                thread.join()
        except KeyboardInterrupt:
            stop.set()
