"""What a youth (or mentor) does with campaigns: says they shared one ("บอกต่อแล้ว", once per campaign, on
their volunteer record), mutes its tags ("ไม่ใช่เรื่องที่สนใจ"), picks tags of interest, and asks for the
latest campaigns of their area.

A tag is either an interest or muted for a person (one `UserTag` row per person and tag): muting replaces an
interest and the other way round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.campaign_audience import INTEREST, MUTED, audience_of
from bot.campaign_input import clean_tags
from bot.textinput import Refused
from models import Campaign, CampaignShare, CampaignStatus, User, UserTag
from models.db import dialect_insert

LATEST_WINDOW = dt.timedelta(days=30)
LATEST_CANDIDATES = 200  # recent campaigns looked at in Python for one person


def record_share(session: Session, campaign: Campaign, user: User, now: dt.datetime) -> bool:
    """Count that `user` shared or told people about a campaign that was sent: True the first time only."""
    if campaign.status not in (CampaignStatus.SENDING, CampaignStatus.SENT):
        return False
    statement = (dialect_insert(session, CampaignShare)
                 .values(campaign_id=campaign.id, user_id=user.id, province_code=user.province_code, at=now)
                 .on_conflict_do_nothing(index_elements=[CampaignShare.campaign_id, CampaignShare.user_id])
                 .returning(CampaignShare.id))
    return session.execute(statement).scalar_one_or_none() is not None


def mute_tags(session: Session, user: User, tags: Iterable[str], now: dt.datetime) -> list[str]:
    """"Not for me": campaigns with any of these tags no longer reach `user` (an interest in them is replaced).
    Returns the tags muted."""
    cleaned = clean_tags(tags)
    for tag in cleaned:
        _set_tag(session, user, tag, MUTED, now)
    return cleaned


def set_interest(session: Session, user: User, tag: str, now: dt.datetime) -> str:
    """`user` follows `tag` (replacing a mute): audiences limited to that interest include them. Returns the tag."""
    cleaned = clean_tags([tag])
    if not cleaned:
        raise Refused("ขอชื่อเรื่องที่สนใจด้วยค่ะ เช่น ยาเสพติด")
    _set_tag(session, user, cleaned[0], INTEREST, now)
    return cleaned[0]


def tags_of(session: Session, user: User) -> dict[str, str]:
    """The person's tags: tag -> "interest" or "muted"."""
    return dict(session.execute(select(UserTag.tag, UserTag.kind).where(UserTag.user_id == user.id)).all())


def _set_tag(session: Session, user: User, tag: str, kind: str, now: dt.datetime) -> None:
    statement = dialect_insert(session, UserTag).values(user_id=user.id, tag=tag, kind=kind, at=now)
    session.execute(statement.on_conflict_do_update(index_elements=[UserTag.user_id, UserTag.tag],
                                                    set_={"kind": kind, "at": now}))


def latest_for(session: Session, user: User, now: dt.datetime, limit: int = 5) -> list[Campaign]:
    """Campaigns sent in the last 30 days whose audience includes this person (role, province or group,
    interests; not their muted tags), newest first."""
    query = (select(Campaign).where(Campaign.status.in_((CampaignStatus.SENDING, CampaignStatus.SENT)),
                                    Campaign.started_at >= now - LATEST_WINDOW)
             .order_by(Campaign.started_at.desc(), Campaign.id.desc()).limit(LATEST_CANDIDATES))
    own_tags = tags_of(session, user)
    found = []
    for campaign in session.scalars(query):
        if audience_of(campaign).includes(user, own_tags, campaign.tags or []):
            found.append(campaign)
            if len(found) == limit:
                break
    return found
