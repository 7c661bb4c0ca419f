"""PDPA: a closed report's sensitive fields are erased a while after closing (REPORT_PURGE_DAYS, default 90):
what happened, where, notes, the closing note, photos (files too) and who reported it. What is left —
category, province, urgency, dates, levels reached — still counts in the figures but names nobody.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.report_media import PhotoStore, delete_photo_files, forget_orphans
from bot.reports import EventKind, add_event
from bot.scheduler import Job, register
from models import Report, ReportEvent, ReportPhoto

log = logging.getLogger("bot.report_purge")

PURGEABLE = ("closed", "duplicate")
BATCH = 200


def purge_report(session: Session, report: Report, store: PhotoStore, now: dt.datetime) -> None:
    """Erase one report's sensitive fields, notes and photos; keep what counts need."""
    photos = list(session.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report.id)))
    delete_photo_files(store, photos)
    for photo in photos:
        session.delete(photo)
    session.execute(update(ReportEvent).where(ReportEvent.report_id == report.id).values(note=None))
    report.description = report.place_text = report.location_label = report.closing_note = None
    report.latitude = report.longitude = report.contact_ok = None
    report.reporter_id, report.purged_at, report.updated_at = None, now, now
    add_event(session, report, now, EventKind.PURGED)


def purge_closed(session: Session, now: dt.datetime, settings: Settings) -> int:
    """The scheduled job: purge every report closed more than the retention period ago."""
    store = PhotoStore(Path(settings.media_dir))
    cutoff = now - dt.timedelta(days=settings.report_purge_days)
    query = (select(Report).where(Report.status.in_(PURGEABLE), Report.closed_at <= cutoff,
                                  Report.purged_at.is_(None)).order_by(Report.id).limit(BATCH))
    purged = 0
    while reports := list(session.scalars(query)):
        for report in reports:
            purge_report(session, report, store, now)
        session.flush()
        purged += len(reports)
    forget_orphans(session, store, now)
    if purged:
        log.info("reports purged", extra={"count": purged})
    return purged


register(Job("report-purge", dt.timedelta(hours=1), purge_closed, needs_settings=True))
