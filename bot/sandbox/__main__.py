"""`python -m bot.sandbox`: run the LINE sandbox on its own and print its URLs."""

from __future__ import annotations

import argparse
import logging
import threading

from bot.sandbox.sandbox import Sandbox


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--webhook-url", default=None, help="the bot's webhook, e.g. http://127.0.0.1:5000/callback")
    parser.add_argument("--channel-secret", default="sandbox-channel-secret")
    parser.add_argument("--access-token", default="sandbox-access-token")
    parser.add_argument("--bot-user-id", default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start the sandbox and serve until interrupted."""
    options = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sandbox = Sandbox(options.channel_secret, options.access_token, webhook_url=options.webhook_url,
                      bot_user_id=options.bot_user_id).start(options.host, options.port)
    print(f"LINE sandbox API:  {sandbox.base_url}   (Configuration(host=...))", flush=True)
    print(f"Chat page:         {sandbox.chat_url}", flush=True)
    print(f"Recorded calls:    {sandbox.base_url}/sandbox/calls", flush=True)
    print(f"Webhook target:    {options.webhook_url or '(none: set --webhook-url)'}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sandbox.stop()


if __name__ == "__main__":
    main()
