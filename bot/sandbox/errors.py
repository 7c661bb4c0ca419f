"""The error answer of the sandbox's Messaging API: LINE's `{message, details[{message, property}]}` shape."""

from __future__ import annotations


class ApiError(Exception):
    """An API call the sandbox refuses; `to_body()` gives the JSON LINE would send."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[dict] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}
        self.extra = extra or {}

    def to_body(self) -> dict:
        """LINE's error body: message, details when there are any, and extra fields (e.g. sentMessages)."""
        body: dict = {"message": self.message}
        if self.details:
            body["details"] = self.details
        body.update(self.extra)
        return body


def invalid_body(details: list[dict]) -> ApiError:
    """A 400 for a request body with one or more property errors, worded as LINE does."""
    return ApiError(400, f"The request body has {len(details)} error(s)", details)
