"""How a report reaches people and climbs when nobody acts (PagerDuty's escalation chain, for a child).

```mermaid
flowchart LR
  open[report sent] -->|mentor reachable| mentor[card to mentor, deadline set]
  open -->|no mentor / blocked| l1
  mentor -->|no acknowledgement by deadline| l1[level 1: province coordinators + mentor reminded]
  l1 -->|still nobody| l2[level 2: national coordinators]
  l2 -->|still nobody| l3[level 3: everyone once more]
  mentor & l1 & l2 & l3 -->|acknowledge / note / hand over / close| acted[deadline cleared]
```

Deadlines: urgent 15 minutes, normal 24 hours (REPORT_ACK_URGENT_MINUTES, REPORT_ACK_HOURS), counted from
each step; quiet hours never delay them. Each level is a timeline row with a unique key per report, so a
sweep that runs twice, or two sweeps at once, notify nobody twice. The sweep climbs reports in batches of
500 (one query each for the people, photos, timeline rows and outbox rows of a batch) and at most
MAX_PER_RUN per run, so a backlog after downtime drains over a few runs instead of one long transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bot import people, report_cards
from bot.config import Settings
from bot.outbox import push_to
from bot.replies import as_dicts
from bot.reports import EventKind, ack_window, add_event, mentor_of, reachable
from bot.scheduler import Job, register
from models import OutboxKind, OutboxMessage, Report, ReportEvent, ReportPhoto, ReportStatus, Role, User
from models.db import dialect_insert

log = logging.getLogger("bot.escalation")

MAX_LEVEL = 3  # 1 province, 2 national, 3 everyone once more; after that the report shows as overdue
SWEEP_BATCH = 500
MAX_PER_RUN = 2000


def route(session: Session, report: Report, now: dt.datetime, settings: Settings) -> None:
    """Send a new report to its mentor with a deadline, or straight up the ladder when nobody can take it."""
    mentor = mentor_of(session, report)
    if reachable(mentor):
        push_to(session, [mentor], report_cards.staff_card(session, report, 0, settings.tz), now)
        add_event(session, report, now, EventKind.SENT_TO_MENTOR, key="level:0", notified=[mentor.id])
        report.next_escalation_at = now + ack_window(report, settings)
        return
    reason = "no_mentor" if mentor is None else "mentor_unreachable"
    add_event(session, report, now, EventKind.MENTOR_UNREACHABLE, reason=reason)
    escalate(session, report, now, settings)


def escalate(session: Session, report: Report, now: dt.datetime, settings: Settings) -> bool:
    """Climb one level now: notify that level, remind the mentor, set the next deadline. False (and nothing
    sent) when another sweep already took this level."""
    return climb(session, [report], now, settings, Coordinators(session)) == 1


def escalate_waiting_on(session: Session, mentor: User, now: dt.datetime, settings: Settings) -> int:
    """A mentor blocked the bot: their reports still waiting for them go up the ladder now, not at the deadline."""
    query = select(Report).where(Report.mentor_id == mentor.id, Report.status == ReportStatus.OPEN,
                                 Report.escalation_level == 0).with_for_update()
    waiting = list(session.scalars(query))
    for report in waiting:
        add_event(session, report, now, EventKind.MENTOR_UNREACHABLE, reason="mentor_blocked")
    return climb(session, waiting, now, settings, Coordinators(session)) if waiting else 0


def sweep(session: Session, now: dt.datetime, settings: Settings) -> int:
    """The scheduled job: climb one level for open reports whose deadline passed (at most MAX_PER_RUN)."""
    coordinators, climbed = Coordinators(session), 0
    for _ in range(MAX_PER_RUN // SWEEP_BATCH):
        due = due_for_escalation(session, now, SWEEP_BATCH)
        climbed += climb(session, due, now, settings, coordinators)
        if len(due) < SWEEP_BATCH:
            break
    return climbed


def due_for_escalation(session: Session, now: dt.datetime, limit: int) -> list[Report]:
    """Open reports whose deadline passed, oldest deadline first, locked (skipping ones another sweep holds)."""
    query = (select(Report).where(Report.next_escalation_at <= now, Report.status == ReportStatus.OPEN)
             .order_by(Report.next_escalation_at, Report.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


@dataclass
class Coordinators:
    """Coordinators per province (None: national), read once per sweep."""

    session: Session
    _by_province: dict[str | None, list[User]] = field(default_factory=dict)

    def of(self, province_code: str | None) -> list[User]:
        if province_code not in self._by_province:
            self._by_province[province_code] = people.coordinators_of(self.session, province_code)
        return self._by_province[province_code]

    def at_level(self, report: Report, level: int) -> list[User]:
        """The province's coordinators (national ones if it has none), then the national ones, then both."""
        province, national = self.of(report.province_code), self.of(None)
        chosen = {1: province, 2: national}.get(level, province + national)
        return [user for user in {user.id: user for user in chosen}.values() if reachable(user)]


