"""Read one raw webhook event: its dedupe key, its SDK model, and the Turn it means for a handler.

Each event is parsed on its own with the SDK's `Event.from_dict` (what `WebhookParser` does for the whole
batch), so one malformed or unknown event is recorded and skipped without failing its neighbours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)
from pydantic import ValidationError

from bot import postback
from bot.flows import ImageSet, Location, Turn, TurnKind

REDELIVERED_TOKEN_MAX_AGE = dt.timedelta(minutes=20)  # LINE: a redelivered token dies 20 min after the event


def event_key(raw: dict[str, Any]) -> str:
    """`webhookEventId`, or for an event without one a stable hash of its content (still deduplicated)."""
    event_id = raw.get("webhookEventId")
    if isinstance(event_id, str) and 0 < len(event_id) <= 64:
        return event_id
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()
    return "sha256:" + hashlib.sha256(canonical).hexdigest()[:64]


def parse_event(raw: dict[str, Any]) -> Event | None:
    """The SDK's model of the event, or None for a type (or message type) the SDK does not know."""
    try:
        return Event.from_dict(raw)
    except (ValueError, ValidationError, TypeError, AttributeError):
        return None


def source_user_id(raw: dict[str, Any]) -> str | None:
    """The user of a one-to-one chat; None for groups, rooms and events without a source."""
    source = raw.get("source")
    if isinstance(source, dict) and source.get("type") == "user" and isinstance(source.get("userId"), str):
        return source["userId"]
    return None


def event_time(raw: dict[str, Any]) -> dt.datetime | None:
    timestamp = raw.get("timestamp")
    if isinstance(timestamp, int) and timestamp > 0:
        return dt.datetime.fromtimestamp(timestamp / 1000, dt.UTC)
    return None


def is_redelivery(raw: dict[str, Any]) -> bool:
    context = raw.get("deliveryContext")
    return isinstance(context, dict) and context.get("isRedelivery") is True


def reply_token_of(raw: dict[str, Any], received_at: dt.datetime) -> str | None:
    """The event's reply token if LINE would still accept it (not for redeliveries over 20 minutes old)."""
    token = raw.get("replyToken")
    if not isinstance(token, str) or not token:
        return None
    happened = event_time(raw)
    if is_redelivery(raw) and happened and received_at - happened > REDELIVERED_TOKEN_MAX_AGE:
        return None
    return token


def turn_from(raw: dict[str, Any], event: Event | None) -> Turn | None:
    """What the user did, or None for events the bot does not answer (join, beacon, unsend, ...)."""
    if isinstance(event, FollowEvent):
        return Turn(kind=TurnKind.FOLLOW)
    if isinstance(event, UnfollowEvent):
        return Turn(kind=TurnKind.UNFOLLOW)
    if isinstance(event, PostbackEvent):
        params = event.postback.params or {}
        return Turn(kind=TurnKind.POSTBACK, postback=postback.decode(event.postback.data),
                    postback_params={k: str(v) for k, v in params.items()})
    if isinstance(event, MessageEvent):
        return _message_turn(event)
    if event is None and raw.get("type") == "message":
        message = raw.get("message") if isinstance(raw.get("message"), dict) else {}
        return Turn(kind=TurnKind.UNSUPPORTED_MESSAGE, message_type=str(message.get("type", "unknown"))[:40])
    return None


def _message_turn(event: MessageEvent) -> Turn:
    content = event.message
    if isinstance(content, TextMessageContent):
        return Turn(kind=TurnKind.TEXT, text=content.text, message_id=content.id)
    if isinstance(content, LocationMessageContent):
        location = Location(content.latitude, content.longitude, content.title, content.address)
        return Turn(kind=TurnKind.LOCATION, location=location, message_id=content.id)
    if isinstance(content, ImageMessageContent):
        image_set = content.image_set
        return Turn(kind=TurnKind.IMAGE, message_id=content.id, message_type="image",
                    image_set=ImageSet(image_set.id, image_set.index or 1, image_set.total or 1) if image_set else None,
                    content_from_line=content.content_provider is None or content.content_provider.type == "line")
    return Turn(kind=TurnKind.UNSUPPORTED_MESSAGE, message_id=content.id, message_type=content.type)
