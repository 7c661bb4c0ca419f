"""Request body validation as LINE does it: the SDK's own request models, then LINE's extra limits.

`validate_body(model, body)` raises `ApiError` (400, LINE's error shape) or returns None.
"""

from __future__ import annotations

from pydantic.v1 import ValidationError

from bot.sandbox.errors import ApiError, invalid_body
from bot.sandbox.limits import message_limit_errors

# What the SDK's generated `from_dict` raises on malformed input besides pydantic's ValidationError.
_MALFORMED = (ValueError, TypeError, AttributeError, KeyError)


def validate_body(model: type, body: object) -> None:
    """Check `body` against the SDK request `model` and LINE's limits; raise ApiError(400) if invalid."""
    if not isinstance(body, dict):
        raise ApiError(400, "The request body could not be parsed as JSON")
    messages = body.get("messages")
    details = _message_errors(messages) if isinstance(messages, list) else []
    if details:
        raise invalid_body(details)
    details = _model_errors(model, body, "")
    if details:
        raise invalid_body(details)


def _message_errors(messages: list) -> list[dict]:
    """Validate each message alone first, so that error properties say which message is wrong."""
    from linebot.v3.messaging import Message

    details: list[dict] = []
    for index, message in enumerate(messages):
        prefix = f"messages[{index}]"
        if not isinstance(message, dict):
            details.append({"message": "must be an object", "property": prefix})
            continue
        # Limit errors name the exact property; the SDK's nested models lose the path prefix.
        details += message_limit_errors(message, prefix) or _model_errors(Message, message, prefix)
    return details


def _model_errors(model: type, body: dict, prefix: str) -> list[dict]:
    try:
        model.from_dict(body)
    except ValidationError as error:
        return [_detail(item, prefix) for item in error.errors()]
    except _MALFORMED as error:
        return [{"message": _first_line(error), "property": prefix or "body"}]
    return []


def _detail(item: dict, prefix: str) -> dict:
    path = prefix
    for part in item.get("loc", ()):
        if part == "__root__":
            continue
        path = f"{path}[{part}]" if isinstance(part, int) else (f"{path}.{part}" if path else str(part))
    return {"message": item.get("msg", "invalid"), "property": path or "body"}


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__
