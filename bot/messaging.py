"""The only module that calls LINE's Messaging API (through line-bot-sdk), and how its answers are read.

Every call returns a `SendResult` whose `outcome` tells the delivery worker (or the `rich-menus` command,
or the photo fetcher) what to do next, with what LINE answered in `data` where it answers something; no
exception escapes for an HTTP or network failure.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from enum import StrEnum

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    Message,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    RichMenuRequest,
)
from pydantic import ValidationError

DEFAULT_TIMEOUT = (3.0, 10.0)  # connect, read (seconds)
MULTICAST_MAX_RECIPIENTS = 500


class SendOutcome(StrEnum):
    SENT = "sent"  # 200, or 409: LINE had already accepted this retry key
    RETRY = "retry"  # 5xx, rate-limit 429, timeout, connection error: same key later
    FAILED = "failed"  # any other 4xx: LINE will never accept it
    INVALID_REPLY_TOKEN = "invalid_reply_token"  # reply token used or expired: push instead
    QUOTA = "quota"  # 429 "monthly limit": stop bulk sends


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    status: int | None = None
    request_id: str | None = None
    accepted_request_id: str | None = None
    error: str | None = None
    seconds: float = 0.0
    data: object = None  # what LINE answered, for calls that answer something (a rich menu id, a list)


class LineGateway:
    """Reply, push, multicast, rich menus and message content with the SDK; one instance is shared by all
    threads of a process."""

    def __init__(self, base_url: str, access_token: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 pool_size: int = 16):
        configuration = Configuration(host=base_url, access_token=access_token)
        configuration.retries = urllib3.Retry(total=1, connect=1, read=0, status=0, other=0, redirect=0)
        configuration.connection_pool_maxsize = pool_size
        client = ApiClient(configuration)
        self._api, self._blob = MessagingApi(client), MessagingApiBlob(client)
        self._timeout = timeout

    def reply(self, reply_token: str, messages: list[dict]) -> SendResult:
        def call():
            request = ReplyMessageRequest.construct(reply_token=reply_token, messages=prepared(messages),
                                                    notification_disabled=False)
            return self._api.reply_message_with_http_info(request, _request_timeout=self._timeout)
        return self._call(call, is_reply=True)

    def push(self, to: str, messages: list[dict], retry_key: str) -> SendResult:
        def call():
            request = PushMessageRequest.construct(to=to, messages=prepared(messages), notification_disabled=False,
                                                   custom_aggregation_units=None)
            return self._api.push_message_with_http_info(
                request, x_line_retry_key=retry_key, _request_timeout=self._timeout)
        return self._call(call)

    def multicast(self, to: list[str], messages: list[dict], retry_key: str) -> SendResult:
        if not 1 <= len(to) <= MULTICAST_MAX_RECIPIENTS:
            return SendResult(SendOutcome.FAILED, error=f"multicast to {len(to)} recipients (1-500 allowed)")

        def call():
            # The ids come from our own users table; validating 500 of them again in pydantic costs more
            # than the whole HTTP call, so only the messages go through the SDK's models.
            request = MulticastRequest.construct(to=to, messages=[Message.from_dict(m) for m in messages],
                                                 notification_disabled=False, custom_aggregation_units=None)
            return self._api.multicast_with_http_info(
                request, x_line_retry_key=retry_key, _request_timeout=self._timeout)
        return self._call(call)

    def create_rich_menu(self, menu: dict) -> SendResult:
        """Create a rich menu from its JSON (a RichMenuRequest); `data` is the new menu's id."""
        def call():
            request = RichMenuRequest.from_dict(menu)
            return self._api.create_rich_menu_with_http_info(request, _request_timeout=self._timeout)
        return self._call(call, read=lambda answer: answer.rich_menu_id)

    def upload_rich_menu_image(self, menu_id: str, image: bytes, content_type: str = "image/png") -> SendResult:
        """Attach the menu's image (once: LINE never replaces it)."""
        return self._call(lambda: self._blob.set_rich_menu_image_with_http_info(
            menu_id, image, _headers={"Content-Type": content_type}, _request_timeout=self._timeout))

    def set_default_rich_menu(self, menu_id: str) -> SendResult:
        """Show this menu to every user who has no menu of their own."""
        return self._call(lambda: self._api.set_default_rich_menu_with_http_info(
            menu_id, _request_timeout=self._timeout))

    def link_rich_menu(self, user_id: str, menu_id: str) -> SendResult:
        """Show this menu to one user (LINE answers 200 and does nothing for a non-friend)."""
        return self._call(lambda: self._api.link_rich_menu_id_to_user_with_http_info(
            user_id, menu_id, _request_timeout=self._timeout))

    def unlink_rich_menu(self, user_id: str) -> SendResult:
        """Remove a user's own menu, so the default shows."""
        return self._call(lambda: self._api.unlink_rich_menu_id_from_user_with_http_info(
            user_id, _request_timeout=self._timeout))

    def delete_rich_menu(self, menu_id: str) -> SendResult:
        """Delete a menu (its users fall back to the default)."""
        return self._call(lambda: self._api.delete_rich_menu_with_http_info(menu_id, _request_timeout=self._timeout))

    def list_rich_menus(self) -> SendResult:
        """The channel's rich menus; `data` is their ids."""
        return self._call(lambda: self._api.get_rich_menu_list_with_http_info(_request_timeout=self._timeout),
                          read=lambda answer: [menu.rich_menu_id for menu in answer.richmenus])

    def get_message_content(self, message_id: str) -> SendResult:
        """Download what a user sent (a photo, say) from LINE's content API; `data` is (bytes, content type)
        when SENT. 202 (LINE is still preparing it), 5xx, 429 and network errors are RETRY; 404, 410 and
        other 4xx are FAILED (the content is gone, or was never LINE's to give)."""
        content_type = {}

        def call():
            response = self._blob.get_message_content_with_http_info(message_id, _request_timeout=self._timeout)
            content_type["value"] = _lower(response.headers).get("content-type", "application/octet-stream")
            return response

        result = self._call(call, read=lambda data: bytes(data) if data is not None else None)
        return _content_result(result, content_type.get("value"))

    @staticmethod
    def _call(call, is_reply: bool = False, read=lambda answer: None) -> SendResult:
        started = time.perf_counter()
        try:
            response = call()
        except ApiException as exc:
            return classify_error(exc, is_reply, time.perf_counter() - started)
        except ValidationError as exc:  # our message does not fit LINE's model: never retry
            return SendResult(SendOutcome.FAILED, error=f"invalid request: {exc.error_count()} errors",
                              seconds=time.perf_counter() - started)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return SendResult(SendOutcome.RETRY, error=f"network: {type(exc).__name__}",
                              seconds=time.perf_counter() - started)
        headers = _lower(response.headers)
        return SendResult(SendOutcome.SENT, status=response.status_code, request_id=headers.get("x-line-request-id"),
                          seconds=time.perf_counter() - started, data=read(response.data))


