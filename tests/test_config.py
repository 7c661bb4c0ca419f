"""Settings from the environment: clear one-line errors, .env support, production refuses placeholders."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import LINE_API_DEFAULT, ConfigError, Settings


def from_env(**values):
    return Settings.from_env(values, dotenv_path=None)


def test_defaults_are_sqlite_under_instance_line_api_and_bangkok():
    settings = from_env()
    assert settings.database_url.startswith("sqlite:///") and "/instance/" in settings.database_url
    assert settings.line_api_base_url == LINE_API_DEFAULT
    assert settings.timezone == "Asia/Bangkok"
    assert settings.uses_sandbox


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("LINE_CHANNEL_SECRET=from-file\nLINE_CHANNEL_ACCESS_TOKEN=token-file\nPORT=9000\n")
    settings = Settings.from_env({"PORT": "9100"}, dotenv_path=dotenv)
    assert (settings.channel_secret, settings.channel_access_token, settings.port) == ("from-file", "token-file", 9100)
    assert not settings.uses_sandbox


@pytest.mark.parametrize(("values", "says"), [
    ({"PORT": "eighty"}, "PORT must be a whole number"),
    ({"PORT": "70000"}, "PORT must be between"),
    ({"BOT_TIMEZONE": "Mars/Olympus"}, "unknown time zone"),
    ({"LINE_API_BASE_URL": "api.line.me"}, "LINE_API_BASE_URL must start with http"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must be"),
    ({"LINE_CHANNEL_SECRET": "only-the-secret"}, "set both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN"),
    ({"APP_ENV": "staging"}, "APP_ENV must be one of"),
    ({"RATE_MULTICAST_PER_S": "500"}, "RATE_MULTICAST_PER_S must be between 2 and 200"),
    ({"DELIVERY_THREADS": "0"}, "DELIVERY_THREADS must be between 1 and 64"),
    ({"APP_ENV": "production"}, "LINE_CHANNEL_SECRET is empty or a placeholder"),
    ({"APP_ENV": "production", "LINE_CHANNEL_SECRET": "changeme", "LINE_CHANNEL_ACCESS_TOKEN": "t0k3n-real"},
     "LINE_CHANNEL_SECRET is empty or a placeholder"),
    ({"APP_ENV": "production", "LINE_CHANNEL_SECRET": "a1b2c3real", "LINE_CHANNEL_ACCESS_TOKEN": ""},
     "LINE_CHANNEL_ACCESS_TOKEN is empty or a placeholder"),
    ({"APP_ENV": "production", "LINE_CHANNEL_SECRET": "a1b2c3real", "LINE_CHANNEL_ACCESS_TOKEN": "abc/def="},
     "SECRET_KEY must be a random string of at least 32 characters in production"),
    ({"CONSOLE_SESSION_MINUTES": "1"}, "CONSOLE_SESSION_MINUTES must be between 5 and"),
])
def test_bad_configuration_names_what_is_wrong(values, says):
    with pytest.raises(ConfigError, match=says):
        from_env(**values)


def test_production_with_real_credentials_is_accepted():
    settings = from_env(APP_ENV="production", LINE_CHANNEL_SECRET="0f1e2d3c4b5a", LINE_CHANNEL_ACCESS_TOKEN="abc/def=",
                        SECRET_KEY="9f" * 32)
    assert settings.environment == "production" and not settings.uses_sandbox


def test_app_refuses_to_start_with_one_clear_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PORT": "not-a-port", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "app.py"], env=env, capture_output=True, text=True, timeout=60,
                            cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: PORT must be a whole number, got 'not-a-port'"


def test_app_says_so_when_its_port_is_taken(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PORT": str(port), "BOT_SANDBOX_PORT": "0",
               "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}"}
        result = subprocess.run([sys.executable, "app.py"], env=env, capture_output=True, text=True, timeout=60,
                                cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert result.returncode != 0
    assert f"Port {port} is in use by another program" in result.stderr
    assert "Traceback" not in result.stderr
