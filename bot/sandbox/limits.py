"""LINE's message limits that the SDK's request models do not enforce (see LINE-FACTS section 3).

`message_limit_errors(message, prefix)` returns LINE-style details `{message, property}` for one message
object; an empty list means the message is within LINE's limits.

Media URLs (image, video, audio) must be https, as on LINE. The one allowance: http on a loopback host,
which only the local chat page loads (the embedded demo serves its images that way); LINE itself could
not reach such an address anyway.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

MAX_TEXT_UTF16 = 5000
MAX_ALT_TEXT = 1500
MAX_FLEX_BUBBLE_BYTES = 30 * 1024
MAX_FLEX_CAROUSEL_BYTES = 50 * 1024
MAX_FLEX_CAROUSEL_BUBBLES = 12
MAX_POSTBACK_DATA = 300
MAX_DISPLAY_TEXT = 300
MAX_URI = 1000
MAX_MEDIA_URL = 2000
MEDIA_URL_FIELDS = {"image": ("originalContentUrl", "previewImageUrl"),
                    "video": ("originalContentUrl", "previewImageUrl"), "audio": ("originalContentUrl",)}
MAX_QUICK_REPLY_ITEMS = 13
TEMPLATE_LABEL_LIMIT = 20
FLEX_LABEL_LIMIT = 40


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as LINE counts text (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _error(prop: str, message: str) -> dict:
    return {"message": message, "property": prop}


def _too_long(prop: str, value: object, limit: int, measure=len) -> list[dict]:
    if isinstance(value, str) and measure(value) > limit:
        return [_error(prop, f"Length must be between 0 and {limit}")]
    return []


def message_limit_errors(message: dict, prefix: str) -> list[dict]:
    """All limit violations of one message object, with properties under `prefix` (e.g. messages[0])."""
    kind = message.get("type")
    errors: list[dict] = []
    if kind in ("text", "textV2"):
        errors += _too_long(f"{prefix}.text", message.get("text"), MAX_TEXT_UTF16, utf16_length)
    if kind in ("template", "flex", "imagemap"):
        errors += _too_long(f"{prefix}.altText", message.get("altText"), MAX_ALT_TEXT)
    if kind == "template" and isinstance(message.get("template"), dict):
        errors += _template_errors(message["template"], f"{prefix}.template")
    if kind == "flex" and isinstance(message.get("contents"), dict):
        errors += _flex_errors(message["contents"], f"{prefix}.contents")
    errors += _media_url_errors(message, prefix)
    errors += _quick_reply_errors(message.get("quickReply"), f"{prefix}.quickReply")
    errors += _action_errors(message, prefix)
    return errors


def _media_url_errors(message: dict, prefix: str) -> list[dict]:
    errors: list[dict] = []
    for key in MEDIA_URL_FIELDS.get(message.get("type"), ()):
        url = message.get(key)
        if not isinstance(url, str):
            continue
        errors += _too_long(f"{prefix}.{key}", url, MAX_MEDIA_URL)
        if not _is_https_or_loopback_http(url):
            errors.append(_error(f"{prefix}.{key}", "must be an HTTPS URL"))
    return errors


def _is_https_or_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http":
        return False
    try:
        return parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return False


def _template_errors(template: dict, prefix: str) -> list[dict]:
    kind = template.get("type")
    actions = template.get("actions") or []
    errors: list[dict] = []
    if kind == "buttons":
        has_header = bool(template.get("title") or template.get("thumbnailImageUrl"))
        errors += _too_long(f"{prefix}.text", template.get("text"), 60 if has_header else 160)
        errors += _too_long(f"{prefix}.title", template.get("title"), 40)
        if len(actions) > 4:
            errors.append(_error(f"{prefix}.actions", "Size must be between 1 and 4"))
    elif kind == "confirm":
        errors += _too_long(f"{prefix}.text", template.get("text"), 240)
        if len(actions) != 2:
            errors.append(_error(f"{prefix}.actions", "Size must be 2"))
    elif kind in ("carousel", "image_carousel"):
        errors += _carousel_template_errors(template, prefix)
    errors += _label_errors(template, prefix, TEMPLATE_LABEL_LIMIT)
    return errors


def _carousel_template_errors(template: dict, prefix: str) -> list[dict]:
    columns = template.get("columns") or []
    errors = []
    if len(columns) > 10:
        errors.append(_error(f"{prefix}.columns", "Size must be between 1 and 10"))
    for index, column in enumerate(columns):
        if isinstance(column, dict) and len(column.get("actions") or []) > 3:
            errors.append(_error(f"{prefix}.columns[{index}].actions", "Size must be between 1 and 3"))
    return errors


def _flex_errors(container: dict, prefix: str) -> list[dict]:
    size = len(json.dumps(container, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    errors: list[dict] = []
    if container.get("type") == "carousel":
        if len(container.get("contents") or []) > MAX_FLEX_CAROUSEL_BUBBLES:
            errors.append(_error(f"{prefix}.contents", "Size must be between 1 and 12"))
        if size > MAX_FLEX_CAROUSEL_BYTES:
            errors.append(_error(prefix, "The size of a carousel must be 50 KB or less"))
    elif size > MAX_FLEX_BUBBLE_BYTES:
        errors.append(_error(prefix, "The size of a bubble must be 30 KB or less"))
    errors += _label_errors(container, prefix, FLEX_LABEL_LIMIT)
    return errors


def _quick_reply_errors(quick_reply: object, prefix: str) -> list[dict]:
    if not isinstance(quick_reply, dict):
        return []
    items = quick_reply.get("items") or []
    errors = []
    if len(items) > MAX_QUICK_REPLY_ITEMS:
        errors.append(_error(f"{prefix}.items", f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}"))
    return errors + _label_errors(quick_reply, prefix, TEMPLATE_LABEL_LIMIT)


def _label_errors(tree: object, prefix: str, limit: int) -> list[dict]:
    errors = []
    for prop, action in _actions_in(tree, prefix):
        errors += _too_long(f"{prop}.label", action.get("label"), limit)
    return errors


def _action_errors(message: dict, prefix: str) -> list[dict]:
    errors: list[dict] = []
    for prop, action in _actions_in(message, prefix):
        if action.get("type") == "postback":
            errors += _too_long(f"{prop}.data", action.get("data"), MAX_POSTBACK_DATA)
            errors += _too_long(f"{prop}.displayText", action.get("displayText"), MAX_DISPLAY_TEXT)
        elif action.get("type") == "uri":
            errors += _too_long(f"{prop}.uri", action.get("uri"), MAX_URI)
    return errors


def _actions_in(tree: object, prefix: str) -> Iterator[tuple[str, dict]]:
    """Every action object (the value of an `action` key, or an item of `actions`) inside `tree`."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "action" and isinstance(value, dict):
                yield f"{prefix}.action", value
            if key == "actions" and isinstance(value, list):
                yield from ((f"{prefix}.actions[{i}]", a) for i, a in enumerate(value) if isinstance(a, dict))
            yield from _actions_in(value, f"{prefix}.{key}")
    elif isinstance(tree, list):
        for index, item in enumerate(tree):
            yield from _actions_in(item, f"{prefix}[{index}]")
