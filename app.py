"""The LINE bot for อพม.น้อย: `create_app(settings)` for gunicorn/flask, `uv run app.py` for the embedded mode.

Nothing runs at import time. `uv run app.py` reads the environment (and `.env`), starts the LINE sandbox
when no credentials are set, migrates the database, and serves the webhook with the delivery worker
in the same process.
"""

from __future__ import annotations

import sys

from flask import Flask

from bot.clock import Clock, system_clock
from bot.config import ConfigError, Settings
from bot.messaging import LineGateway


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock,
               gateway: LineGateway | None = None) -> Flask:
    """Build the Flask app; settings default to the environment. Raises ConfigError on bad configuration."""
    import web
    from bot import campaign_links, cli, health, jobs, joinlink_web, logs, media_web, webhook  # noqa: F401 (jobs registers)
    from bot.dispatch import Dispatcher
    from bot.processor import EventProcessor
    from bot.services import EXTENSION_KEY, Services
    from handlers import build_router
    from models.db import Database

    settings = settings or Settings.from_env()
    logs.configure(settings.log_level)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = webhook.MAX_BODY_BYTES
    db = Database(settings.database_url)
    gateway = gateway or LineGateway(settings.line_api_base_url, settings.channel_access_token)
    processor = EventProcessor(db, Dispatcher(build_router(), settings), clock)
    app.extensions[EXTENSION_KEY] = Services(settings=settings, db=db, processor=processor, gateway=gateway,
                                             clock=clock)
    app.register_blueprint(webhook.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(joinlink_web.blueprint)
    app.register_blueprint(media_web.blueprint)
    app.register_blueprint(campaign_links.blueprint)
    web.register(app, settings)
    cli.register(app)
    return app


def main() -> int:
    from bot.embedded import run_embedded

    try:
        return run_embedded(Settings.from_env())
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
