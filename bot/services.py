"""What one app process holds: settings, database, event processor, LINE gateway, clock, wake-ups."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask
from linebot.v3 import SignatureValidator

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.inbox import InboxWriter
from bot.messaging import LineGateway
from bot.processor import EventProcessor
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

    def __post_init__(self) -> None:
        self.signature_validator = SignatureValidator(self.settings.channel_secret)
        self.inbox_writer = InboxWriter(self.db)

    def wake_processor(self) -> None:
        """New events are stored (a no-op in web-only processes: workers poll)."""
        self.processor_wakeup.set()

    def wake_delivery(self) -> None:
        self.delivery_wakeup.set()

    def delivery_worker(self) -> DeliveryWorker:
        return DeliveryWorker(self.db, self.gateway, self.clock)


def services(app: Flask) -> Services:
    return app.extensions[EXTENSION_KEY]
