"""Rows that keep the background processes honest: leases (one active scheduler), heartbeats (health),
scheduler ticks (a periodic job that runs twice changes nothing) and system flags (e.g. bulk sends paused).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Lease(Base):
    """A named lock held until `expires_at`; the holder renews it, anyone may take it once it expired."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class Heartbeat(Base):
    """The last sign of life of one background loop (a worker or a scheduler), for /healthz."""

    __tablename__ = "heartbeats"

    component: Mapped[str] = mapped_column(String(120), primary_key=True)  # e.g. "worker:host:ab12cd34"
    kind: Mapped[str] = mapped_column(String(20))  # "worker" or "scheduler"
    last_seen_at: Mapped[dt.datetime]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SchedulerTick(Base):
    """One run of a periodic job for one due time; the unique pair makes a repeated tick a no-op."""

    __tablename__ = "scheduler_ticks"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[dt.datetime]
    ran_at: Mapped[dt.datetime]
    holder: Mapped[str] = mapped_column(String(120))

    __table_args__ = (UniqueConstraint("job", "due_at", name="uq_scheduler_ticks_job_due_at"),)


class SystemFlag(Base):
    """A process-wide switch stored in the database, e.g. `bulk_paused` after LINE's monthly-limit 429."""

    __tablename__ = "system_flags"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime]
