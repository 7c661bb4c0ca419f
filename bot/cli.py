"""Operator commands: `flask --app app db-upgrade | replay-failed | worker`."""

from __future__ import annotations

import threading

import click
from flask import Flask

from bot.delivery import DeliveryWorker
from bot.services import services
from models.schema import upgrade_to_head


def register(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply the database migrations (Alembic upgrade head)."""
        upgrade_to_head(services(app).settings.database_url)
        click.echo("database is at the latest schema")

    @app.cli.command("replay-failed")
    @click.option("--event-id", "event_ids", multiple=True, type=int, help="inbox id; default: every failed event")
    def replay_failed(event_ids):
        """Run recorded failed webhook events again, after a fix."""
        app_services = services(app)
        ids = list(event_ids) or app_services.inbox.failed_ids()
        results = {inbox_id: app_services.inbox.replay(inbox_id, app_services.clock()) for inbox_id in ids}
        still_failed = [inbox_id for inbox_id, status in results.items() if status == "failed"]
        click.echo(f"replayed {len(results)} event(s); {len(results) - len(still_failed)} ok, "
                   f"{len(still_failed)} still failing{': ' + str(still_failed) if still_failed else ''}")
        if still_failed:
            raise SystemExit(1)

    @app.cli.command("worker")
    def worker():
        """Send the outbox until interrupted (run 1..N of these in production)."""
        app_services = services(app)
        stop = threading.Event()
        worker = DeliveryWorker(app_services.db, app_services.gateway, app_services.clock)
        click.echo(f"delivery worker {worker.owner} started")
        try:
            worker.run_forever(stop, app_services.delivery_wakeup)
        except KeyboardInterrupt:
            stop.set()
