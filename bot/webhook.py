"""POST /callback: verify LINE's signature, store the events durably (once each), answer 200 after commit.

Nothing slow happens here: no handler, no call to LINE (LINE gives up after 2 s and redelivers). The event
processor, woken as soon as this commits, dispatches each event in its own transaction; the delivery
worker then sends the outbox rows the handlers wrote.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, jsonify, request

from bot import metrics
from bot.inbox import store_events
from bot.services import services

log = logging.getLogger("bot.webhook")
blueprint = Blueprint("webhook", __name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
ACK = ("{}", 200, {"Content-Type": "application/json"})


def _error(status: int, reason: str):
    log.warning("webhook rejected", extra={"status": status, "reason": reason})
    metrics.WEBHOOK_REQUESTS.labels(str(status)).inc()
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
    if not app_services.signature_validator.validate(body, signature):
        return _error(400, "invalid signature")
    events = _events_of(body)
    if events is None:
        return _error(400, "body is not a LINE webhook payload")
    if events:
        store_events(app_services.inbox_writer, events, app_services.clock())
        app_services.wake_processor()
        metrics.WEBHOOK_EVENTS.labels("stored").inc(len(events))
    metrics.WEBHOOK_REQUESTS.labels("200").inc()
    return ACK


def _events_of(body: str) -> list | None:
    """The events list of a webhook body, or None if the body is not JSON of LINE's shape."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return None
    return payload["events"]