def climb(session: Session, reports: Sequence[Report], now: dt.datetime, settings: Settings,
          coordinators: Coordinators) -> int:
    """Take each report one level up, in a few statements for the whole batch; returns how many climbed."""
    if not reports:
        return 0
    with session.no_autoflush:
        plan = {report.id: coordinators.at_level(report, report.escalation_level + 1) for report in reports}
        taken = _claim_levels(session, reports, plan, now)
        people_by_id, photo_counts = _load_card_data(session, reports)
        rows = []
        for report in reports:
            level = report.escalation_level + 1
            report.escalation_level = level  # caught up even when another sweep took this level
            report.next_escalation_at = now + ack_window(report, settings) if level < MAX_LEVEL else None
            if report.id in taken:
                report.updated_at = now
                rows += _notifications(report, level, plan[report.id], people_by_id, photo_counts, now, settings)
                _log(report, level, plan[report.id])
        if rows:
            session.execute(insert(OutboxMessage), rows)
    session.flush()
    return len(taken)


def _claim_levels(session: Session, reports: Sequence[Report], plan: dict, now: dt.datetime) -> set[int]:
    """Insert each report's "escalated to level n" row; the ids of the reports whose row is new."""
    rows = [{"report_id": report.id, "at": now, "actor_id": None, "kind": EventKind.ESCALATED, "note": None,
             "key": f"level:{report.escalation_level + 1}",
             "detail": {"level": report.escalation_level + 1, "notified": [user.id for user in plan[report.id]]}}
            for report in reports]
    statement = (dialect_insert(session, ReportEvent)
                 .on_conflict_do_nothing(index_elements=[ReportEvent.report_id, ReportEvent.key])
                 .returning(ReportEvent.report_id))
    return set(session.scalars(statement, rows))


def _load_card_data(session: Session, reports: Sequence[Report]) -> tuple[dict[int, User], dict[int, int]]:
    ids = [report.id for report in reports]
    user_ids = {report.reporter_id for report in reports} | {report.mentor_id for report in reports}
    users = {user.id: user for user in session.scalars(select(User).where(User.id.in_(user_ids - {None})))}
    counts = dict(session.execute(select(ReportPhoto.report_id, func.count()).where(ReportPhoto.report_id.in_(ids))
                                  .group_by(ReportPhoto.report_id)).all())
    return users, counts


def _notifications(report: Report, level: int, recipients: list[User], users: dict[int, User],
                   photo_counts: dict[int, int], now: dt.datetime, settings: Settings) -> list[dict]:
    """Outbox rows: the card to this level's people, a reminder to the mentor who still has it."""
    card = report_cards.card_json(report, level, settings.tz, users.get(report.reporter_id),
                                  users.get(report.mentor_id), photo_counts.get(report.id, 0))
    rows = [_push_row(user, [card], now) for user in recipients]
    mentor = users.get(report.mentor_id)
    if mentor is not None and mentor.role == Role.MENTOR and reachable(mentor) and mentor not in recipients:
        rows.append(_push_row(mentor, as_dicts([report_cards.mentor_reminder(report, level)]), now))
    return rows


def _push_row(user: User, messages: list[dict], now: dt.datetime) -> dict:
    return {"kind": OutboxKind.PUSH, "to_id": user.line_user_id, "messages": messages, "created_at": now,
            "next_attempt_at": now}


def _log(report: Report, level: int, recipients: list[User]) -> None:
    if recipients:
        log.info("report escalated", extra={"report_id": report.id, "level": level, "notified": len(recipients)})
    else:
        log.warning("report escalated to nobody: no reachable coordinator",
                    extra={"report_id": report.id, "level": level})


register(Job("report-escalation", dt.timedelta(seconds=30), sweep, needs_settings=True))
