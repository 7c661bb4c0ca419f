"""Consent and the rights that come with it (PDPA): record who agreed to which notice, let a guardian
or mentor confirm for a child under 10, show a person what the bot holds, and erase it on request.

Erasing keeps the user row as an anonymous shell (no LINE id, no names, no places): records others must
keep acting on (reports, activity hours) still point at it but no longer say who it was. Webhook events
and sent messages of the person are scrubbed; messages not yet sent to them are cancelled.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import access, people
from models import (
    ActivityReminder,
    ActivityResponse,
    ConfirmedBy,
    Consent,
    ConsentKind,
    InboxEvent,
    OutboxMessage,
    OutboxStatus,
    ReminderStatus,
    User,
    UserStatus,
)

NOTICE_VERSION = "2026-11"  # change with the notice texts (handlers/privacy.py); stored with each consent
ERASED_ID_PREFIX = "erased:"


def notice_id(audience: str) -> str:
    """The id of the notice text a person was shown: audience ('youth', 'adult', 'guardian') and version."""
    return f"{audience}/{NOTICE_VERSION}"


def record_own_consent(session: Session, user: User, audience: str, now: dt.datetime) -> Consent:
    consent = Consent(user_id=user.id, kind=ConsentKind.SELF, notice_version=notice_id(audience), given_at=now,
                      confirmed_by=ConfirmedBy.SELF, confirmed_by_user_id=user.id, confirmed_at=now)
    session.add(consent)
    return consent


def record_guardian_consent(session: Session, child: User, name: str, relation: str, now: dt.datetime) -> Consent:
    """A guardian's consent as told by the child: it counts once the guardian (or the mentor) confirms."""
    consent = Consent(user_id=child.id, kind=ConsentKind.GUARDIAN, notice_version=notice_id("guardian"),
                      given_at=now, guardian_name=name, guardian_relation=relation)
    session.add(consent)
    child.status = UserStatus.PENDING_GUARDIAN
    return consent


def pending_guardian_consent(session: Session, child: User) -> Consent | None:
    query = select(Consent).where(Consent.user_id == child.id, Consent.kind == ConsentKind.GUARDIAN,
                                  Consent.confirmed_at.is_(None), Consent.withdrawn_at.is_(None))
    return session.scalars(query.order_by(Consent.id.desc())).first()


def confirm_guardian_consent(session: Session, child: User, by: User, confirmed_by: str,
                             now: dt.datetime) -> bool:
    """The guardian (their own LINE) or the child's mentor confirms; False if nothing was waiting."""
    consent = pending_guardian_consent(session, child)
    if consent is None or child.status != UserStatus.PENDING_GUARDIAN:
        return False
    consent.confirmed_by, consent.confirmed_by_user_id, consent.confirmed_at = confirmed_by, by.id, now
    child.status = UserStatus.ACTIVE
    people.audit(session, now, "consent.guardian_confirmed", by, child, confirmed_by=confirmed_by)
    return True


def current_consent(session: Session, user: User) -> Consent | None:
    query = select(Consent).where(Consent.user_id == user.id, Consent.withdrawn_at.is_(None))
    return session.scalars(query.order_by(Consent.id.desc())).first()


def erase(session: Session, user: User, now: dt.datetime) -> None:
    """Withdraw consent and erase the person's data; the caller has already queued their last reply."""
    line_user_id = user.line_user_id
    access.revoke_codes_of(session, user, now)
    for consent in session.scalars(select(Consent).where(Consent.user_id == user.id)):
        consent.withdrawn_at = consent.withdrawn_at or now
        consent.guardian_name = None
    for member in session.scalars(select(User).where(User.mentor_id == user.id)):
        member.mentor_id = None
    _scrub_events_and_messages(session, line_user_id, now)
    _forget_activity_traces(session, user)
    people.audit(session, now, "user.erased", user, user, role=user.role)
    _anonymise(user, now)


def _anonymise(user: User, now: dt.datetime) -> None:
    user.line_user_id = ERASED_ID_PREFIX + uuid.uuid4().hex
    user.status, user.deleted_at, user.is_following = UserStatus.DELETED, now, False
    user.nickname = user.community = user.school = None
    user.age_years = user.age_recorded_at = user.mentor_id = None
    user.last_active_at = user.followed_at = user.unfollowed_at = None


def _forget_activity_traces(session: Session, user: User) -> None:
    """No more reminders; where they checked in is erased (answers and confirmed hours stay, anonymous)."""
    session.execute(update(ActivityReminder).where(ActivityReminder.user_id == user.id,
                                                   ActivityReminder.status == ReminderStatus.PENDING)
                    .values(status=ReminderStatus.CANCELLED))
    session.execute(update(ActivityResponse).where(ActivityResponse.user_id == user.id)
                    .values(check_in_latitude=None, check_in_longitude=None, reminder_minutes=None))


def _scrub_events_and_messages(session: Session, line_user_id: str, now: dt.datetime) -> None:
    # every event of theirs, the one being handled and any still waiting too: those are then ignored
    session.execute(update(InboxEvent).where(InboxEvent.source_user_id == line_user_id)
                    .values(payload={"erased": True}, source_user_id=None))
    session.execute(update(OutboxMessage).where(OutboxMessage.to_id == line_user_id,
                                                OutboxMessage.status.in_(OutboxStatus.OPEN))
                    .values(status=OutboxStatus.FAILED, last_error="recipient erased their data", lease_until=None))
    session.execute(update(OutboxMessage).where(OutboxMessage.to_id == line_user_id)
                    .values(messages=[], to_id=None, reply_token=None))
