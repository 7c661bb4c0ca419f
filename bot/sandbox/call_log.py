"""The record of every Messaging API call the sandbox received, in order (guarded by Sandbox.lock).

A record is a plain dict: id, at, method, path, headers (lower-case, Authorization redacted), retry_key,
body (parsed JSON, or None when bodies are not recorded), status, response (parsed JSON or None) and
request_id. The parsed body is stored as received, once: deliveries share its message objects.
"""

from __future__ import annotations

from collections.abc import Mapping

REDACTED = "Bearer ***"


def redacted_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Request headers with lower-case names and the bearer token hidden."""
    compact = {name.lower(): value for name, value in headers.items()}
    if "authorization" in compact:
        compact["authorization"] = REDACTED
    return compact


class CallLog:
    """Append-only list of call records with a path filter."""

    def __init__(self) -> None:
        self._records: list[dict] = []
        self._next_id = 1

    def append(self, record: dict) -> dict:
        """Store `record` under the next id and return it."""
        record["id"] = self._next_id
        self._next_id += 1
        self._records.append(record)
        return record

    def records(self, path: str | None = None) -> list[dict]:
        """All records, or those whose path equals `path`, oldest first."""
        if path is None:
            return list(self._records)
        return [record for record in self._records if record["path"] == path]

    def clear(self) -> None:
        """Forget every record (ids keep increasing)."""
        self._records.clear()
