"""Campaigns: a coordinator or mentor schedules information for part of the programme; the dispatch job
snapshots its audience into multicast batches at the send time; figures count what happened. The LINE
conversation (handlers/campaign.py) and the console call these inside their own transaction.

```mermaid
stateDiagram-v2
    [*] --> scheduled: schedule (checked, permitted, estimated)
    scheduled --> scheduled: edit
    scheduled --> cancelled: cancel, or refused at send time
    scheduled --> sending: send_at reached, quiet hours: adults now
    scheduled --> sent: send_at reached, outside quiet hours: everyone now
    sending --> sent: quiet hours over: minors' wave (minors_due_at)
```

Each wave is one bulk send per province (bot/bulk.py), so each recipient's link says their province
(/c/<token>?p=<code>) and clicks are counted by province without saying who clicked. A minor (under 18, or
of unknown age) never gets a campaign in quiet hours: a send that falls in them goes to adults at once and to
minors when the quiet hours end, their age judged at the start so nobody falls between the waves.
Permission is checked when scheduling, on every edit and again at each wave; a send refused then is
cancelled (or its minors' wave dropped), written to the audit log, and the sender told.

This module holds the lifecycle (schedule, edit, cancel). Inputs are checked in bot/campaign_input.py,
audiences in bot/campaign_audience.py, the dispatch job is bot/campaign_dispatch.py, figures are in
bot/campaign_figures.py, what youth do in bot/campaign_people.py; all of it is re-exported here.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.campaign_audience import (  # noqa: F401 (re-exported)
    Audience,
    Estimate,
    audience_of,
    audience_select,
    describe,
    estimate,
    may_send,
    province_counts,
)
from bot.campaign_dispatch import ProvinceMessages, dispatch_due  # noqa: F401 (re-exported; registers the job)
from bot.campaign_figures import Figures, Progress, figures, progress  # noqa: F401 (re-exported)
from bot.campaign_input import (  # noqa: F401 (re-exported)
    LATE_GRACE,
    Refused,
    check_send_time,
    clean_body,
    clean_image_url,
    clean_link,
    clean_tags,
    clean_title,
    parse_send_time,
    parse_tags,
    store_campaign_image,
)
from bot.campaign_people import latest_for, mute_tags, record_share, set_interest, tags_of  # noqa: F401
from bot.config import Settings
from bot.people import audit
from bot.thai import BANGKOK
from models import Campaign, CampaignStatus, User

EDITABLE_FIELDS = frozenset({"title", "body", "link_url", "image_url", "tags", "audience", "send_at"})
SAME_CONFIRM_WINDOW = dt.timedelta(minutes=10)  # an identical campaign from the same sender: the same confirm

NOBODY = ("กลุ่มนี้ยังไม่มีผู้รับเลยค่ะ (ต้องเป็นคนที่ติดตามบอทและเปิดรับข่าวแคมเปญ) "
          "ลองเลือกจังหวัด กลุ่ม หรือบทบาทอื่นนะคะ")
STARTED_NO_CANCEL = "แคมเปญเริ่มส่งแล้ว ยกเลิกไม่ได้"
STARTED_NO_EDIT = "แคมเปญเริ่มส่งแล้ว แก้ไขไม่ได้ค่ะ"
CANCELLED_ALREADY = "แคมเปญนี้ถูกยกเลิกไปแล้วค่ะ"


def schedule(session: Session, sender: User, *, title: str, body: str, link_url: str | None = None,
             image_url: str | None = None, tags: Sequence[str] = (), audience: Audience, send_at: dt.datetime,
             now: dt.datetime, settings: Settings | None = None) -> Campaign:
    """A new scheduled campaign: inputs checked, the sender's permission checked, the audience estimated
    (refused when it selects nobody), a random link token, an audit entry. The same campaign confirmed
    again by the same sender within ten minutes (same fields, audience and send time, or "now" both
    times) returns the first one instead of a second, whatever became of it since."""
    tz = settings.tz if settings else BANGKOK
    fields = clean_fields(dict(title=title, body=body, link_url=link_url, image_url=image_url, tags=tags), settings)
    send_at = check_send_time(send_at, now, tz)
    _require_permission(sender, audience)
    plan = _checked_estimate(session, audience, fields["tags"], now)
    earlier = _same_recent_campaign(session, sender, fields, audience, send_at, now)
    if earlier is not None:
        return earlier
    campaign = Campaign(**fields, audience=audience.to_dict(), send_at=send_at, status=CampaignStatus.SCHEDULED,
                        link_token=_new_link_token(session), created_by_id=sender.id, created_at=now,
                        updated_at=now, recipient_count=plan.recipients, request_count=plan.requests,
                        quota_cost=plan.quota)
    session.add(campaign)
    session.flush()
    audit(session, now, "campaign.scheduled", sender, campaign_id=campaign.id, recipients=plan.recipients,
          send_at=send_at.isoformat())
    return campaign


def edit(session: Session, campaign: Campaign, sender: User, now: dt.datetime, settings: Settings | None = None,
         **changes) -> Campaign:
    """Change a scheduled campaign (any of EDITABLE_FIELDS); Refused once it started or was cancelled, or
    when the sender may not send to the old or the new audience."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    campaign = _locked(session, campaign)
    _require_scheduled(campaign, STARTED_NO_EDIT)
    _require_permission(sender, audience_of(campaign))
    current = dict(title=campaign.title, body=campaign.body, link_url=campaign.link_url,
                   image_url=campaign.image_url, tags=campaign.tags)
    fields = clean_fields({**current, **{key: value for key, value in changes.items() if key in current}}, settings)
    audience = changes.get("audience", audience_of(campaign))
    _require_permission(sender, audience)
    if "send_at" in changes:
        campaign.send_at = check_send_time(changes["send_at"], now, settings.tz if settings else BANGKOK)
    plan = _checked_estimate(session, audience, fields["tags"], now)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.audience = audience.to_dict()
    campaign.recipient_count, campaign.request_count, campaign.quota_cost = plan.recipients, plan.requests, plan.quota
    campaign.updated_at = now
    audit(session, now, "campaign.edited", sender, campaign_id=campaign.id, fields=sorted(changes))
    return campaign


