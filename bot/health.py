"""GET /healthz: the database answers (the issue on reliable delivery adds worker and scheduler heartbeats)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.services import services

log = logging.getLogger("bot.health")
blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    try:
        with services(current_app).db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("health: database unreachable", extra={"error": type(exc).__name__})
        return jsonify({"status": "unhealthy", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"}), 200
