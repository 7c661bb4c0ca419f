"""Webhook event objects built exactly as LINE builds them (webhook.yml's Event and its subtypes).

Every event gets a ULID `webhookEventId` (from the sandbox clock), a millisecond `timestamp`, `mode`,
`deliveryContext` and a user `source`. Events that LINE makes replyable in active mode get a reply
token registered with the sandbox; message contents get ids, quote and markAsRead tokens, and
media content kept for the content endpoint.
"""

from __future__ import annotations

import copy
import itertools
import secrets
from typing import TYPE_CHECKING

from ulid import ULID

from bot.sandbox.media import PLACEHOLDER_CONTENT, sniff_media_type
from bot.sandbox.reply_tokens import new_reply_token

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox

REPLYABLE_EVENT_TYPES = frozenset(
    {"message", "follow", "join", "memberJoined", "postback", "videoPlayComplete", "beacon",
     "accountLink", "membership"}
)
QUOTABLE_CONTENT_TYPES = frozenset({"text", "image", "video", "sticker"})
PROVIDED_CONTENT_TYPES = frozenset({"image", "video", "audio"})

_message_ids = itertools.count(560_000_000_000_000_000 + secrets.randbelow(10**15))


def new_message_id() -> str:
    """A LINE-like numeric message id, increasing within the process."""
    return str(next(_message_ids))


def as_redelivered(event: dict) -> dict:
    """A copy of `event` as LINE redelivers it: same webhookEventId and timestamp, isRedelivery true."""
    redelivered = copy.deepcopy(event)
    redelivered["deliveryContext"] = {"isRedelivery": True}
    return redelivered


class EventFactory:
    """Builds events for a sandbox and registers their tokens and content with it."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    def build(self, user_id: str, event_type: str, *, mode: str = "active", content: bytes | None = None,
              **fields) -> dict:
        """A complete event of `event_type` from `user_id`; `fields` are added or override defaults."""
        sandbox = self._sandbox
        now = sandbox.clock()
        event = {
            "type": event_type,
            "timestamp": int(now * 1000),
            "mode": mode,
            "webhookEventId": str(ULID.from_timestamp(now)),
            "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": user_id},
        }
        with sandbox.lock:
            record = sandbox.directory.ensure(user_id)
            if event_type in REPLYABLE_EVENT_TYPES and mode == "active":
                token = fields.pop("replyToken", None) or new_reply_token()
                sandbox.reply_tokens.issue(token, user_id, now)
                event["replyToken"] = token
            if event_type == "message":
                event["message"] = self._message_content(user_id, fields.pop("message", {}), content)
            if event_type == "follow":
                event["follow"] = {"isUnblocked": record.was_blocked}
        event.update(fields)
        return event

    def _message_content(self, user_id: str, given: dict, content: bytes | None) -> dict:
        """Complete a message content object: id, quoteToken, markAsReadToken, contentProvider."""
        message = dict(given)
        message.setdefault("type", "text")
        message.setdefault("id", new_message_id())
        kind = message["type"]
        if kind in QUOTABLE_CONTENT_TYPES:
            message.setdefault("quoteToken", secrets.token_urlsafe(48))
        if kind in PROVIDED_CONTENT_TYPES:
            message.setdefault("contentProvider", {"type": "line"})
        if kind == "sticker":
            message.setdefault("stickerResourceType", "STATIC")
        if kind == "file":
            message.setdefault("fileName", "report.pdf")
        self._store_content(message, content)
        if kind == "file":
            message.setdefault("fileSize", len(self._sandbox.media.get(message["id"])[0]))
        message.setdefault("markAsReadToken", secrets.token_urlsafe(32))
        self._sandbox.directory.issue_read_token(message["markAsReadToken"], user_id, message["id"])
        return message

    def _store_content(self, message: dict, content: bytes | None) -> None:
        placeholder = PLACEHOLDER_CONTENT.get(message["type"])
        if placeholder is None:
            return
        if message.get("contentProvider", {}).get("type") == "external":
            return
        data, media_type = placeholder
        if content is not None:
            data = content
            if message["type"] == "image":
                media_type = sniff_media_type(content, media_type)
        self._sandbox.media.put(message["id"], data, media_type)