def cancel(session: Session, campaign: Campaign, sender: User, now: dt.datetime) -> bool:
    """Cancel a scheduled campaign: True; False if it was cancelled already; Refused once it started."""
    campaign = _locked(session, campaign)
    if campaign.status == CampaignStatus.CANCELLED:
        return False
    if campaign.status != CampaignStatus.SCHEDULED:
        raise Refused(STARTED_NO_CANCEL)
    _require_permission(sender, audience_of(campaign))
    campaign.status, campaign.cancelled_at, campaign.updated_at = CampaignStatus.CANCELLED, now, now
    audit(session, now, "campaign.cancelled", sender, campaign_id=campaign.id)
    return True


def campaigns_of(session: Session, sender: User, limit: int = 5) -> list[Campaign]:
    """The sender's campaigns, newest first (for "สรุปผล" and the list of scheduled ones)."""
    query = select(Campaign).where(Campaign.created_by_id == sender.id)
    return list(session.scalars(query.order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit)))


def clean_fields(fields: dict, settings: Settings | None) -> dict:
    return {"title": clean_title(fields["title"]), "body": clean_body(fields["body"]),
            "link_url": clean_link(fields["link_url"]), "image_url": clean_image_url(fields["image_url"], settings),
            "tags": clean_tags(fields["tags"])}


def _require_permission(sender: User, audience: Audience) -> None:
    reason = may_send(sender, audience)
    if reason is not None:
        raise Refused(reason)


def _require_scheduled(campaign: Campaign, started_reason: str) -> None:
    if campaign.status == CampaignStatus.CANCELLED:
        raise Refused(CANCELLED_ALREADY)
    if campaign.status != CampaignStatus.SCHEDULED:
        raise Refused(started_reason)


def _checked_estimate(session: Session, audience: Audience, tags: Sequence[str], now: dt.datetime) -> Estimate:
    plan = estimate(session, audience, tags, now)
    if plan.recipients == 0:
        raise Refused(NOBODY)
    return plan


def _same_recent_campaign(session, sender, fields, audience, send_at, now) -> Campaign | None:
    query = select(Campaign).where(Campaign.created_by_id == sender.id, Campaign.title == fields["title"],
                                   Campaign.created_at >= now - SAME_CONFIRM_WINDOW,
                                   Campaign.status != CampaignStatus.CANCELLED)
    for earlier in session.scalars(query.order_by(Campaign.id.desc())):
        same = all(getattr(earlier, name) == value for name, value in fields.items())
        both_now = earlier.send_at <= earlier.created_at + LATE_GRACE and send_at <= now + LATE_GRACE
        if same and (earlier.send_at == send_at or both_now) and audience_of(earlier) == audience:
            return earlier
    return None


def _new_link_token(session: Session) -> str:
    while True:
        token = secrets.token_urlsafe(12)
        if session.scalar(select(Campaign.id).where(Campaign.link_token == token)) is None:
            return token


def _locked(session: Session, campaign: Campaign) -> Campaign:
    """The campaign re-read under a row lock (PostgreSQL; SQLite's transactions are serialised anyway)."""
    query = select(Campaign).where(Campaign.id == campaign.id).with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()
