"""Bring a database to the current schema with Alembic (the only way the app creates tables)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    """Apply every migration not yet applied (idempotent; concurrent starters on PostgreSQL serialize)."""
    command.upgrade(alembic_config(database_url), "head")
