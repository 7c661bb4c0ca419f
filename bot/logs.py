"""Structured JSON logs: one line per event with ids, flow, step and outcome, never bodies or PII."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import traceback

_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                 "logger": record.name, "msg": record.getMessage()}
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = error_summary(record.exc_info[1])
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "INFO") -> None:
    """Send the app's logs to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    if any(getattr(handler, "_bot_json", False) for handler in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._bot_json = True
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def pseudonym(line_user_id: str | None) -> str | None:
    """A short, stable, non-reversible name for a LINE user id, safe to log."""
    if not line_user_id:
        return None
    return hashlib.sha256(b"aphm-log:" + line_user_id.encode()).hexdigest()[:12]


def error_summary(exc: BaseException | None) -> str:
    """Exception class and where it was raised, without its message (which may quote user text)."""
    if exc is None:
        return ""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 2)[-2:][-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


def error_detail(exc: BaseException, limit: int = 4000) -> str:
    """Full exception text and traceback for the database record (operators only), truncated."""
    return "".join(traceback.format_exception(exc))[-limit:]