class PreparedMessage:
    """A message already in LINE's JSON, sent as it is. Outbox rows hold `Message.to_dict()` of messages built
    (and validated) with the SDK's models when they were queued; parsing a Flex card back into those models
    and serialising it again took more CPU than the HTTP call. LINE still checks the body (400 -> FAILED)."""

    __slots__ = ("_json",)

    def __init__(self, message: dict):
        self._json = message

    def to_dict(self) -> dict:
        return self._json


def prepared(messages: list[dict]) -> list[PreparedMessage]:
    return [PreparedMessage(message) for message in messages]


def classify_error(exc: ApiException, is_reply: bool, seconds: float) -> SendResult:
    """Map LINE's error answer to what the worker should do (see LINE-FACTS section 2)."""
    headers = _lower(exc.headers)
    message = _line_message(exc.body)
    base = {"status": exc.status, "request_id": headers.get("x-line-request-id"), "error": message,
            "seconds": seconds}
    if exc.status == 409:
        return SendResult(SendOutcome.SENT, accepted_request_id=headers.get("x-line-accepted-request-id"), **base)
    if exc.status == 429:
        quota = "monthly limit" in (message or "").lower()
        return SendResult(SendOutcome.QUOTA if quota else SendOutcome.RETRY, **base)
    if exc.status is None or exc.status >= 500:
        return SendResult(SendOutcome.RETRY, **base)
    if is_reply and exc.status == 400 and "reply token" in (message or "").lower():
        return SendResult(SendOutcome.INVALID_REPLY_TOKEN, **base)
    return SendResult(SendOutcome.FAILED, **base)


def _content_result(result: SendResult, content_type: str | None) -> SendResult:
    """A content download's answer as SENT (200 with bytes), RETRY or FAILED only."""
    if result.outcome is SendOutcome.SENT and result.status == 200 and result.data is not None:
        return replace(result, data=(result.data, content_type))
    if result.outcome is SendOutcome.SENT and result.status == 202:
        return replace(result, outcome=SendOutcome.RETRY, data=None, error="content is still being prepared")
    if result.outcome in (SendOutcome.RETRY, SendOutcome.QUOTA) or result.status == 0:  # 0: TLS failed;
        return replace(result, outcome=SendOutcome.RETRY)  # and a 429 here is a rate limit, never a quota
    if result.outcome is SendOutcome.FAILED:
        return result
    return replace(result, outcome=SendOutcome.FAILED, data=None, error=f"unexpected answer {result.status}")


def _line_message(body) -> str | None:
    if not body:
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, TypeError):
        return str(body)[:300]
    if isinstance(parsed, dict):
        details = parsed.get("details") or []
        detail = "; ".join(f"{d.get('property')}: {d.get('message')}" for d in details if isinstance(d, dict))
        return (str(parsed.get("message", "")) + (f" ({detail})" if detail else ""))[:500]
    return str(parsed)[:300]


def _lower(headers) -> dict[str, str]:
    return {str(key).lower(): value for key, value in (headers or {}).items()}
