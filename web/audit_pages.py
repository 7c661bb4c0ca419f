"""The audit log for admins: who did what to whom, newest first, filterable by action (ids, never bodies)."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from models import AuditEvent, User
from web.blueprint import admin_required, blueprint, database

PAGE_SIZE = 100


@blueprint.get("/audit")
@admin_required
def audit():
    action = request.args.get("action", "")[:40]
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(PAGE_SIZE)
    if action:
        query = query.where(AuditEvent.action == action)
    with database() as session:
        events = list(session.scalars(query))
        ids = {event.actor_user_id for event in events} | {event.subject_user_id for event in events}
        names = {user.id: user.nickname or f"#{user.id}"
                 for user in session.scalars(select(User).where(User.id.in_([i for i in ids if i])))}
        return render_template("console/audit.html", events=events, names=names, action=action)
