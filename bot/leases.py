"""Named leases in the database: at most one holder of an unexpired lease, on SQLite and PostgreSQL alike.

A lease is one row of `leases`. Taking it is a single atomic statement, committed on its own:

    INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (:name, :holder, :now, :now + ttl)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, ...
        WHERE leases.expires_at < :now OR leases.holder = :holder
    RETURNING holder

PostgreSQL locks the conflicting row and checks the WHERE against its latest version, so of two callers
at once only one sees a row come back; SQLite's `BEGIN IMMEDIATE` (and the write lock, see models/db.py)
runs the two one after the other. The holder renews by calling `try_acquire` again before `expires_at`;
a holder that dies simply stops renewing and anyone may take the lease once it has expired.
Time always comes from the caller (an injected clock), so tests move it by hand.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, delete, or_, select

from models import Lease
from models.db import Database, dialect_insert


def try_acquire(db: Database, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take the lease `name` for `ttl` if it is free, expired or already ours (then it is renewed).

    True when `holder` holds the lease until `now + ttl`; False when someone else holds it unexpired.
    """
    with db.transaction() as session:
        statement = dialect_insert(session, Lease).values(name=name, holder=holder, acquired_at=now,
                                                          expires_at=now + ttl)
        renewing = Lease.holder == holder
        statement = statement.on_conflict_do_update(
            index_elements=[Lease.name],
            set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at,
                  "acquired_at": case((renewing, Lease.acquired_at), else_=statement.excluded.acquired_at)},
            where=or_(Lease.expires_at < now, renewing),
        ).returning(Lease.holder)
        return session.execute(statement).scalar_one_or_none() == holder


def release(db: Database, name: str, holder: str) -> bool:
    """Give the lease up at once if `holder` has it (a clean shutdown); True if it was ours."""
    with db.transaction() as session:
        released = session.execute(
            delete(Lease).where(Lease.name == name, Lease.holder == holder).returning(Lease.name))
        return released.scalar_one_or_none() is not None


def holder_of(db: Database, name: str, now: dt.datetime) -> str | None:
    """Who holds the lease `name` unexpired at `now`, or None (for operators, health and tests)."""
    with db.sessions() as session:
        return session.scalar(select(Lease.holder).where(Lease.name == name, Lease.expires_at >= now))
