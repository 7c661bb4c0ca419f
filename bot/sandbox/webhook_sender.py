"""Signing and posting webhook bodies to the bot, as LINE does (X-Line-Signature, 2-second timeout).

The bot is reached through `webhook_transport(body, headers) -> (status, text)` when one is set
(tests), otherwise by HTTP POST to `webhook_url`. Status 0 means the body never reached the bot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("bot.sandbox")

WebhookTransport = Callable[[str, dict], tuple[int, str]]
LINE_WEBHOOK_TIMEOUT_SECONDS = 2.0


@dataclass
class WebhookResult:
    """What happened to one webhook POST: the bot's status and text, and the events it carried."""

    status: int
    text: str
    events: list[dict] = field(default_factory=list)


def sign(channel_secret: str, body: str) -> str:
    """Base64(HMAC-SHA256(channel secret, body)): LINE's X-Line-Signature."""
    digest = hmac.new(channel_secret.encode("utf-8"), body.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def webhook_headers(channel_secret: str, body: str) -> dict[str, str]:
    """The headers LINE sends with a webhook body."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "LineBotWebhook/2.0",
        "X-Line-Signature": sign(channel_secret, body),
    }


def post_webhook(
    body: str,
    headers: dict[str, str],
    transport: WebhookTransport | None,
    url: str | None,
    timeout: float = LINE_WEBHOOK_TIMEOUT_SECONDS,
) -> tuple[int, str]:
    """Deliver a signed body through `transport` or to `url`; (0, reason) when it cannot be delivered."""
    if transport is not None:
        status, text = transport(body, headers)
    elif url:
        status, text = _post_http(url, body, headers, timeout)
    else:
        status, text = 0, "no webhook URL or transport is configured"
    log.info("webhook posted bytes=%d status=%d", len(body), status)
    return status, text


def _post_http(url: str, body: str, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body.encode("utf-8"), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")
    except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        return 0, f"webhook not delivered: {reason}"
