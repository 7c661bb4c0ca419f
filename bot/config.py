"""Settings from the environment (and an optional `.env`), checked once at start-up.

Bad configuration raises `ConfigError` with one line that says what is wrong; `app.py` prints that line
and exits. Production mode (`APP_ENV=production`) refuses empty or placeholder secrets.
Without LINE credentials outside production the bot runs against the local LINE sandbox.
`LINE_BOT_BASIC_ID` (the bot's "@..." ID) and `PUBLIC_BASE_URL` (where LINE fetches the bot's images)
are optional: without them mentors get their group code but no join link or QR image.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

LINE_API_DEFAULT = "https://api.line.me"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "instance" / "bot.sqlite3"
DEFAULT_MEDIA_DIR = PROJECT_ROOT / "instance" / "media"
QUIET_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "test", "xxx", "your-channel-secret", "dev"}
ENVIRONMENTS = ("development", "production", "test")
LINE_ID = re.compile(r"@[a-z0-9._-]{3,20}")  # a basic ID ("@123abcde") or a premium ID ("@aphm.noi")
LOOPBACK_NAMES = ("localhost",)


class ConfigError(ValueError):
    """Configuration that cannot work; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    channel_secret: str = ""
    channel_access_token: str = ""
    line_api_base_url: str = LINE_API_DEFAULT
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    timezone: str = "Asia/Bangkok"
    port: int = 8000
    environment: str = "development"
    start_worker: bool = True
    start_scheduler: bool = True
    log_level: str = "INFO"
    delivery_threads: int = 8  # sender threads per worker process
    processor_threads: int = 4  # event processor threads per process on PostgreSQL (SQLite: always 1)
    delivery_lease_seconds: int = 60  # a claimed row is reclaimed by another worker after this
    rate_reply: float = 2000.0  # LINE's limits per channel and endpoint; lower them per process when
    rate_push: float = 2000.0  # several worker processes share one channel
    rate_multicast: float = 200.0
    line_bot_basic_id: str = ""  # "@123abcde": the chat a join link opens; "" = no join links
    public_base_url: str = ""  # "https://bot.example.org": how LINE reaches the bot's images; "" = no QR images
    report_ack_urgent_minutes: int = 15  # an urgent report nobody acknowledged climbs a level after this
    report_ack_normal_hours: int = 24  # ... and a normal one after this
    report_purge_days: int = 90  # a closed report's sensitive fields and photos are erased after this
    media_dir: str = str(DEFAULT_MEDIA_DIR)  # report photos: a private folder, never served as static files
    photo_link_minutes: int = 60 * 24  # how long a photo link shown to a mentor stays valid
    quiet_hours: str = "21:00-07:00"  # Bangkok time: minors get no non-urgent pushes then
    secret_key: str = ""  # signs console sessions and CSRF tokens; "" outside production: random per process
    console_session_minutes: int = 8 * 60  # a console session ends this long after sign-in
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def uses_sandbox(self) -> bool:
        """True when no LINE credentials are set: the embedded mode talks to the local sandbox."""
        return not (self.channel_secret and self.channel_access_token)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def quiet_window(self) -> tuple[dt.time, dt.time]:
        """Quiet hours as (start, end) local times; the window may cross midnight (21:00-07:00)."""
        start_h, start_m, end_h, end_m = (int(part) for part in QUIET_HOURS.fullmatch(self.quiet_hours).groups())
        return dt.time(start_h, start_m), dt.time(end_h, end_m)

    def with_(self, **changes) -> Settings:
        """A copy with some fields changed, validated again."""
        return replace(self, **changes).validated()

    def validated(self) -> Settings:
        """Return self, or raise ConfigError naming the first thing that is wrong."""
        _check_environment(self)
        _check_timezone(self.timezone)
        _check_url("LINE_API_BASE_URL", self.line_api_base_url)
        _check_database_url(self.database_url)
        _check_basic_id(self.line_bot_basic_id)
        _check_public_base_url(self)
        if not QUIET_HOURS.fullmatch(self.quiet_hours):
            raise ConfigError(f"QUIET_HOURS must look like 21:00-07:00, got {self.quiet_hours!r}")
        if self.environment == "production":
            _check_production(self)
        elif bool(self.channel_secret) != bool(self.channel_access_token):
            raise ConfigError("set both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN, or neither (sandbox)")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv_path: str | Path | None = ".env"):
        """Read settings from `environ` (default os.environ) over the values of a `.env` file, if any."""
        values = _merged_environment(environ, dotenv_path)
        return cls(
            channel_secret=values.get("LINE_CHANNEL_SECRET", "").strip(),
            channel_access_token=values.get("LINE_CHANNEL_ACCESS_TOKEN", "").strip(),
            line_api_base_url=values.get("LINE_API_BASE_URL", LINE_API_DEFAULT).strip().rstrip("/"),
            database_url=values.get("DATABASE_URL", "").strip() or cls.database_url,
            timezone=values.get("TZ_NAME", values.get("BOT_TIMEZONE", "Asia/Bangkok")).strip(),
            port=_parse_int("PORT", values.get("PORT", "8000")),
            environment=values.get("APP_ENV", "development").strip().lower(),
            start_worker=_parse_bool("START_WORKER", values.get("START_WORKER", "1")),
            start_scheduler=_parse_bool("START_SCHEDULER", values.get("START_SCHEDULER", "1")),
            log_level=values.get("LOG_LEVEL", "INFO").strip().upper(),
            delivery_threads=_parse_int("DELIVERY_THREADS", values.get("DELIVERY_THREADS", "8"), low=1, high=64),
            processor_threads=_parse_int("PROCESSOR_THREADS", values.get("PROCESSOR_THREADS", "4"), low=1, high=32),
            delivery_lease_seconds=_parse_int("DELIVERY_LEASE_SECONDS", values.get("DELIVERY_LEASE_SECONDS", "60"),
                                              low=1, high=3600),
            rate_reply=_parse_rate("RATE_REPLY_PER_S", values.get("RATE_REPLY_PER_S", "2000")),
            rate_push=_parse_rate("RATE_PUSH_PER_S", values.get("RATE_PUSH_PER_S", "2000")),
            rate_multicast=_parse_rate("RATE_MULTICAST_PER_S", values.get("RATE_MULTICAST_PER_S", "200"), 200),
            line_bot_basic_id=values.get("LINE_BOT_BASIC_ID", "").strip().lower(),
            public_base_url=values.get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
            report_ack_urgent_minutes=_parse_int("REPORT_ACK_URGENT_MINUTES",
                                                 values.get("REPORT_ACK_URGENT_MINUTES", "15"), low=1, high=24 * 60),
            report_ack_normal_hours=_parse_int("REPORT_ACK_HOURS", values.get("REPORT_ACK_HOURS", "24"),
                                               low=1, high=24 * 14),
            report_purge_days=_parse_int("REPORT_PURGE_DAYS", values.get("REPORT_PURGE_DAYS", "90"), low=1, high=3650),
            media_dir=values.get("MEDIA_DIR", "").strip() or str(DEFAULT_MEDIA_DIR),
            photo_link_minutes=_parse_int("PHOTO_LINK_MINUTES", values.get("PHOTO_LINK_MINUTES", "1440"),
                                          low=1, high=60 * 24 * 30),
            quiet_hours=values.get("QUIET_HOURS", "21:00-07:00").strip(),
            secret_key=values.get("SECRET_KEY", "").strip(),
            console_session_minutes=_parse_int("CONSOLE_SESSION_MINUTES", values.get("CONSOLE_SESSION_MINUTES", "480"),
                                               low=5, high=7 * 24 * 60),
            extra={k: v for k, v in values.items() if k.startswith("BOT_")},
        ).validated()


