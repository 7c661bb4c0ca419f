"""Campaigns: information a coordinator or mentor sends to part of the programme, what it cost in LINE's
quota, and what recipients did with it (clicks per province, shares per person, muted tags).

A campaign is sent as bulk sends (models/bulk.py): one per province batch group, so the link each
recipient gets (/c/<token>?p=<province>) counts clicks by province without saying who clicked. Minors in
quiet hours get theirs in a second wave at the end of the quiet hours (`minors_due_at`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CampaignStatus:
    SCHEDULED = "scheduled"  # waiting for send_at; may be edited or cancelled
    SENDING = "sending"  # snapshotted (first wave); cannot be cancelled any more
    SENT = "sent"  # every wave snapshotted (delivery progress is counted from the outbox)
    CANCELLED = "cancelled"

    EDITABLE = (SCHEDULED,)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(1000))  # https, or the bot's own /campaign-images/...
    link_url: Mapped[str | None] = mapped_column(String(1000))  # http(s); recipients get /c/<link_token>
    tags: Mapped[list] = mapped_column(default=list)  # e.g. ["ยาเสพติด"]
    audience: Mapped[dict] = mapped_column(default=dict)  # see bot/campaigns.Audience
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.SCHEDULED)
    send_at: Mapped[dt.datetime] = mapped_column(index=True)
    minors_due_at: Mapped[dt.datetime | None]  # the quiet-hours wave for minors, when there is one
    link_token: Mapped[str] = mapped_column(String(24), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    recipient_count: Mapped[int] = mapped_column(default=0)  # at snapshot (estimate before)
    request_count: Mapped[int] = mapped_column(default=0)  # multicast requests
    quota_cost: Mapped[int] = mapped_column(default=0)  # messages counted against LINE's monthly quota

    __table_args__ = (Index("ix_campaigns_status_send_at", "status", "send_at"),)


class CampaignClick(Base):
    """Clicks on a campaign's link, counted per province and hour; nothing says who clicked."""

    __tablename__ = "campaign_clicks"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    province_code: Mapped[str] = mapped_column(String(8))  # "" when unknown (a forwarded link)
    hour: Mapped[dt.datetime]
    clicks: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("campaign_id", "province_code", "hour",
                                       name="uq_campaign_clicks_campaign_id_province_code_hour"),)


class CampaignShare(Base):
    """A youth said they shared the campaign or told people (once per campaign; counts on their record)."""

    __tablename__ = "campaign_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    province_code: Mapped[str | None] = mapped_column(String(8))
    at: Mapped[dt.datetime]

    __table_args__ = (UniqueConstraint("campaign_id", "user_id", name="uq_campaign_shares_campaign_id_user_id"),)


class UserTag(Base):
    """A tag a person chose to follow (`interest`) or muted ("not for me")."""

    __tablename__ = "user_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # "interest" or "muted"
    at: Mapped[dt.datetime]

    __table_args__ = (UniqueConstraint("user_id", "tag", name="uq_user_tags_user_id_tag"),
                      Index("ix_user_tags_tag_kind", "tag", "kind"))
