"""What one app process holds: settings, database, event processor, LINE gateway, clock, wake-ups, photos."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from linebot.v3 import SignatureValidator

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.inbox import InboxWriter
from bot.messaging import LineGateway
from bot.processor import EventProcessor
from bot.ratelimit import EndpointLimiter
from bot.report_media import PhotoFetcher, PhotoStore
from bot.scheduler import SchedulerRunner
from models.db import Database

EXTENSION_KEY = "aphm_bot"


@dataclass
class Services:
    settings: Settings
    db: Database
    processor: EventProcessor
    gateway: LineGateway
    clock: Clock
    processor_wakeup: threading.Event = field(default_factory=threading.Event)
    delivery_wakeup: threading.Event = field(default_factory=threading.Event)
    photo_wakeup: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.signature_validator = SignatureValidator(self.settings.channel_secret)
        self.inbox_writer = InboxWriter(self.db)

    def wake_processor(self) -> None:
        """New events are stored (a no-op in web-only processes: workers poll)."""
        self.processor_wakeup.set()

    def wake_delivery(self) -> None:
        self.delivery_wakeup.set()

    def after_events(self) -> None:
        """Events were handled: their replies are in the outbox, and photos may wait to be fetched."""
        self.delivery_wakeup.set()
        self.photo_wakeup.set()

    def delivery_worker(self, **options) -> DeliveryWorker:
        """A delivery worker configured from the settings (options override, e.g. senders=1 in tests)."""
        settings = self.settings
        limiter = EndpointLimiter({"reply": settings.rate_reply, "push": settings.rate_push,
                                   "multicast": settings.rate_multicast})
        options = {"senders": settings.delivery_threads, "limiter": limiter,
                   "lease": dt.timedelta(seconds=settings.delivery_lease_seconds), **options}
        return DeliveryWorker(self.db, self.gateway, self.clock, **options)

    def photo_store(self) -> PhotoStore:
        """The private folder of report photos (MEDIA_DIR)."""
        return PhotoStore(Path(self.settings.media_dir))

    def photo_fetcher(self, **options) -> PhotoFetcher:
        """A photo fetcher for this process (options: batch_size, lease)."""
        return PhotoFetcher(self.db, self.gateway, self.clock, self.photo_store(), **options)

    def scheduler_runner(self, **options) -> SchedulerRunner:
        """A scheduler instance for this process (options: holder, lease_ttl, interval, jobs)."""
        return SchedulerRunner(self.db, self.clock, settings=self.settings, **options)


def services(app: Flask) -> Services:
    return app.extensions[EXTENSION_KEY]
