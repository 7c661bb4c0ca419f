"""A fresh, migrated benchmark database: PostgreSQL databases are dropped and created again, so only names
starting with "bench" are accepted (a benchmark must never wipe a real or a test database)."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from models.schema import upgrade_to_head


def fresh_postgres(url: str) -> str:
    """Drop and create the PostgreSQL database of `url`, migrate it to head; returns `url`."""
    parsed = make_url(url)
    if not (parsed.database or "").startswith("bench"):
        raise SystemExit(f"refusing to drop database {parsed.database!r}: its name must start with 'bench'")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()
    upgrade_to_head(url)
    return url
