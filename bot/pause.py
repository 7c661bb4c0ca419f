"""Pausing bulk sends when LINE says the monthly message limit is reached, and telling the coordinators.

The pause is a row in `system_flags`, so every worker process sees it; `flask --app app bulk-resume`
lifts it once the quota has been raised or the month has turned. Replies (free) and one-to-one pushes
are not paused: they keep being retried on their own.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import replies
from bot.outbox import enqueue_replies
from models import Role, SystemFlag, User
from models.db import insert_ignoring_conflict

log = logging.getLogger("bot.pause")

BULK_PAUSED = "bulk_paused"
COORDINATOR_NOTICE = (
    "⚠️ การส่งข้อความแบบกลุ่ม (แคมเปญ) หยุดชั่วคราว: LINE แจ้งว่าโควตาข้อความรายเดือนของบัญชีเต็มแล้ว\n"
    "ข้อความที่ค้างอยู่จะยังไม่หายไป และจะส่งต่อเมื่อผู้ดูแลระบบเพิ่มโควตาหรือขึ้นเดือนใหม่แล้วสั่งให้ส่งต่อ"
)


def bulk_paused(session: Session) -> dict | None:
    """The pause's details ({"since", "reason"}) while bulk sends are paused, else None."""
    flag = session.get(SystemFlag, BULK_PAUSED)
    return flag.value if flag is not None and flag.value.get("paused") else None


def pause_bulk(session: Session, now: dt.datetime, reason: str) -> bool:
    """Pause bulk sends; the first pause queues a notice to every coordinator. Returns True if newly paused."""
    insert_ignoring_conflict(session, SystemFlag, {"name": BULK_PAUSED, "value": {}, "updated_at": now}, "name")
    flag = session.execute(select(SystemFlag).where(SystemFlag.name == BULK_PAUSED).with_for_update()).scalar_one()
    if flag.value.get("paused"):
        return False
    flag.value = {"paused": True, "since": now.isoformat(), "reason": reason[:200]}
    flag.updated_at = now
    coordinators = session.scalars(select(User.line_user_id).where(
        User.role == Role.COORDINATOR, User.is_following.is_(True))).all()
    for line_user_id in coordinators:
        enqueue_replies(session, line_user_id, [replies.text(COORDINATOR_NOTICE)], now)
    log.error("bulk sends paused: LINE monthly limit", extra={"coordinators_told": len(coordinators)})
    return True


def resume_bulk(session: Session, now: dt.datetime) -> bool:
    """Lift the pause; returns whether there was one."""
    flag = session.get(SystemFlag, BULK_PAUSED)
    if flag is None or not flag.value.get("paused"):
        return False
    flag.value = {"paused": False, "resumed": now.isoformat()}
    flag.updated_at = now
    log.warning("bulk sends resumed")
    return True
