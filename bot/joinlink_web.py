"""GET /join/<code>.png: the QR code of a mentor's group link, for LINE to show in the mentor's chat.

Only a youth-join code that is not expired, revoked or used up gets an image; anything else is a bare 404,
so the endpoint says nothing about other codes. The image holds the join link alone, no personal data.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app
from sqlalchemy import select

from bot.access import CODE_ALPHABET, CODE_LENGTH
from bot.joinlink import deep_link, join_text, qr_png
from bot.services import services
from models import AccessCode, CodeKind
from models.db import Database

blueprint = Blueprint("joinlink", __name__)

# Short enough that a revoked code's image soon stops being served from caches; LINE keeps its own copy
# of an image it has already delivered.
CACHE_SECONDS = 600


@blueprint.get("/join/<code>.png")
def join_qr(code: str) -> Response:
    """The QR PNG of the join link of `code` (any letter case), or 404."""
    app_services, code = services(current_app), code.upper()
    basic_id = app_services.settings.line_bot_basic_id
    if not (basic_id and _looks_like_code(code) and _is_open_group_code(app_services.db, code, app_services.clock())):
        return Response(status=404, headers={"Cache-Control": "no-store"})
    png = qr_png(deep_link(basic_id, join_text(code)))
    return Response(png, mimetype="image/png", headers={
        "Cache-Control": f"private, max-age={CACHE_SECONDS}", "X-Content-Type-Options": "nosniff"})


def _looks_like_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def _is_open_group_code(db: Database, code: str, now: dt.datetime) -> bool:
    """Whether `code` is a youth-join code that youth can still use now."""
    query = select(AccessCode.id).where(
        AccessCode.code == code, AccessCode.kind == CodeKind.YOUTH_JOIN, AccessCode.revoked_at.is_(None),
        AccessCode.expires_at > now, AccessCode.uses < AccessCode.max_uses)
    with db.transaction() as session:
        return session.scalar(query) is not None
