"""Serving a WSGI app on loopback from a background thread (werkzeug's threaded server)."""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

POLL_INTERVAL_SECONDS = 0.05  # how soon stop() takes effect


class QuietRequestHandler(WSGIRequestHandler):
    """No access log: the chat page polls often, and /sandbox/calls already records API calls."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class BackgroundServer:
    """A threaded werkzeug server running `app` until stop()."""

    def __init__(self, app: Flask, host: str, port: int) -> None:
        self._server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
        self._thread = threading.Thread(target=self._serve, name="line-sandbox", daemon=True)
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.base_url = f"http://{shown_host}:{self._server.server_port}"

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=POLL_INTERVAL_SECONDS)

    def start(self) -> BackgroundServer:
        """Start serving; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()
