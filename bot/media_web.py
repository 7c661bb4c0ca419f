"""GET /media/photos/<token>.jpg: a report photo, for LINE to show in a mentor's chat.

The token is a signed, expiring link made by `bot.report_media.signed_photo_url`. A bad, tampered or
expired token, an unknown photo, one not stored (yet), one not attached to a report, or one whose report
was purged or deleted all get the same bare 404, so the endpoint tells nothing about other photos. The
files live in the private media folder; this view is the only way to them.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app
from sqlalchemy import select

from bot.report_media import PhotoLink, read_photo_link
from bot.services import Services, services
from models import PhotoStatus, Report, ReportPhoto

blueprint = Blueprint("media_web", __name__)

# A browser or LINE may keep the image this long, never past the link's own expiry.
CACHE_SECONDS = 3600


@blueprint.get("/media/photos/<token>.jpg")
def report_photo(token: str) -> Response:
    """The JPEG a valid link names, or 404."""
    app_services = services(current_app)
    now = app_services.clock()
    link = read_photo_link(app_services.settings, token, now)
    path = _servable_path(app_services, link) if link is not None else None
    try:
        data = path.read_bytes() if path is not None else None
    except FileNotFoundError:  # purged between the query and here
        data = None
    if data is None:
        return Response(status=404, headers={"Cache-Control": "no-store"})
    max_age = max(0, min(CACHE_SECONDS, int((link.expires_at - now).total_seconds())))
    return Response(data, mimetype="image/jpeg", headers={
        "Cache-Control": f"private, max-age={max_age}", "X-Content-Type-Options": "nosniff"})


def _servable_path(app_services: Services, link: PhotoLink) -> Path | None:
    """The file of the linked photo if it is stored and belongs to a report that still holds its details."""
    query = (select(ReportPhoto.storage_name)
             .join(Report, Report.id == ReportPhoto.report_id)
             .where(ReportPhoto.id == link.photo_id, ReportPhoto.status == PhotoStatus.STORED,
                    ReportPhoto.storage_name.is_not(None), Report.purged_at.is_(None)))
    with app_services.db.transaction() as session:
        storage_name = session.scalar(query)
    return app_services.photo_store().path(storage_name, link.variant) if storage_name else None

