"""Fixtures for the LINE sandbox tests: a fake clock, a running sandbox whose webhook goes to an
in-test fake bot, and the real line-bot-sdk pointed at the sandbox over loopback."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import pytest
import requests
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, MessagingApiBlob

from bot.sandbox import Sandbox
from tests.openapi_check import SPEC_DIR, assert_valid_request

SECRET = "test-channel-secret"
TOKEN = "test-access-token"


class FakeClock:
    """Seconds since the epoch that only move when a test says so."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeBot:
    """A webhook transport that records what LINE would have posted and answers 200."""

    deliveries: list[tuple[str, dict]] = field(default_factory=list)

    def __call__(self, body: str, headers: dict) -> tuple[int, str]:
        self.deliveries.append((body, headers))
        return 200, "OK"

    def bodies(self) -> list[dict]:
        return [json.loads(body) for body, _ in self.deliveries]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def sandbox(clock, fake_bot):
    """A started sandbox; on teardown every accepted call must match messaging-api.yml."""
    sb = Sandbox(SECRET, TOKEN, webhook_transport=fake_bot, clock=clock).start()
    yield sb
    sb.stop()
    if SPEC_DIR.is_dir():
        for call in sb.calls():
            if call["status"] < 300:
                assert_valid_request(call)


@pytest.fixture
def api_client(sandbox):
    with ApiClient(Configuration(host=sandbox.base_url, access_token=TOKEN)) as client:
        yield client


@pytest.fixture
def line_api(api_client) -> MessagingApi:
    return MessagingApi(api_client)


@pytest.fixture
def line_blob(api_client) -> MessagingApiBlob:
    return MessagingApiBlob(api_client)


@pytest.fixture
def spec_dir():
    if not SPEC_DIR.is_dir():
        message = f"LINE OpenAPI specs not found at {SPEC_DIR} (set LINE_OPENAPI_DIR)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return SPEC_DIR


def raw_post(sandbox: Sandbox, path: str, body: object, token: str = TOKEN,
             headers: dict | None = None) -> requests.Response:
    """POST raw JSON that the SDK would refuse to build, to see what the sandbox answers."""
    sent_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
    return requests.post(sandbox.base_url + path, json=body, headers=sent_headers, timeout=5)
