"""What a campaign did, counted from the rows that record it (never kept twice): delivery progress from its
bulk sends' outbox rows, clicks from the counting redirect, shares from what youth reported, and what it
cost in LINE's monthly quota. Read by the sender in LINE ("สรุปผล") and later in the console.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.bulk import Progress
from models import BulkSend, Campaign, CampaignClick, CampaignShare, OutboxMessage, OutboxStatus

SHARED_LINK = "share"  # the province code of clicks on links that were shared onward
UNKNOWN = ""  # clicks whose link said no (valid) province


@dataclass(frozen=True)
class Figures:
    """One campaign's figures; `*_by_province` are (province code, count), largest first ("share" = a link
    passed on with LINE's share button, "" = unknown)."""

    status: str
    recipients: int  # snapshotted so far (the estimate before the send starts)
    minors_due_at: dt.datetime | None  # minors still to get it when the quiet hours end
    batches_sent: int
    batches_failed: int
    batches_queued: int
    recipients_sent: int
    recipients_failed: int
    recipients_queued: int
    clicks: int
    clicks_by_province: list[tuple[str, int]]
    shares: int
    shares_by_province: list[tuple[str, int]]
    quota_cost: int  # messages counted against LINE's monthly quota: recipients of accepted batches


def _outbox_totals(session: Session, campaign: Campaign) -> dict[str, tuple[int, int]]:
    """status -> (batches, recipients) over the campaign's bulk sends (one grouped query)."""
    bulk_ids = select(BulkSend.id).where(BulkSend.campaign_id == campaign.id)
    rows = session.execute(
        select(OutboxMessage.status, func.count(), func.coalesce(func.sum(OutboxMessage.recipient_count), 0))
        .where(OutboxMessage.bulk_send_id.in_(bulk_ids)).group_by(OutboxMessage.status)
    ).all()
    return {status: (batches, recipients) for status, batches, recipients in rows}


def _summed(totals: dict[str, tuple[int, int]], statuses: Iterable[str], index: int) -> int:
    return sum(totals.get(status, (0, 0))[index] for status in statuses)


FAILED = (OutboxStatus.FAILED, OutboxStatus.DEAD)


def progress(session: Session, campaign: Campaign) -> Progress:
    """Recipients of all the campaign's bulk sends by the state of their batch (queued / sent / failed),
    as bot.bulk.progress counts one bulk send."""
    totals = _outbox_totals(session, campaign)
    return Progress(queued=_summed(totals, OutboxStatus.OPEN, 1), sent=_summed(totals, (OutboxStatus.SENT,), 1),
                    failed=_summed(totals, FAILED, 1))


def figures(session: Session, campaign: Campaign) -> Figures:
    totals = _outbox_totals(session, campaign)
    clicks = _by_province(session, select(CampaignClick.province_code, func.sum(CampaignClick.clicks))
                          .where(CampaignClick.campaign_id == campaign.id).group_by(CampaignClick.province_code))
    shares = _by_province(session, select(CampaignShare.province_code, func.count())
                          .where(CampaignShare.campaign_id == campaign.id).group_by(CampaignShare.province_code))
    sent = _summed(totals, (OutboxStatus.SENT,), 1)
    return Figures(
        status=campaign.status, recipients=campaign.recipient_count, minors_due_at=campaign.minors_due_at,
        batches_sent=_summed(totals, (OutboxStatus.SENT,), 0), batches_failed=_summed(totals, FAILED, 0),
        batches_queued=_summed(totals, OutboxStatus.OPEN, 0), recipients_sent=sent,
        recipients_failed=_summed(totals, FAILED, 1), recipients_queued=_summed(totals, OutboxStatus.OPEN, 1),
        clicks=sum(count for _, count in clicks), clicks_by_province=clicks,
        shares=sum(count for _, count in shares), shares_by_province=shares, quota_cost=sent)


def _by_province(session: Session, query) -> list[tuple[str, int]]:
    rows = [(code or UNKNOWN, int(count)) for code, count in session.execute(query).all()]
    merged: dict[str, int] = {}
    for code, count in rows:
        merged[code] = merged.get(code, 0) + count
    return sorted(merged.items(), key=lambda item: (-item[1], item[0]))
