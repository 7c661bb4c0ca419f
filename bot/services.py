"""What one app process holds: settings, database, dispatcher, inbox, LINE gateway, clock, wake-ups."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask

from bot.clock import Clock
from bot.config import Settings
from bot.inbox import Inbox
from bot.messaging import LineGateway
from models.db import Database

EXTENSION_KEY = "aphm_bot"


@dataclass
class Services:
    settings: Settings
    db: Database
    inbox: Inbox
    gateway: LineGateway
    clock: Clock
    delivery_wakeup: threading.Event = field(default_factory=threading.Event)

    def wake_delivery(self) -> None:
        self.delivery_wakeup.set()


def services(app: Flask) -> Services:
    return app.extensions[EXTENSION_KEY]
