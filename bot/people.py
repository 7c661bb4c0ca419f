"""The programme's registry: who coordinates a province, who is in a mentor's group, who waits for a
mentor, and the moves between them (each one written to the audit log)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models import AuditEvent, Role, User, UserStatus

LIVE = (UserStatus.ACTIVE, UserStatus.PENDING_GUARDIAN)


def audit(session: Session, now: dt.datetime, action: str, actor: User | None = None,
          subject: User | None = None, **detail) -> None:
    """Record who did what to whom (ids and codes only, never message text)."""
    session.add(AuditEvent(at=now, action=action, actor_user_id=actor.id if actor else None,
                           subject_user_id=subject.id if subject else None, detail=detail))


def coordinators_of(session: Session, province_code: str | None) -> list[User]:
    """The province's coordinators, or the national ones when the province has none (or for None)."""
    base = select(User).where(User.role == Role.COORDINATOR, User.status == UserStatus.ACTIVE).order_by(User.id)
    if province_code is not None:
        local = list(session.scalars(base.where(User.province_code == province_code)))
        if local:
            return local
    return list(session.scalars(base.where(User.province_code.is_(None))))


def youth_of(session: Session, mentor: User) -> list[User]:
    """The mentor's group, in a stable order (nickname, then id) for numbered lists."""
    query = select(User).where(User.mentor_id == mentor.id, User.role == Role.YOUTH, User.status.in_(LIVE))
    return list(session.scalars(query.order_by(User.nickname, User.id)))


def unassigned_youth(session: Session, province_code: str | None) -> list[User]:
    """Youth waiting for a mentor: in `province_code`, or everywhere for a national coordinator (None)."""
    query = select(User).where(User.role == Role.YOUTH, User.mentor_id.is_(None), User.status.in_(LIVE))
    if province_code is not None:
        query = query.where(User.province_code == province_code)
    return list(session.scalars(query.order_by(User.registered_at, User.id)))


@dataclass(frozen=True)
class MentorSummary:
    mentor: User
    youth_count: int


def mentors_in(session: Session, province_code: str | None) -> list[MentorSummary]:
    """Mentors of a province (all for None) with the size of their group."""
    youth = aliased(User)
    counts = (select(youth.mentor_id, func.count().label("n")).where(youth.role == Role.YOUTH, youth.status.in_(LIVE))
              .group_by(youth.mentor_id).subquery())
    query = (select(User, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.mentor_id == User.id)
             .where(User.role == Role.MENTOR, User.status == UserStatus.ACTIVE))
    if province_code is not None:
        query = query.where(User.province_code == province_code)
    rows = session.execute(query.order_by(User.nickname, User.id)).all()
    return [MentorSummary(mentor, count) for mentor, count in rows]


def assign(session: Session, youth: User, mentor: User, now: dt.datetime, actor: User | None = None) -> None:
    """Put a youth in a mentor's group (a youth follows their mentor's province)."""
    previous = youth.mentor_id
    youth.mentor_id, youth.province_code = mentor.id, mentor.province_code
    audit(session, now, "youth.assigned", actor or youth, youth, mentor_id=mentor.id, previous_mentor_id=previous)


def remove_from_group(session: Session, youth: User, now: dt.datetime, actor: User) -> None:
    """Take a youth out of their mentor's group: they wait with the province's coordinators again."""
    previous = youth.mentor_id
    youth.mentor_id = None
    audit(session, now, "youth.removed_from_group", actor, youth, previous_mentor_id=previous)


def set_role(session: Session, user: User, role: str | None, province_code: str | None, now: dt.datetime,
             actor: User | None = None) -> None:
    """Change a person's role (an admin's decision); a youth's group is left when they stop being youth."""
    previous = (user.role, user.province_code)
    user.role, user.province_code = role, province_code
    if role != Role.YOUTH:
        user.mentor_id = None
    if role != Role.MENTOR:
        for member in session.scalars(select(User).where(User.mentor_id == user.id)):
            member.mentor_id = None
    audit(session, now, "user.role_changed", actor, user, role=role, province=province_code,
          previous_role=previous[0], previous_province=previous[1])
