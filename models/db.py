"""Engine and sessions for SQLite (embedded) and PostgreSQL (production), and dialect-aware helpers."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(database_url: str, **options) -> Engine:
    """An engine tuned per dialect: SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE transactions."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **options)
    options.setdefault("pool_size", 10)
    options.setdefault("max_overflow", 20)
    return create_engine(url, **options)


def _sqlite_engine(url, **options) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Take the write lock at the start: two writers then queue on busy_timeout instead of one
        # failing with "database is locked" when it upgrades a read lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class SQLiteWriteLock:
    """Queue SQLite writers of all processes on one file lock, so a waiting writer wakes the moment the
    lock is free (SQLite's own busy handler sleeps up to 100 ms between tries)."""

    def __init__(self, database_path: str):
        self._path = f"{database_path}.writelock"
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = os.getpid()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked worker needs its own open file
            self._fd, self._pid = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd


class Database:
    """The engine and session factory one app (or worker) uses."""

    def __init__(self, database_url: str, **engine_options):
        self.url = database_url
        self.engine = make_engine(database_url, **engine_options)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        database_path = self.engine.url.database if self.dialect == "sqlite" else None
        self._write_lock = SQLiteWriteLock(database_path) if database_path not in (None, "", ":memory:") else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write_lock(self):
        """Held around a write transaction: the SQLite writer queue, nothing on PostgreSQL."""
        return self._write_lock.held() if self._write_lock else contextlib.nullcontext()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error."""
        with self.write_lock(), self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def connection(self):
        """A Core connection inside one transaction (for the webhook's single INSERT)."""
        with self.write_lock(), self.engine.begin() as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


def dialect_insert(session: Session, model):
    """An INSERT construct of the session's dialect, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


def insert_ignoring_conflict(session: Session, model, values: dict, conflict_column: str):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the primary key; it, or None if the row already existed."""
    statement = (
        dialect_insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[conflict_column])
        .returning(model.__mapper__.primary_key[0])
    )
    return session.execute(statement).scalar_one_or_none()
