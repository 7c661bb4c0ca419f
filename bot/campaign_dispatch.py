"""The dispatch job ("campaign-dispatch", every 30 s): campaigns whose send time came are started under a
row lock (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), so two runs at once start each
one once. Permission is checked again; then each wave is snapshotted into one bulk send per province.

Outside quiet hours one wave takes everyone. Inside them adults get it at once and `minors_due_at` is set to
the end of the quiet hours, when a later run sends the minors' wave (their age judged at the start, so
nobody falls between the waves). A send refused at send time is cancelled (or its minors' wave dropped),
written to the audit log, and the sender told.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import bulk, campaign_cards, replies
from bot.campaign_audience import Audience, audience_of, audience_select, may_send
from bot.config import Settings
from bot.outbox import push_to
from bot.people import audit
from bot.quiet import quiet_until
from bot.scheduler import Job, register
from models import BulkSend, Campaign, CampaignStatus, User

log = logging.getLogger("bot.campaigns")

DISPATCH_BATCH = 10  # campaigns started per run; the rest wait for the next run (30 s)
REFUSED_AT_SEND = "แคมเปญ “{title}” ไม่ได้ส่งค่ะ: {reason}"


def dispatch_due(session: Session, now: dt.datetime, settings: Settings) -> int:
    """The scheduled job: start every campaign whose send time came (locked, so two runs at once start each
    one once), then send the minors' waves whose quiet hours ended. Returns the number of waves sent."""
    waves = 0
    for campaign in _due(session, now, first_wave=True):
        waves += _start(session, campaign, now, settings)
    for campaign in _due(session, now, first_wave=False):
        waves += _minors_wave(session, campaign, now, settings)
    return waves


register(Job("campaign-dispatch", dt.timedelta(seconds=30), dispatch_due, needs_settings=True))


def _due(session: Session, now: dt.datetime, first_wave: bool) -> list[Campaign]:
    if first_wave:
        query = select(Campaign).where(Campaign.status == CampaignStatus.SCHEDULED, Campaign.send_at <= now)
        query = query.order_by(Campaign.send_at, Campaign.id)
    else:
        query = select(Campaign).where(Campaign.status == CampaignStatus.SENDING, Campaign.minors_due_at <= now)
        query = query.order_by(Campaign.minors_due_at, Campaign.id)
    query = query.limit(DISPATCH_BATCH)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def _start(session: Session, campaign: Campaign, now: dt.datetime, settings: Settings) -> int:
    sender = session.get(User, campaign.created_by_id) if campaign.created_by_id else None
    audience = audience_of(campaign)
    reason = may_send(sender, audience)
    if reason is not None:
        campaign.status, campaign.cancelled_at, campaign.updated_at = CampaignStatus.CANCELLED, now, now
        _refused(session, campaign, sender, reason, now, "campaign.refused_at_send")
        return 0
    campaign.status, campaign.started_at, campaign.updated_at = CampaignStatus.SENDING, now, now
    campaign.recipient_count = campaign.request_count = campaign.quota_cost = 0
    quiet_end = quiet_until(now, settings)
    minors_later = quiet_end is not None and _has_minors(session, audience, campaign.tags, now)
    _send_wave(session, campaign, audience, now, now, settings, minors=False if minors_later else None)
    if minors_later:
        campaign.minors_due_at = quiet_end
    else:
        campaign.status = CampaignStatus.SENT
    audit(session, now, "campaign.started", sender, campaign_id=campaign.id, recipients=campaign.recipient_count,
          minors_due_at=quiet_end.isoformat() if minors_later else None)
    return 1


def _minors_wave(session: Session, campaign: Campaign, now: dt.datetime, settings: Settings) -> int:
    sender = session.get(User, campaign.created_by_id) if campaign.created_by_id else None
    audience = audience_of(campaign)
    campaign.status, campaign.minors_due_at, campaign.updated_at = CampaignStatus.SENT, None, now
    reason = may_send(sender, audience)
    if reason is not None:
        _refused(session, campaign, sender, reason, now, "campaign.minors_wave_refused")
        return 0
    before = campaign.recipient_count
    _send_wave(session, campaign, audience, campaign.started_at or now, now, settings, minors=True)
    audit(session, now, "campaign.minors_wave", sender, campaign_id=campaign.id,
          recipients=campaign.recipient_count - before)
    return 1


def _send_wave(session: Session, campaign: Campaign, audience: Audience, age_at: dt.datetime, now: dt.datetime,
               settings: Settings, minors: bool | None) -> list[BulkSend]:
    """One bulk send per province of the audience (ages judged at `age_at`), in one streamed query by id
    (no sort); the counts are added to the campaign's."""
    selected = (audience_select(audience, campaign.tags, age_at, minors).add_columns(User.province_code)
                .order_by(None).order_by(User.id))
    sends = bulk.snapshot_grouped(session, f"แคมเปญ {campaign.id}: {campaign.title}",
                                  ProvinceMessages(campaign, settings), selected, now,
                                  created_by_user_id=campaign.created_by_id, campaign_id=campaign.id)
    recipients, requests = sum(send.recipient_total for send in sends), sum(send.batch_count for send in sends)
    campaign.recipient_count += recipients
    campaign.request_count += requests
    campaign.quota_cost = campaign.recipient_count  # LINE: requests x recipients of each request
    wave = {None: "everyone", False: "adults", True: "minors"}[minors]
    log.info("campaign wave queued", extra={"campaign_id": campaign.id, "wave": wave, "recipients": recipients,
                                            "requests": requests, "provinces": len(sends)})
    return sends


class ProvinceMessages:
    """The campaign's messages for recipients of one province, as LINE JSON. Building the Flex card takes
    milliseconds and 77 provinces differ only in the province of the counting link, so the card is built
    once and the link's province replaced; the first province is checked against a real build, and if
    they differ (the card changed) the card is built for every province."""

    def __init__(self, campaign: Campaign, settings: Settings):
        self.campaign, self.settings = campaign, settings
        self.template = json.dumps(self._built(None), ensure_ascii=False)
        self.marker = f'/c/{campaign.link_token}?p="'
        self.trusted: bool | None = None  # None until checked on the first province

    def __call__(self, province_code: str | None) -> list[dict]:
        if province_code is None:
            return json.loads(self.template)
        if self.trusted is False:
            return self._built(province_code)
        fast = json.loads(self.template.replace(self.marker, self.marker[:-1] + f'{province_code or ""}"'))
        if self.trusted is None:
            built = self._built(province_code)
            self.trusted = fast == built
            return built
        return fast

    def _built(self, province_code: str | None) -> list[dict]:
        return replies.as_dicts(campaign_cards.recipient_messages(self.campaign, self.settings, province_code))


def _has_minors(session: Session, audience: Audience, tags: Sequence[str], now: dt.datetime) -> bool:
    return bool(session.scalar(select(audience_select(audience, tags, now, minors=True).order_by(None).exists())))


def _refused(session: Session, campaign: Campaign, sender: User | None, reason: str, now: dt.datetime,
             action: str) -> None:
    """Write down why a send was refused at send time, and tell the sender (if they can still hear it)."""
    audit(session, now, action, None, sender, campaign_id=campaign.id, reason=reason)
    log.warning("campaign refused at send time", extra={"campaign_id": campaign.id, "action": action})
    if sender is not None:
        push_to(session, [sender], [replies.text(REFUSED_AT_SEND.format(title=campaign.title, reason=reason))], now)
