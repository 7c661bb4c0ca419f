"""How the sandbox serves one Messaging API call: faults, bearer token, rate limit, retry-key header,
the endpoint itself (under Sandbox.lock), the call record and the `X-Line-Request-Id` header.

Endpoints are plain functions `(ApiCall) -> ApiReply` that raise `ApiError` to refuse a call.
"""

from __future__ import annotations

import contextlib
import json
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Blueprint, Response, current_app, request

from bot.sandbox.call_log import redacted_headers
from bot.sandbox.errors import ApiError
from bot.sandbox.faults import Fault
from bot.sandbox.retry_keys import check_retry_key_format

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox

AUTHENTICATION_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."
RETRY_KEY_NOT_SUPPORTED = "The X-Line-Retry-Key header is not supported by this endpoint"
_UNPARSABLE = object()


@dataclass
class ApiCall:
    """One received API call: what the endpoint needs to answer it."""

    sandbox: Sandbox
    method: str
    path: str
    headers: dict[str, str]
    retry_key: str | None
    raw_body: bytes
    params: dict[str, str]
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    parsed_body: object = None

    def json(self) -> dict:
        """The parsed JSON body; ApiError(400) if it is not a JSON object."""
        if not isinstance(self.parsed_body, dict):
            raise ApiError(400, "The request body could not be parsed as JSON")
        return self.parsed_body


@dataclass
class ApiReply:
    """An answer: JSON-ready body or bytes, extra headers, or a dropped connection."""

    status: int = 200
    body: object = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"
    dropped: bool = False


Endpoint = Callable[[ApiCall], ApiReply]


def current_sandbox() -> Sandbox:
    """The Sandbox that owns the running Flask app."""
    return current_app.extensions["line_sandbox"]


def api_route(blueprint: Blueprint, rule: str, methods: tuple[str, ...] = ("POST",),
              retry_key: bool = False, name: str | None = None) -> Callable[[Endpoint], Endpoint]:
    """Register an endpoint on `blueprint`; `retry_key` says whether it honours X-Line-Retry-Key."""

    def register(endpoint: Endpoint) -> Endpoint:
        def view(**params: str) -> Response:
            return serve_api_call(current_sandbox(), endpoint, retry_key, params)

        view_name = name or f"{endpoint.__name__}_{'_'.join(methods).lower()}"
        blueprint.add_url_rule(rule, view_name, view, methods=list(methods))
        return endpoint

    return register


def serve_api_call(sandbox: Sandbox, endpoint: Endpoint, retry_key_allowed: bool, params: dict) -> Response:
    """Answer the current Flask request with `endpoint`, as LINE's API gateway would."""
    call = _call_from_request(sandbox, params)
    fault = sandbox.faults.pick(call.path)
    if fault is None:
        reply = _answer(sandbox, call, endpoint, retry_key_allowed)
    else:
        reply = _answer_with_fault(sandbox, call, endpoint, retry_key_allowed, fault)
    _record(sandbox, call, reply)
    return _to_response(reply, call.request_id)


def _call_from_request(sandbox: Sandbox, params: dict) -> ApiCall:
    raw = request.get_data()
    call = ApiCall(sandbox, request.method, request.path, redacted_headers(request.headers),
                   request.headers.get("X-Line-Retry-Key"), raw, params)
    if raw and request.mimetype == "application/json":
        try:
            call.parsed_body = json.loads(raw)
        except ValueError:
            call.parsed_body = _UNPARSABLE
    return call


def _answer(sandbox: Sandbox, call: ApiCall, endpoint: Endpoint, retry_key_allowed: bool) -> ApiReply:
    try:
        if request.headers.get("Authorization") != f"Bearer {sandbox.access_token}":
            raise ApiError(401, AUTHENTICATION_FAILED)
        sandbox.rate_limiter.admit(call.path)
        if call.retry_key is not None:
            if not retry_key_allowed:
                raise ApiError(400, RETRY_KEY_NOT_SUPPORTED)
            check_retry_key_format(call.retry_key)
        with sandbox.lock:
            return endpoint(call)
    except ApiError as error:
        return ApiReply(error.status, error.to_body(), error.headers)


def _answer_with_fault(sandbox: Sandbox, call: ApiCall, endpoint: Endpoint, retry_key_allowed: bool,
                       fault: Fault) -> ApiReply:
    """Apply `fault`: before processing (not accepted), or after it when `fault.accept` is set."""
    processed = _answer(sandbox, call, endpoint, retry_key_allowed) if fault.accept else None
    if fault.latency:
        sandbox.faults.hold(fault.latency)
    if fault.timeout:
        sandbox.faults.hold(fault.hold_seconds())
        return ApiReply(504, {"message": "Gateway Timeout"}, dropped=True)
    if fault.status is not None:
        return ApiReply(fault.status, fault.error_body())
    return processed or _answer(sandbox, call, endpoint, retry_key_allowed)


def _record(sandbox: Sandbox, call: ApiCall, reply: ApiReply) -> None:
    body = call.parsed_body if call.parsed_body is not _UNPARSABLE else None
    record = {
        "at": sandbox.clock(),
        "method": call.method,
        "path": call.path,
        "headers": call.headers,
        "retry_key": call.retry_key,
        "body": body if sandbox.record_bodies else None,
        "status": reply.status,
        "response": reply.body if isinstance(reply.body, dict | list) else None,
        "request_id": call.request_id,
    }
    with sandbox.lock:
        sandbox.call_log.append(record)


def _to_response(reply: ApiReply, request_id: str) -> Response:
    if reply.dropped:
        _drop_connection()
    if isinstance(reply.body, bytes):
        response = Response(reply.body, reply.status, mimetype=reply.media_type)
    else:
        response = Response(json.dumps(reply.body, ensure_ascii=False), reply.status, mimetype=reply.media_type)
    response.headers["X-Line-Request-Id"] = request_id
    response.headers.update(reply.headers)
    return response


def _drop_connection() -> None:
    """Close the client's socket without an answer (werkzeug's dev server exposes it)."""
    connection = request.environ.get("werkzeug.socket")
    if connection is None:
        return
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
