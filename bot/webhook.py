"""POST /callback: verify LINE's signature, store and dispatch each event, answer 200 after commit.

No call to LINE happens here (LINE gives up after 2 s and redelivers); the delivery worker sends the
outbox rows the handlers wrote, and is woken as soon as the request has committed them.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, jsonify, request
from linebot.v3 import SignatureValidator

from bot.services import services

log = logging.getLogger("bot.webhook")
blueprint = Blueprint("webhook", __name__)

MAX_BODY_BYTES = 2 * 1024 * 1024


def _error(status: int, reason: str):
    log.warning("webhook rejected", extra={"status": status, "reason": reason})
    return jsonify({"message": reason}), status


@blueprint.post("/callback")
def callback():
    app_services = services(current_app)
    signature = request.headers.get("X-Line-Signature", "")
    if not signature:
        return _error(400, "missing X-Line-Signature")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _error(413, "body too large")
    body = request.get_data(as_text=True)
    if not SignatureValidator(app_services.settings.channel_secret).validate(body, signature):
        return _error(400, "invalid signature")
    events = _events_of(body)
    if events is None:
        return _error(400, "body is not a LINE webhook payload")
    received_at = app_services.clock()
    outcomes = [app_services.inbox.receive(event, received_at) for event in events]
    if outcomes:
        app_services.wake_delivery()
    return jsonify({}), 200


def _events_of(body: str) -> list | None:
    """The events list of a webhook body, or None if the body is not JSON of LINE's shape."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return None
    return payload["events"]
