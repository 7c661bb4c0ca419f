"""JSON views of the sandbox for people, other processes and the chat page (everything under /sandbox).

The bot: GET /sandbox/bot (its user ID and LINE ID). Calls and faults: GET/DELETE /sandbox/calls,
GET/POST/DELETE /sandbox/faults.
Users: GET/POST /sandbox/users, POST /sandbox/users/presets, GET /sandbox/users/<id>/messages,
POST /sandbox/users/<id>/<action> (follow, unfollow, text, postback, location, image, sticker, ...),
GET /sandbox/chat/<id>?after=N (the chat page's feed), media for the page.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from bot.sandbox.faults import Fault
from bot.sandbox.pipeline import current_sandbox
from bot.sandbox.users import SimulatedUser
from bot.sandbox.webhook_sender import WebhookResult

control_api = Blueprint("line_sandbox_control", __name__, url_prefix="/sandbox")

FAULT_FIELDS = ("path", "status", "times", "rate", "latency", "timeout", "message", "accept")


@control_api.get("/bot")
def bot_account() -> Response:
    """The bot's user ID and LINE ID (the chat page opens oaMessage links to this ID)."""
    sandbox = current_sandbox()
    return jsonify({"userId": sandbox.bot_user_id, "basicId": sandbox.basic_id})


@control_api.get("/calls")
def list_calls() -> Response:
    """Recorded API calls, optionally only those to ?path=."""
    return jsonify(current_sandbox().calls(request.args.get("path")))


@control_api.delete("/calls")
def clear_calls() -> tuple[str, int]:
    """Forget recorded calls."""
    current_sandbox().clear_calls()
    return "", 204


@control_api.get("/faults")
def list_faults() -> Response:
    """Active faults."""
    return jsonify(current_sandbox().faults.active())


@control_api.post("/faults")
def add_fault() -> tuple[Response, int]:
    """Inject a fault: JSON with the arguments of sb.faults.add()."""
    given = request.get_json(force=True, silent=True) or {}
    fields = {name: given[name] for name in FAULT_FIELDS if name in given}
    fault: Fault = current_sandbox().faults.add(**fields)
    return jsonify(vars(fault)), 201


@control_api.delete("/faults")
def clear_faults() -> tuple[str, int]:
    """Remove every fault."""
    current_sandbox().faults.clear()
    return "", 204


@control_api.get("/users")
def list_users() -> Response:
    """Every simulated user with profile, role and friendship status."""
    sandbox = current_sandbox()
    with sandbox.lock:
        return jsonify([record.summary() for record in sandbox.directory.all()])


@control_api.post("/users")
def create_user() -> tuple[Response, int]:
    """Create a simulated user from {displayName, userId?, language?}."""
    given = request.get_json(force=True, silent=True) or {}
    user = current_sandbox().user(given.get("userId"), given.get("displayName") or "ผู้ใช้ใหม่",
                                  given.get("language", "th"))
    return jsonify(_summary(user.user_id)), 201


@control_api.post("/users/presets")
def ensure_presets() -> Response:
    """The chat page's preset users (youth, mentor, coordinator), created on first call."""
    users = current_sandbox().preset_users()
    return jsonify([_summary(user.user_id) for user in users])


@control_api.get("/users/<user_id>/messages")
def user_messages(user_id: str) -> Response:
    """Message objects delivered to the user."""
    _require_user(user_id)
    return jsonify(current_sandbox().messages_for(user_id))


@control_api.post("/users/<user_id>/<action>")
def user_action(user_id: str, action: str) -> Response:
    """Make the user act; the answer carries the bot's webhook status."""
    user = SimulatedUser(current_sandbox(), _require_user(user_id))
    perform = USER_ACTIONS.get(action)
    if perform is None:
        abort(404)
    given = request.get_json(silent=True) or {}
    result: WebhookResult = perform(user, given)
    return jsonify({"status": result.status, "text": result.text[:500],
                    "events": [event["type"] for event in result.events]})


USER_ACTIONS = {
    "follow": lambda user, given: user.follow(),
    "unfollow": lambda user, given: user.unfollow(),
    "text": lambda user, given: user.send_text(str(given.get("text", ""))),
    "postback": lambda user, given: user.tap_postback(
        str(given.get("data", "")), given.get("displayText"), given.get("params")),
    "location": lambda user, given: user.send_location(
        given.get("title", ""), given.get("address", ""), float(given["latitude"]), float(given["longitude"])),
    "image": lambda user, given: user.send_image(request.get_data()) if request.content_length else user.send_image(),
    "sticker": lambda user, given: user.send_sticker(
        str(given.get("packageId", "446")), str(given.get("stickerId", "1988"))),
    "video": lambda user, given: user.send_video(),
    "audio": lambda user, given: user.send_audio(),
    "file": lambda user, given: user.send_file(),
}


@control_api.get("/chat/<user_id>")
def chat_feed(user_id: str) -> Response:
    """The chat page's feed: transcript entries from ?after=N, loading state and rich menu."""
    sandbox = current_sandbox()
    _require_user(user_id)
    after = request.args.get("after", default=0, type=int)
    with sandbox.lock:
        record = sandbox.directory.get(user_id)
        entries = [_entry_json(seq, entry, record.read_message_ids)
                   for seq, entry in enumerate(record.transcript[after:], start=after)]
        return jsonify({
            "user": record.summary(),
            "entries": entries,
            "next": len(record.transcript),
            "loading": record.loading_until > sandbox.clock(),
            "lastReadSeq": _last_read_seq(record),
            "richMenu": sandbox.rich_menus.menu_for(user_id),
            "webhookConfigured": bool(sandbox.webhook_url or sandbox.webhook_transport),
        })


@control_api.get("/media/<message_id>")
def user_media(message_id: str) -> Response:
    """Content a simulated user sent, for the chat page."""
    sandbox = current_sandbox()
    with sandbox.lock:
        stored = sandbox.media.get(message_id)
    if stored is None:
        abort(404)
    return Response(stored[0], mimetype=stored[1])


@control_api.get("/richmenu/<menu_id>/image")
def rich_menu_image(menu_id: str) -> Response:
    """A rich menu's uploaded image, for the chat page."""
    sandbox = current_sandbox()
    with sandbox.lock:
        image = sandbox.rich_menus.images.get(menu_id)
    if image is None:
        abort(404)
    return Response(image[0], mimetype=image[1])


def _entry_json(seq: int, entry, read_ids: set[str]) -> dict:
    message_id = (entry.message or {}).get("id") if entry.sender == "user" else None
    return {"seq": seq, "from": entry.sender, "kind": entry.kind, "message": entry.message,
            "text": entry.text, "read": message_id in read_ids if message_id else False}


def _last_read_seq(record) -> int | None:
    """The position of the user's latest message the bot marked as read (LINE shows "Read" up to it)."""
    for seq in range(len(record.transcript) - 1, -1, -1):
        entry = record.transcript[seq]
        if entry.sender == "user" and entry.message and entry.message.get("id") in record.read_message_ids:
            return seq
    return None


def _require_user(user_id: str) -> str:
    sandbox = current_sandbox()
    with sandbox.lock:
        if sandbox.directory.get(user_id) is None:
            abort(404)
    return user_id


def _summary(user_id: str) -> dict:
    sandbox = current_sandbox()
    with sandbox.lock:
        return sandbox.directory.get(user_id).summary()
