"""The ceiling of the stack: a Flask app whose /callback only returns 200 (same server settings as the bot)."""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/callback")
    def callback():
        return "{}", 200, {"Content-Type": "application/json"}

    return app
