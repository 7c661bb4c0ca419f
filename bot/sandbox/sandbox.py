"""`Sandbox`: the LINE platform stand-in's public Python API (see bot/sandbox/__init__.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from bot.sandbox.call_log import CallLog
from bot.sandbox.directory import PRESET_USERS, UserDirectory, new_user_id, preset_user_id
from bot.sandbox.events import EventFactory, as_redelivered
from bot.sandbox.faults import FaultInjector
from bot.sandbox.media import MediaStore
from bot.sandbox.rate_limits import MessageQuota, RateLimiter
from bot.sandbox.reply_tokens import ReplyTokenRegistry
from bot.sandbox.retry_keys import RetryKeyRegistry
from bot.sandbox.rich_menus import RichMenuStore
from bot.sandbox.server import BackgroundServer
from bot.sandbox.users import SimulatedUser
from bot.sandbox.web_app import create_app
from bot.sandbox.webhook_sender import (
    LINE_WEBHOOK_TIMEOUT_SECONDS,
    WebhookResult,
    WebhookTransport,
    post_webhook,
    sign,
    webhook_headers,
)

SANDBOX_BASIC_ID = "@sandbox-bot"


class Sandbox:
    """A LINE platform on loopback: Messaging API, simulated users, webhooks, chat page.

    `basic_id` is the bot's LINE ID here: the chat page opens `https://line.me/R/oaMessage/<it>/?<text>`
    links as LINE does (the chat with the bot, the text typed in).
    """

    def __init__(
        self,
        channel_secret: str,
        access_token: str,
        webhook_url: str | None = None,
        webhook_transport: WebhookTransport | None = None,
        clock: Callable[[], float] = time.time,
        bot_user_id: str | None = None,
        *,
        record_bodies: bool = True,
        rate_limits: dict[str, float] | None = None,
        monthly_quota: int | None = None,
        webhook_timeout: float = LINE_WEBHOOK_TIMEOUT_SECONDS,
        basic_id: str = SANDBOX_BASIC_ID,
    ) -> None:
        self.channel_secret = channel_secret
        self.access_token = access_token
        self.webhook_url = webhook_url
        self.webhook_transport = webhook_transport
        self.webhook_timeout = webhook_timeout
        self.clock = clock
        self.bot_user_id = bot_user_id or new_user_id()
        self.basic_id = basic_id
        self.record_bodies = record_bodies
        self.lock = threading.RLock()
        self.call_log = CallLog()
        self.directory = UserDirectory()
        self.media = MediaStore()
        self.rich_menus = RichMenuStore()
        self.reply_tokens = ReplyTokenRegistry(clock)
        self.retry_keys = RetryKeyRegistry(clock)
        self.faults = FaultInjector()
        self.rate_limiter = RateLimiter(rate_limits or {}, clock)
        self.quota = MessageQuota(monthly_quota)
        self.events = EventFactory(self)
        self.app = create_app(self)
        self._server: BackgroundServer | None = None

    # -- serving ------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> Sandbox:
        """Serve the API and chat page in a background thread; returns self."""
        if self._server is None:
            self._server = BackgroundServer(self.app, host, port).start()
        return self

    def stop(self) -> None:
        """Release held connections and stop serving."""
        self.faults.release_holds()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The host to give the SDK: `Configuration(host=sb.base_url)`."""
        if self._server is None:
            raise RuntimeError("the sandbox is not serving: call start() first")
        return self._server.base_url

    @property
    def chat_url(self) -> str:
        """The chat page for people."""
        return self.base_url + "/"

    # -- what the bot sent ----------------------------------------------------------------------------
    def calls(self, path: str | None = None) -> list[dict]:
        """Every API call received (or those to `path`), oldest first."""
        with self.lock:
            return [dict(record) for record in self.call_log.records(path)]

    def clear_calls(self) -> None:
        """Forget the recorded calls."""
        with self.lock:
            self.call_log.clear()

    def messages_for(self, user_id: str) -> list[dict]:
        """Message objects delivered to `user_id` by accepted sends, in order."""
        with self.lock:
            record = self.directory.get(user_id)
            entries = record.transcript if record else []
            return [entry.message for entry in entries if entry.sender == "bot"]

    # -- users and events ----------------------------------------------------------------------------
    def user(self, user_id: str | None = None, display_name: str = "น้องฟ้า", language: str | None = "th",
             picture_url: str | None = None, role: str | None = None) -> SimulatedUser:
        """A simulated user (an existing one keeps its profile); registers its profile."""
        user_id = user_id or new_user_id()
        with self.lock:
            self.directory.ensure(user_id, display_name, language=language, picture_url=picture_url, role=role)
        return SimulatedUser(self, user_id)

    def preset_users(self) -> list[SimulatedUser]:
        """The chat page's youth, mentor and coordinator (fixed ids), registered on first use."""
        return [self.user(preset_user_id(role), name, role=role) for role, name in PRESET_USERS]

    def build_event(self, user_id: str, type: str, **fields) -> dict:
        """A complete webhook event from `user_id`; see EventFactory.build."""
        return self.events.build(user_id, type, **fields)

    def post_events(self, events: list[dict], redelivery: bool = False,
                    destination: str | None = None) -> WebhookResult:
        """POST `events` as one signed webhook body; `redelivery` resends them as LINE redelivers."""
        return self._post(events, redelivery, destination, display_text=None)

    def post_user_event(self, event: dict, display_text: str | None = None) -> WebhookResult:
        """Post one event of a simulated user's action; `display_text` is what the chat shows for it."""
        return self._post([event], False, None, display_text)

    def sign(self, body: str) -> str:
        """LINE's X-Line-Signature for `body`."""
        return sign(self.channel_secret, body)

    def _post(self, events: list[dict], redelivery: bool, destination: str | None,
              display_text: str | None) -> WebhookResult:
        with self.lock:
            if redelivery:
                events = [as_redelivered(event) for event in events]
                for event in events:
                    if "replyToken" in event:
                        self.reply_tokens.renew_for_redelivery(event["replyToken"])
            else:
                for event in events:
                    self.directory.record_user_event(event, display_text, self.clock())
        payload = {"destination": destination or self.bot_user_id, "events": events}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        status, text = post_webhook(body, webhook_headers(self.channel_secret, body), self.webhook_transport,
                                    self.webhook_url, self.webhook_timeout)
        return WebhookResult(status, text, events)
