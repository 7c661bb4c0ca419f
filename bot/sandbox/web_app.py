"""The sandbox's Flask app: Messaging API, rich menus, /sandbox JSON views and the chat page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, jsonify, send_from_directory

from bot.sandbox.control_api import control_api
from bot.sandbox.messaging_api import messaging_api
from bot.sandbox.rich_menus import rich_menu_api

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox

STATIC_DIR = Path(__file__).parent / "static"


def create_app(sandbox: Sandbox) -> Flask:
    """A Flask app serving `sandbox`; it is reachable in views as current_app.extensions['line_sandbox']."""
    app = Flask("line_sandbox", static_folder=str(STATIC_DIR), static_url_path="/static")
    app.extensions["line_sandbox"] = sandbox
    app.json.ensure_ascii = False
    app.register_blueprint(messaging_api)
    app.register_blueprint(rich_menu_api)
    app.register_blueprint(control_api)

    @app.get("/")
    def chat_page():
        return send_from_directory(STATIC_DIR, "chat.html")

    @app.errorhandler(404)
    def not_found(_error):
        return jsonify({"message": "Not found"}), 404

    @app.errorhandler(405)
    def method_not_allowed(_error):
        return jsonify({"message": "Method Not Allowed"}), 405

    return app
