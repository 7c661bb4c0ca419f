"""Problem reports a youth flags, what happened to each (the timeline) and their photos.

A report is routed to the youth's mentor when it is sent and climbs an escalation ladder (province
coordinators, then national ones) while nobody acknowledges it: `next_escalation_at` holds the next
deadline and is emptied once someone acts. Sensitive fields (what happened, where, notes, photos) are
purged a while after closing; category, province, urgency and dates stay for anonymous counts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ReportStatus:
    OPEN = "open"  # sent, nobody has acknowledged it yet
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    HANDED_OVER = "handed_over"  # to the province office (พมจ.) or the 1300 centre
    CLOSED = "closed"

    ACTIVE = (OPEN, ACKNOWLEDGED, IN_PROGRESS, HANDED_OVER)


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(12), unique=True)  # what people quote: "R-4K7P2M"
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    province_code: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(30))
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.OPEN)
    description: Mapped[str | None] = mapped_column(Text)
    place_text: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_label: Mapped[str | None] = mapped_column(String(300))  # the shared pin's title / address
    contact_ok: Mapped[bool | None]
    handed_to: Mapped[str | None] = mapped_column(String(20))  # "province" or "1300"
    escalation_level: Mapped[int] = mapped_column(default=0)  # 0 mentor, 1 province, 2 national, 3+ repeats
    next_escalation_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]  # the youth confirmed (an urgent report exists before that)
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[dt.datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closing_note: Mapped[str | None] = mapped_column(String(500))  # for the youth, checked before sending
    purged_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("ix_reports_reporter_id_created_at", "reporter_id", "created_at"),
        Index("ix_reports_province_code_status", "province_code", "status"),
        Index("ix_reports_status_closed_at", "status", "closed_at"),
    )

    @property
    def is_closed(self) -> bool:
        return self.status == ReportStatus.CLOSED

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class ReportEvent(Base):
    """One entry of a report's timeline: who (None: the system), when, what. `key` makes a step that
    must happen once (an escalation level) unique per report, so a job running twice adds nothing."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)  # free text (case notes): purged with the report
    detail: Mapped[dict] = mapped_column(default=dict)  # ids, levels, counts: never message text
    key: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        UniqueConstraint("report_id", "key", name="uq_report_events_report_id_key"),
        Index("ix_report_events_report_id_at", "report_id", "at"),
    )


class PhotoStatus:
    PENDING = "pending"  # waiting to be fetched from LINE
    STORED = "stored"
    FAILED = "failed"  # gone from LINE, not an image, or too many attempts


class ReportPhoto(Base):
    """A photo sent for a report. Fetched from LINE's content API at once (LINE keeps content only briefly)
    even before the report is confirmed (`report_id` None until then); stored outside any web path."""

    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    line_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=PhotoStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    lease_until: Mapped[dt.datetime | None]
    storage_name: Mapped[str | None] = mapped_column(String(80))  # file name inside the media folder
    media_type: Mapped[str | None] = mapped_column(String(40))
    size_bytes: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime]
    fetched_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_report_photos_status_next_attempt_at", "status", "next_attempt_at"),)
