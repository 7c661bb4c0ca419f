"""The public side of campaigns: the counting redirect and the campaign images.

`GET /c/<token>?p=<province code | "share">` counts one click for the campaign and that province in the
current hour (one upserted counter row), then redirects (302) to the campaign's link, or shows a small
Thai page with its title and text when it has no link. It never records who clicked: no user id, no IP
address, no cookie, and the response may not be cached (every click counts). A `p` that is neither a
province code nor "share" counts as unknown (""). An unknown or cancelled campaign gets a Thai 404 page.

`GET /campaign-images/<name>.jpg` serves an uploaded campaign image (public information, unlike report
photos) from `<MEDIA_DIR>/campaigns/`.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, Response, current_app, redirect, request
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.campaign_cards import add_friend_url
from bot.campaign_figures import SHARED_LINK, UNKNOWN
from bot.campaign_input import stored_image_path
from bot.services import services
from bot.thai import PROVINCES_BY_CODE
from models import Campaign, CampaignClick, CampaignStatus
from models.db import dialect_insert

blueprint = Blueprint("campaign_links", __name__)

TOKEN = re.compile(r"[A-Za-z0-9_-]{8,24}")
COUNTED = (CampaignStatus.SENDING, CampaignStatus.SENT)  # a scheduled one's link opens but is not counted yet
IMAGE_CACHE_SECONDS = 86400
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}

PAGE = """<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:Sarabun,Tahoma,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;
line-height:1.6;color:#222}}img{{max-width:100%;border-radius:8px}}a{{color:#2E7D32}}
footer{{margin-top:2rem;font-size:.9rem;color:#666}}</style></head>
<body><main>{image}<h1>{title}</h1>{body}</main><footer>{footer}</footer></body></html>"""
NOT_FOUND_TITLE = "ไม่พบแคมเปญนี้"
NOT_FOUND_BODY = "ลิงก์นี้อาจพิมพ์ไม่ครบ หรือแคมเปญถูกยกเลิกไปแล้วค่ะ"
FOOTER = "ข่าวจาก อพม.น้อย อาสาสมัครพัฒนาสังคมและความมั่นคงของมนุษย์"


@blueprint.get("/c/<token>")
def campaign_link(token: str) -> Response:
    """Count a click by province (never by person), then send the browser on."""
    app_services = services(current_app)
    province = click_province(request.args.get("p", ""))
    with app_services.db.transaction() as session:
        campaign = _find(session, token)
        if campaign is None:
            return _page(NOT_FOUND_TITLE, NOT_FOUND_BODY, status=404)
        if campaign.status in COUNTED:
            count_click(session, campaign.id, province, app_services.clock())
        link, title, body, image = campaign.link_url, campaign.title, campaign.body, campaign.image_url
    if link:
        response = redirect(link, code=302)
        response.headers.update(NO_STORE)
        return response
    return _page(title, body, image=image)


@blueprint.get("/campaign-images/<name>.jpg")
def campaign_image(name: str) -> Response:
    path = stored_image_path(services(current_app).settings, name)
    try:
        data = path.read_bytes() if path is not None else None
    except (FileNotFoundError, IsADirectoryError):
        data = None
    if data is None:
        return Response(status=404, headers={"Cache-Control": "no-store"})
    return Response(data, mimetype="image/jpeg", headers={
        "Cache-Control": f"public, max-age={IMAGE_CACHE_SECONDS}", "X-Content-Type-Options": "nosniff"})


def click_province(value: str) -> str:
    """The province code a link carries, "share" for a link passed on, "" for anything else."""
    value = (value or "").strip()
    return value if value == SHARED_LINK or value in PROVINCES_BY_CODE else UNKNOWN


def count_click(session: Session, campaign_id: int, province_code: str, now: dt.datetime) -> None:
    """One more click in the (campaign, province, hour) counter; nothing about who clicked."""
    hour = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    statement = dialect_insert(session, CampaignClick).values(campaign_id=campaign_id, province_code=province_code,
                                                              hour=hour, clicks=1)
    session.execute(statement.on_conflict_do_update(
        index_elements=[CampaignClick.campaign_id, CampaignClick.province_code, CampaignClick.hour],
        set_={"clicks": CampaignClick.clicks + 1}))


def _find(session: Session, token: str) -> Campaign | None:
    if not TOKEN.fullmatch(token or ""):
        return None
    campaign = session.scalar(select(Campaign).where(Campaign.link_token == token))
    return None if campaign is None or campaign.status == CampaignStatus.CANCELLED else campaign


def _page(title: str, body: str, image: str | None = None, status: int = 200) -> Response:
    paragraphs = "".join(f"<p>{escape(part)}</p>" for part in body.split("\n\n"))
    friend = add_friend_url(services(current_app).settings)
    footer = escape(FOOTER) + (f' · <a href="{escape(friend)}">เพิ่มเพื่อน</a>' if friend else "")
    html = PAGE.format(title=escape(title), body=paragraphs.replace("\n", "<br>"), footer=footer,
                       image=f'<img src="{escape(image)}" alt="">' if image else "")
    return Response(html, status=status, mimetype="text/html", headers={
        **NO_STORE, "Content-Security-Policy": "default-src 'none'; img-src https: http:; style-src 'unsafe-inline'"})