def _merged_environment(environ, dotenv_path) -> dict[str, str]:
    file_values = {}
    if dotenv_path and Path(dotenv_path).is_file():
        file_values = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
    return {**file_values, **(os.environ if environ is None else environ)}


def _parse_int(name: str, raw: str, low: int = 0, high: int = 65535) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _parse_rate(name: str, raw: str, line_limit: float = 2000) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of requests per second, got {raw!r}") from None
    if not 2 <= value <= line_limit:
        raise ConfigError(f"{name} must be between 2 and {line_limit:g} (LINE's own limit), got {value:g}")
    return value


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _check_environment(settings: Settings) -> None:
    if settings.environment not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {settings.environment!r}")


def _check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {name!r} (expected e.g. Asia/Bangkok)") from None


def _check_url(name: str, url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must start with http:// or https://, got {url!r}")


def _check_basic_id(basic_id: str) -> None:
    if basic_id and not LINE_ID.fullmatch(basic_id):
        raise ConfigError(f"LINE_BOT_BASIC_ID must be the bot's LINE ID with its @ (e.g. @123abcde), got {basic_id!r}")


def _check_public_base_url(settings: Settings) -> None:
    """An absolute http(s) URL without query or trailing slash; https unless LINE is the local sandbox."""
    url = settings.public_base_url
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_BASE_URL must be an address like https://bot.example.org, got {url!r}")
    if url.endswith("/"):
        raise ConfigError(f"PUBLIC_BASE_URL must not end with a slash, got {url!r}")
    if parts.scheme == "http" and settings.environment == "production":
        raise ConfigError("PUBLIC_BASE_URL must be https:// in production (LINE loads images only over https)")
    if parts.scheme == "http" and not uses_local_line(settings, parts):
        raise ConfigError("PUBLIC_BASE_URL must be https:// (LINE loads images only over https); "
                          "http:// is only for a loopback address with the local sandbox")


def uses_local_line(settings: Settings, public_parts) -> bool:
    """The bot talks to the sandbox on loopback, and its public address is a loopback one too."""
    sandbox = settings.uses_sandbox or _is_loopback(urlsplit(settings.line_api_base_url).hostname)
    return sandbox and _is_loopback(public_parts.hostname)


def _is_loopback(host: str | None) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _check_database_url(url: str) -> None:
    if not url.startswith(("sqlite", "postgresql")):
        scheme = url.split(":")[0]
        raise ConfigError(f"DATABASE_URL must be sqlite:///... or postgresql+psycopg://..., got scheme {scheme!r}")


def _check_production(settings: Settings) -> None:
    for name, value in (("LINE_CHANNEL_SECRET", settings.channel_secret),
                        ("LINE_CHANNEL_ACCESS_TOKEN", settings.channel_access_token)):
        if not value or value.lower() in PLACEHOLDER_SECRETS:
            raise ConfigError(f"{name} is empty or a placeholder; production needs the real one from the LINE console")
    if settings.line_api_base_url != LINE_API_DEFAULT and not settings.line_api_base_url.startswith("https://"):
        raise ConfigError("LINE_API_BASE_URL must be https:// in production")
    if len(settings.secret_key) < 32 or settings.secret_key.lower() in PLACEHOLDER_SECRETS:
        raise ConfigError("SECRET_KEY must be a random string of at least 32 characters in production "
                          "(it signs console sessions), e.g. python -c 'import secrets; print(secrets.token_hex(32))'")
