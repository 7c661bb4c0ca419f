"""Shared fixtures: a real database (SQLite file, or PostgreSQL from TEST_DATABASE_URL), the LINE sandbox
on loopback, a manual clock, the app wired to both, and a simulated LINE user.

Under CI=true a TEST_DATABASE_URL that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app import create_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.services import services
from models import Base
from models.db import Database

CHANNEL_SECRET = "test-channel-secret-0123456789ab"
ACCESS_TOKEN = "test-access-token"


def _check_reachable(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        message = f"TEST_DATABASE_URL is set but the database cannot be reached: {type(exc).__name__}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    _check_reachable(url)
    return url


@pytest.fixture(scope="session")
def schema(database_url):
    database = Database(database_url)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        if connection.dialect.name == "postgresql":  # the console's name search (the migration adds it too)
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    Base.metadata.drop_all(database.engine)
    Base.metadata.create_all(database.engine)
    yield database_url
    database.dispose()


def _empty_tables(database: Database) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                connection.exec_driver_sql(f"DELETE FROM {table}")


@pytest.fixture
def db(schema) -> Database:
    database = Database(schema)
    _empty_tables(database)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock):
    from bot.sandbox import Sandbox

    box = Sandbox(channel_secret=CHANNEL_SECRET, access_token=ACCESS_TOKEN, clock=clock.timestamp)
    box.start()
    yield box
    box.stop()


@pytest.fixture
def settings(db, sandbox) -> Settings:
    return Settings(channel_secret=CHANNEL_SECRET, channel_access_token=ACCESS_TOKEN,
                    line_api_base_url=sandbox.base_url, database_url=db.url, environment="test").validated()


@pytest.fixture
def app(settings, clock, sandbox):
    application = create_app(settings, clock=clock)
    application.config["TESTING"] = True
    client = application.test_client()

    processor = services(application).processor

    def transport(body: str, headers: dict):
        """Post like LINE, then let the event processor run as the embedded mode's wake-up would."""
        response = client.post("/callback", data=body.encode(), headers=headers)
        processor.run_until_idle()
        return response.status_code, response.get_data(as_text=True)

    sandbox.webhook_transport = transport
    yield application
    services(application).db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def processor(app):
    return services(app).processor


@pytest.fixture
def worker(app) -> DeliveryWorker:
    """One sender thread, so the order of calls in the sandbox's log is deterministic."""
    return services(app).delivery_worker(senders=1)


@pytest.fixture
def youth(sandbox):
    return sandbox.user(display_name="น้องฟ้า")
