"""The embedded mode behind `uv run app.py`: one process with the webhook, the delivery worker, the
scheduler and, when no LINE credentials are set, the LINE sandbox with its chat page.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading

from werkzeug.serving import make_server

from bot.background import start_loops, start_scheduler
from bot.config import ConfigError, Settings
from bot.services import services
from models.schema import upgrade_to_head

log = logging.getLogger("bot.embedded")


def start_sandbox(settings: Settings, host: str):
    """Start the local LINE platform and return it with settings pointing the bot at it."""
    from bot.sandbox import Sandbox

    secret, token = secrets.token_hex(16), secrets.token_urlsafe(32)
    raw_port = settings.extra.get("BOT_SANDBOX_PORT", str(settings.port + 1 if settings.port else 0))
    if not raw_port.isdigit() or int(raw_port) > 65535:
        raise ConfigError(f"BOT_SANDBOX_PORT must be a port number, got {raw_port!r}")
    sandbox_port = int(raw_port)
    webhook_url = f"http://{host}:{settings.port}/callback"
    sandbox = Sandbox(channel_secret=secret, access_token=token, webhook_url=webhook_url)
    sandbox.start(host=host, port=sandbox_port)
    bot_settings = settings.with_(channel_secret=secret, channel_access_token=token,
                                  line_api_base_url=sandbox.base_url)
    return sandbox, bot_settings


def run_embedded(settings: Settings) -> int:
    from app import create_app

    host = os.environ.get("HOST", "127.0.0.1")
    sandbox = None
    if settings.uses_sandbox:
        sandbox, settings = start_sandbox(settings, host)
    upgrade_to_head(settings.database_url)
    app = create_app(settings)
    stop = threading.Event()
    if settings.start_worker:
        start_loops(services(app), stop)
    scheduler = start_scheduler(services(app), stop) if settings.start_scheduler else None
    server = make_server(host, settings.port, app, threaded=True)
    print(f"bot webhook: http://{host}:{server.server_port}/callback", flush=True)
    if sandbox is not None:
        print(f"LINE sandbox (no LINE credentials set): chat with the bot at {sandbox.chat_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.join(timeout=10)  # let it release its lease
        if sandbox is not None:
            sandbox.stop()
    return 0
