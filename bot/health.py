"""GET /healthz (the database answers, a delivery worker and the scheduler are alive) and GET /metrics.

Heartbeats live in the database, so any web process can tell whether the background processes of the
whole deployment are alive, wherever they run.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot import heartbeats, metrics, pause
from bot.services import services

log = logging.getLogger("bot.health")
blueprint = Blueprint("health", __name__)

HEARTBEAT_MAX_AGE = dt.timedelta(seconds=60)


@blueprint.get("/healthz")
def healthz():
    app_services = services(current_app)
    try:
        with app_services.db.transaction() as session:
            session.execute(text("SELECT 1"))
            paused = pause.bulk_paused(session)
        now = app_services.clock()
        workers = heartbeats.fresh(app_services.db, "worker", now, HEARTBEAT_MAX_AGE)
        schedulers = heartbeats.fresh(app_services.db, "scheduler", now, HEARTBEAT_MAX_AGE)
    except SQLAlchemyError as exc:
        log.error("health: database unreachable", extra={"error": type(exc).__name__})
        return jsonify({"status": "unhealthy", "database": "unreachable"}), 503
    active = [beat for beat in schedulers if beat.details.get("role") == "active"]
    report = {
        "database": "ok",
        "workers": len(workers),
        "scheduler": "active" if active else ("standby only" if schedulers else "missing"),
        "bulk_sends": "paused (LINE monthly limit)" if paused else "running",
    }
    healthy = bool(workers) and bool(active)
    report["status"] = "ok" if healthy else "unhealthy"
    return jsonify(report), 200 if healthy else 503


@blueprint.get("/metrics")
def prometheus_metrics():
    body, content_type = metrics.exposition(services(current_app).db)
    return Response(body, content_type=content_type)
