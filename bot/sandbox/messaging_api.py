"""The Messaging API endpoints the bot calls: send (reply, push, multicast, broadcast, narrowcast),
validate, profile, loading animation, mark as read, quota, and message content (api-data paths)."""

from __future__ import annotations

import secrets

from flask import Blueprint
from linebot.v3.messaging import (
    BroadcastRequest,
    MarkMessagesAsReadByTokenRequest,
    MulticastRequest,
    NarrowcastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    ValidateMessageRequest,
)

from bot.sandbox.body_validation import validate_body
from bot.sandbox.errors import ApiError
from bot.sandbox.events import new_message_id
from bot.sandbox.pipeline import ApiCall, ApiReply, api_route

messaging_api = Blueprint("line_messaging_api", __name__)

NOT_FOUND = "Not found"


def _send(call: ApiCall, recipients: list[str], messages: list[dict], charge: bool) -> list[dict]:
    """Charge the quota, deliver to deliverable recipients, and return LINE's sentMessages."""
    sandbox = call.sandbox
    if charge:
        sandbox.quota.charge(sum(1 for user_id in recipients if _reachable(call, user_id)))
    sandbox.directory.deliver(recipients, messages, sandbox.clock())
    return [{"id": new_message_id(), "quoteToken": secrets.token_urlsafe(48)} for _ in messages]


def _reachable(call: ApiCall, user_id: str) -> bool:
    record = call.sandbox.directory.get(user_id)
    return record is None or record.deliverable


@api_route(messaging_api, "/v2/bot/message/reply")
def reply_message(call: ApiCall) -> ApiReply:
    """Reply with a single-use, unexpired reply token (free of quota)."""
    body = call.json()
    validate_body(ReplyMessageRequest, body)
    user_id = call.sandbox.reply_tokens.redeem(body["replyToken"])
    return ApiReply(200, {"sentMessages": _send(call, [user_id], body["messages"], charge=False)})


@api_route(messaging_api, "/v2/bot/message/push", retry_key=True)
def push_message(call: ApiCall) -> ApiReply:
    """Push to one user, group or room."""
    call.sandbox.retry_keys.refuse_repeat(call.retry_key)
    body = call.json()
    validate_body(PushMessageRequest, body)
    answer = {"sentMessages": _send(call, [body["to"]], body["messages"], charge=True)}
    call.sandbox.retry_keys.accept(call.retry_key, call.request_id, answer)
    return ApiReply(200, answer)


@api_route(messaging_api, "/v2/bot/message/multicast", retry_key=True)
def multicast(call: ApiCall) -> ApiReply:
    """Send to up to 500 user ids."""
    call.sandbox.retry_keys.refuse_repeat(call.retry_key)
    body = call.json()
    validate_body(MulticastRequest, body)
    _send(call, body["to"], body["messages"], charge=True)
    call.sandbox.retry_keys.accept(call.retry_key, call.request_id)
    return ApiReply(200, {})


@api_route(messaging_api, "/v2/bot/message/broadcast", retry_key=True)
def broadcast(call: ApiCall) -> ApiReply:
    """Send to every user who has not blocked the bot."""
    return _send_to_everyone(call, BroadcastRequest, status=200)


@api_route(messaging_api, "/v2/bot/message/narrowcast", retry_key=True)
def narrowcast(call: ApiCall) -> ApiReply:
    """Accepted with 202; the sandbox ignores recipient and filter and reaches every friend."""
    return _send_to_everyone(call, NarrowcastRequest, status=202)


def _send_to_everyone(call: ApiCall, model: type, status: int) -> ApiReply:
    call.sandbox.retry_keys.refuse_repeat(call.retry_key)
    body = call.json()
    validate_body(model, body)
    _send(call, call.sandbox.directory.deliverable_ids(), body["messages"], charge=True)
    call.sandbox.retry_keys.accept(call.retry_key, call.request_id)
    return ApiReply(status, {})


def _validate_only(call: ApiCall) -> ApiReply:
    validate_body(ValidateMessageRequest, call.json())
    return ApiReply(200, {})


for _kind in ("reply", "push", "multicast", "broadcast", "narrowcast"):
    api_route(messaging_api, f"/v2/bot/message/validate/{_kind}", name=f"validate_{_kind}")(_validate_only)


@api_route(messaging_api, "/v2/bot/profile/<user_id>", methods=("GET",))
def get_profile(call: ApiCall) -> ApiReply:
    """The profile of a user who has not blocked the bot; 404 otherwise."""
    record = call.sandbox.directory.get(call.params["user_id"])
    if record is None or not record.deliverable:
        raise ApiError(404, NOT_FOUND)
    return ApiReply(200, record.profile())


@api_route(messaging_api, "/v2/bot/chat/loading/start")
def show_loading_animation(call: ApiCall) -> ApiReply:
    """Show the loading animation in a user's chat until the bot's next message (202)."""
    body = call.json()
    validate_body(ShowLoadingAnimationRequest, body)
    seconds = body.get("loadingSeconds", 20)
    if seconds % 5:
        raise ApiError(400, "The request body has 1 error(s)",
                       [{"message": "Must be a multiple of 5", "property": "loadingSeconds"}])
    record = call.sandbox.directory.get(body["chatId"])
    if record is not None:
        record.loading_until = call.sandbox.clock() + seconds
    return ApiReply(202, {})


@api_route(messaging_api, "/v2/bot/chat/markAsRead")
def mark_as_read_by_token(call: ApiCall) -> ApiReply:
    """Mark a user's message as read with the markAsReadToken of its event."""
    body = call.json()
    validate_body(MarkMessagesAsReadByTokenRequest, body)
    if not call.sandbox.directory.mark_as_read(body["markAsReadToken"]):
        raise ApiError(400, "Invalid markAsReadToken")
    return ApiReply(200, {})


@api_route(messaging_api, "/v2/bot/message/quota", methods=("GET",))
def get_message_quota(call: ApiCall) -> ApiReply:
    """The monthly limit (type none unless the sandbox was given one)."""
    return ApiReply(200, call.sandbox.quota.quota_body())


@api_route(messaging_api, "/v2/bot/message/quota/consumption", methods=("GET",))
def get_message_quota_consumption(call: ApiCall) -> ApiReply:
    """Messages counted against the quota so far."""
    return ApiReply(200, {"totalUsage": call.sandbox.quota.total_usage})


@api_route(messaging_api, "/v2/bot/message/<message_id>/content", methods=("GET",))
def get_message_content(call: ApiCall) -> ApiReply:
    """The bytes a simulated user sent (api-data.line.me path, served on the same host)."""
    stored = call.sandbox.media.get(call.params["message_id"])
    if stored is None:
        raise ApiError(404, NOT_FOUND)
    data, media_type = stored
    return ApiReply(200, data, media_type=media_type)
