"""Prometheus metrics: webhook events, LINE sends by endpoint and outcome, LINE latency, and the outbox
depth by state (read from the database at scrape time, so it is the same whichever process answers).

Web processes expose them at GET /metrics; a worker process can serve them on its own port
(`flask --app app worker --metrics-port 9100`).
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from models import InboxEvent, OutboxMessage

REGISTRY = CollectorRegistry()
WEBHOOK_EVENTS = Counter("bot_webhook_events_total", "Webhook events received", ["result"], registry=REGISTRY)
WEBHOOK_REQUESTS = Counter("bot_webhook_requests_total", "Webhook requests by HTTP status", ["status"],
                           registry=REGISTRY)
LINE_SENDS = Counter("bot_line_sends_total", "Calls to LINE's Messaging API by outcome", ["endpoint", "outcome"],
                     registry=REGISTRY)
LINE_LATENCY = Histogram("bot_line_request_seconds", "Latency of calls to LINE", ["endpoint"], registry=REGISTRY,
                         buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def record_send(endpoint: str, outcome: str, seconds: float) -> None:
    LINE_SENDS.labels(endpoint, outcome).inc()
    LINE_LATENCY.labels(endpoint).observe(seconds)


class DatabaseCollector:
    """Outbox rows and recipients, and inbox events, by state, counted when scraped."""

    def __init__(self, db):
        self.db = db

    def collect(self):
        with self.db.transaction() as session:
            outbox = session.execute(select(OutboxMessage.status, func.count(),
                                            func.coalesce(func.sum(OutboxMessage.recipient_count), 0))
                                     .group_by(OutboxMessage.status)).all()
            inbox = session.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all()
        rows = GaugeMetricFamily("bot_outbox_rows", "Outbox rows by state", labels=["state"])
        recipients = GaugeMetricFamily("bot_outbox_recipients", "Outbox recipients by state", labels=["state"])
        for status, row_count, recipient_count in outbox:
            rows.add_metric([status], row_count)
            recipients.add_metric([status], recipient_count)
        events = GaugeMetricFamily("bot_inbox_events", "Stored webhook events by state", labels=["state"])
        for status, event_count in inbox:
            events.add_metric([status], event_count)
        yield from (rows, recipients, events)


class _ProcessAndDatabase:
    """This process's counters followed by the database gauges."""

    def __init__(self, db):
        self.database = DatabaseCollector(db)

    def collect(self):
        yield from REGISTRY.collect()
        yield from self.database.collect()


def _combined_registry(db) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(_ProcessAndDatabase(db))
    return registry


def exposition(db) -> tuple[bytes, str]:
    """The text exposition of this process's metrics plus the database gauges."""
    return generate_latest(_combined_registry(db)), CONTENT_TYPE_LATEST


def serve(db, port: int, host: str = "127.0.0.1") -> None:
    """Serve /metrics on its own port (for worker processes, which have no web server)."""
    start_http_server(port, addr=host, registry=_combined_registry(db))
