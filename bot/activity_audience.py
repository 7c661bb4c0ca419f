"""Who an activity is for, who may create and manage it, and how its people are told.

An activity's audience is a campaign's (bot/campaign_audience.Audience: a mentor's group, some provinces or
everyone), always youth. Invitations go to youth of the audience who follow the bot, are active and take
activity news (`notify_activities`); answering needs only being in the audience (so a youth who left the
group can no longer join). Creating follows the campaign rules (`may_send`): mentors their own group,
provincial coordinators their province, national coordinators and admins anyone. Managing (change,
cancel, attendance, hours): the creator, the group's mentor, the coordinators of its province, national
coordinators and admins.

Invitations are one multicast snapshot (bot/bulk.py). In quiet hours adults get theirs at once and minors'
batches wait in the outbox until the quiet hours end (dropped if the activity is cancelled before, showing
the new time or place if it changes); notices to people who answered go through
`quiet.push_considerate`, sent at once at night only when the activity would start before morning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from linebot.v3.messaging import Message
from sqlalchemy import Select, delete, exists, not_, or_, select, update
from sqlalchemy.orm import Session

from bot import activity_cards, bulk
from bot.campaign_audience import INTEREST, Audience, may_send, minor_condition
from bot.config import Settings
from bot.quiet import push_considerate, quiet_until
from bot.replies import as_dicts
from models import Activity, BulkSend, OutboxMessage, OutboxStatus, Role, User, UserStatus, UserTag

LATER = " (หลังช่วงเวลาพัก)"  # the title's end of a bulk send of invitations held for minors


def audience_of(activity: Activity) -> Audience:
    """The audience stored on an activity."""
    return Audience.from_dict(activity.audience or {})


def may_create(actor: User | None, audience: Audience) -> str | None:
    """None if `actor` may create an activity for `audience`, else the Thai reason (the campaign rules)."""
    reason = may_send(actor, audience)
    if reason is None:
        return None
    return reason.replace("ส่งแคมเปญ", "สร้างกิจกรรม").replace("แคมเปญ", "กิจกรรม")


def may_manage(actor: User | None, activity: Activity) -> bool:
    """Its creator, the mentor of its group, coordinators of its province, national coordinators, admins."""
    if actor is None or actor.status != UserStatus.ACTIVE:
        return False
    if actor.id == activity.created_by_id or actor.role == Role.ADMIN:
        return True
    if actor.role == Role.MENTOR:
        return audience_of(activity).mentor_id == actor.id
    if actor.role == Role.COORDINATOR:
        return actor.province_code is None or actor.province_code == activity.province_code
    return False


def place_province(session: Session, audience: Audience) -> str | None:
    """The province an activity happens in: its one province, or its group's mentor's (None: several)."""
    if audience.mentor_id is not None:
        mentor = session.get(User, audience.mentor_id)
        return mentor.province_code if mentor is not None else None
    if audience.provinces is not None and len(audience.provinces) == 1:
        return audience.provinces[0]
    return None


def member_conditions(audience: Audience) -> list:
    """SQL: active youth of the audience (place or group, interests), whether or not they take news."""
    conditions = [User.status == UserStatus.ACTIVE, User.role == Role.YOUTH]
    if audience.provinces is not None:
        conditions.append(User.province_code.in_(audience.provinces))
    if audience.mentor_id is not None:
        conditions.append(User.mentor_id == audience.mentor_id)
    if audience.interest_tags:
        conditions.append(exists().where(UserTag.user_id == User.id, UserTag.kind == INTEREST,
                                         UserTag.tag.in_(list(audience.interest_tags))))
    return conditions


def invitee_select(activity: Activity) -> Select:
    """LINE user ids of the people to invite: members who follow the bot and take activity news."""
    return (select(User.line_user_id)
            .where(*member_conditions(audience_of(activity)), User.is_following.is_(True),
                   User.notify_activities.is_(True))
            .order_by(User.id))


def includes(session: Session, activity: Activity, user: User) -> bool:
    """Whether `user` is (still) one of the activity's audience: active youth of its place or group."""
    audience = audience_of(activity)
    if user.status != UserStatus.ACTIVE or user.role != Role.YOUTH:
        return False
    tags = {}
    if audience.interest_tags:
        tags = dict(session.execute(select(UserTag.tag, UserTag.kind).where(UserTag.user_id == user.id)).all())
    return audience.includes(user, tags, ())


def invite(session: Session, activity: Activity, now: dt.datetime, settings: Settings) -> int:
    """Queue the invitation card for the audience; in quiet hours minors' batches wait until they end.
    Returns how many people were invited."""
    card = [activity_cards.invite_card(activity, settings)]
    title = _invite_title(activity)
    everyone = invitee_select(activity)
    quiet_end = quiet_until(now, settings)
    if quiet_end is None:
        return bulk.snapshot(session, title, card, everyone, now, activity.created_by_id).recipient_total or 0
    youth_now = everyone.where(not_(minor_condition(now)))
    invited = bulk.snapshot(session, title, card, youth_now, now, activity.created_by_id).recipient_total or 0
    minors = everyone.where(minor_condition(now))
    if session.scalar(select(minors.order_by(None).exists())):
        later = bulk.snapshot(session, title + LATER, card, minors, now, activity.created_by_id)
        session.execute(update(OutboxMessage).where(OutboxMessage.bulk_send_id == later.id)
                        .values(next_attempt_at=quiet_end))
        invited += later.recipient_total or 0
    return invited


def _invite_title(activity: Activity) -> str:
    return f"กิจกรรม {activity.id}: {activity.title}"


def _waiting_invites(activity: Activity, now: dt.datetime) -> Select:
    """The bulk sends of the activity's invitations held for minors until the quiet hours end, untouched."""
    prefix = f"กิจกรรม {activity.id}:"
    sent_or_due = exists().where(OutboxMessage.bulk_send_id == BulkSend.id, or_(
        OutboxMessage.status != OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now))
    return select(BulkSend.id).where(BulkSend.title.startswith(prefix, autoescape=True),
                                     BulkSend.title.endswith(LATER, autoescape=True), not_(sent_or_due))


def withdraw_invites(session: Session, activity: Activity, now: dt.datetime) -> None:
    """Drop invitations still waiting for the quiet hours to end (the activity was cancelled)."""
    waiting = list(session.scalars(_waiting_invites(activity, now)))
    if waiting:
        session.execute(delete(OutboxMessage).where(OutboxMessage.bulk_send_id.in_(waiting)))
        session.execute(delete(BulkSend).where(BulkSend.id.in_(waiting)))


def refresh_invites(session: Session, activity: Activity, now: dt.datetime, settings: Settings) -> None:
    """Invitations still waiting for the quiet hours to end show the activity as it is now (it changed)."""
    waiting = list(session.scalars(_waiting_invites(activity, now)))
    if waiting:
        card = as_dicts([activity_cards.invite_card(activity, settings)])
        session.execute(update(OutboxMessage).where(OutboxMessage.bulk_send_id.in_(waiting)).values(messages=card))


def tell(session: Session, users: Iterable[User], messages: Sequence[Message], now: dt.datetime,
         settings: Settings, before: dt.datetime) -> int:
    """Push `messages` to each user who can get them; a minor in quiet hours gets them in the morning,
    or at once when the activity (`before`) comes first. Returns how many were told."""
    quiet_end = quiet_until(now, settings)
    urgent = quiet_end is not None and quiet_end >= before
    return sum(1 for user in users if push_considerate(session, user, messages, now, settings, urgent=urgent))
