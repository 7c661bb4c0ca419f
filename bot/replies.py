"""Pure builders for the messages the bot sends (SDK models, so LINE's limits are checked when built)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from linebot.v3.messaging import (
    DatetimePickerAction,
    LocationAction,
    Message,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
    URIAction,
)

MAX_QUICK_REPLY_ITEMS = 13
MAX_LABEL = 20


def text(body: str, quick_replies: Sequence[QuickReplyItem] = ()) -> TextMessage:
    """A text message, with quick-reply chips if given (LINE shows them under the last message only)."""
    quick_reply = QuickReply(items=list(quick_replies)) if quick_replies else None
    return TextMessage(text=body, quick_reply=quick_reply)


def say_chip(label: str, says: str | None = None) -> QuickReplyItem:
    """A chip that sends a text as if the user typed it (shown in the chat, works after restarts)."""
    return QuickReplyItem(action=MessageAction(label=label[:MAX_LABEL], text=says or label))


def postback_chip(label: str, data: str, display_text: str | None = None) -> QuickReplyItem:
    return QuickReplyItem(
        action=PostbackAction(label=label[:MAX_LABEL], data=data, display_text=display_text or label)
    )


def location_chip(label: str) -> QuickReplyItem:
    """A chip that opens LINE's location picker; the user's pin comes back as a location message."""
    return QuickReplyItem(action=LocationAction(label=label[:MAX_LABEL]))


def datetime_chip(label: str, data: str, earliest: str, latest: str) -> QuickReplyItem:
    """A chip that opens LINE's date-time picker; the choice comes back as a postback with params.datetime
    ("2026-11-23T09:00", local time as the person picked it)."""
    return QuickReplyItem(action=DatetimePickerAction(label=label[:MAX_LABEL], data=data, mode="datetime",
                                                      initial=earliest, min=earliest, max=latest))


def call_chip(label: str, phone_number: str) -> QuickReplyItem:
    """A chip that opens the phone dialler (tap-to-call)."""
    return uri_chip(label, f"tel:{phone_number}")


def uri_chip(label: str, uri: str) -> QuickReplyItem:
    """A chip that opens a link (a LINE share or add-friend URL, a web page)."""
    return QuickReplyItem(action=URIAction(label=label[:MAX_LABEL], uri=uri))


def as_dicts(messages: Iterable[Message]) -> list[dict]:
    """LINE JSON for storing in the outbox (camelCase keys, no nulls); stored JSON passes through."""
    return [message if isinstance(message, dict) else message.to_dict() for message in messages]
