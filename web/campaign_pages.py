"""Campaigns in the console, on the same code path as in LINE (bot/campaigns): compose (with an image upload),
preview exactly the messages recipients will get with the audience and LINE quota it takes, schedule, follow
progress and figures, cancel while scheduled. Who may send to whom is bot/campaign_audience.may_send."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot import campaigns
from bot.campaign_cards import recipient_messages
from bot.campaign_input import IMAGE_MAX_BYTES
from bot.replies import as_dicts
from bot.services import services
from bot.textinput import Refused
from bot.thai import PROVINCES, PROVINCES_BY_CODE
from models import Campaign, Role, User
from web.blueprint import Staff, blueprint, database, now, staff_required

ROLE_CHOICES = {"youth": (Role.YOUTH,), "mentor": (Role.MENTOR,), "both": (Role.YOUTH, Role.MENTOR)}
LISTED = 30


def _audience(staff: Staff, form) -> campaigns.Audience:
    roles = ROLE_CHOICES.get(form.get("roles", ""), (Role.YOUTH,))
    if not staff.is_national:
        return campaigns.Audience(provinces=(staff.province_code,), roles=roles)
    province = form.get("province", "")
    return campaigns.Audience(provinces=(province,) if province else None, roles=roles)


def _send_at(form, moment: dt.datetime) -> dt.datetime:
    when = form.get("send_at", "").strip()
    if not when:
        return moment
    return campaigns.parse_send_time(when, moment, services(current_app).settings.tz)


def _draft(staff: Staff, form, files, moment: dt.datetime) -> tuple[Campaign, campaigns.Audience, dt.datetime]:
    """An unsaved campaign from the form (inputs checked as LINE's flow checks them), or Refused."""
    settings = services(current_app).settings
    image_url = form.get("image_url", "").strip() or None
    upload = files.get("image")
    if upload is not None and upload.filename:
        image_url = campaigns.store_campaign_image(settings, upload.read(IMAGE_MAX_BYTES + 1))
    tags = campaigns.parse_tags(form.get("tags", ""))
    fields = campaigns.clean_fields(dict(title=form.get("title"), body=form.get("body"),
                                         link_url=form.get("link_url", "").strip() or None, image_url=image_url,
                                         tags=tags), settings)
    return Campaign(**fields, link_token="preview", send_at=moment), _audience(staff, form), _send_at(form, moment)


@blueprint.get("/campaigns")
@staff_required
def campaign_list():
    with database() as session:
        query = select(Campaign).order_by(Campaign.created_at.desc()).limit(LISTED)
        if not g.staff.is_national:
            query = query.join(User, User.id == Campaign.created_by_id).where(
                User.province_code == g.staff.province_code)
        return render_template("console/campaigns.html", campaigns=list(session.scalars(query)),
                               provinces=PROVINCES, form={}, preview=None)


@blueprint.post("/campaigns/preview")
@staff_required
def campaign_preview():
    moment = now()
    with database() as session:
        try:
            draft, audience, send_at = _draft(g.staff, request.form, request.files, moment)
            campaigns.check_send_time(send_at, moment, services(current_app).settings.tz)
            reason = campaigns.may_send(session.get(User, g.staff.id), audience)
            if reason:
                raise Refused(reason)
            plan = campaigns.estimate(session, audience, draft.tags, moment)
        except Refused as refused:
            flash(str(refused), "error")
            return render_template("console/campaigns.html", campaigns=[], provinces=PROVINCES,
                                   form=request.form, preview=None), 400
        messages = as_dicts(recipient_messages(draft, services(current_app).settings, g.staff.province_code))
        form = {**request.form, "image_url": draft.image_url or ""}
        return render_template("console/campaigns.html", campaigns=[], provinces=PROVINCES, form=form,
                               preview={"messages": messages, "audience": campaigns.describe(audience),
                                        "plan": plan, "send_at": send_at})


@blueprint.post("/campaigns")
@staff_required
def campaign_schedule():
    moment = now()
    with database() as session:
        try:
            draft, audience, send_at = _draft(g.staff, request.form, {}, moment)
            campaign = campaigns.schedule(session, session.get(User, g.staff.id), title=draft.title, body=draft.body,
                                          link_url=draft.link_url, image_url=draft.image_url, tags=draft.tags,
                                          audience=audience, send_at=send_at, now=moment,
                                          settings=services(current_app).settings)
        except Refused as refused:
            flash(str(refused), "error")
            return redirect(url_for("console.campaign_list"))
        flash(f"ตั้งเวลาส่ง \"{campaign.title}\" แล้ว ถึง {campaign.recipient_count:,} คน", "info")
        return redirect(url_for("console.campaign", campaign_id=campaign.id))


def _campaign_in_area(session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    creator = session.get(User, campaign.created_by_id) if campaign and campaign.created_by_id else None
    if campaign is None or not (g.staff.is_national or (creator and creator.province_code == g.staff.province_code)):
        abort(404)
    return campaign


@blueprint.get("/campaigns/<int:campaign_id>")
@staff_required
def campaign(campaign_id: int):
    with database() as session:
        found = _campaign_in_area(session, campaign_id)
        return render_template("console/campaign.html", campaign=found, figures=campaigns.figures(session, found),
                               audience=campaigns.describe(campaigns.audience_of(found)),
                               provinces=PROVINCES_BY_CODE)


@blueprint.post("/campaigns/<int:campaign_id>/cancel")
@staff_required
def campaign_cancel(campaign_id: int):
    with database() as session:
        found = _campaign_in_area(session, campaign_id)
        try:
            done = campaigns.cancel(session, found, session.get(User, g.staff.id), now())
            flash("ยกเลิกแล้ว" if done else "ยกเลิกไปก่อนหน้านี้แล้ว", "info")
        except Refused as refused:
            flash(str(refused), "error")
    return redirect(url_for("console.campaign", campaign_id=campaign_id))
