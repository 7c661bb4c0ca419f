"""Injected faults and rate limits behave the same way on every run, seen through the real SDK."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MulticastRequest,
    PushMessageRequest,
    TextMessage,
)

from bot.sandbox import Sandbox
from tests.sandbox.conftest import SECRET, TOKEN

PUSH = "/v2/bot/message/push"


def _push(api: MessagingApi, user_id: str, key: str | None = None, **kwargs):
    request = PushMessageRequest(to=user_id, messages=[TextMessage(text="แจ้งเตือน")])
    return api.push_message(request, x_line_retry_key=key, **kwargs)


def _statuses(api: MessagingApi, user_id: str, count: int) -> list[int]:
    statuses = []
    for _ in range(count):
        try:
            _push(api, user_id)
            statuses.append(200)
        except ApiException as error:
            statuses.append(error.status)
    return statuses


def test_fault_for_the_next_n_calls(sandbox, line_api):
    sandbox.faults.add(path=PUSH, status=500, times=2)
    assert _statuses(line_api, sandbox.user().user_id, 3) == [500, 500, 200]


def test_rate_fault_is_reproducible_with_a_seed(sandbox, line_api):
    user_id = sandbox.user().user_id
    sandbox.faults.add(path=PUSH, status=503, rate=0.5)
    sandbox.faults.seed(7)
    first = _statuses(line_api, user_id, 20)
    sandbox.faults.seed(7)
    second = _statuses(line_api, user_id, 20)
    assert first == second
    assert {200, 503} == set(first)


def test_injected_500_is_not_accepted_so_the_same_retry_key_succeeds_once(sandbox, line_api):
    user_id, key = sandbox.user().user_id, str(uuid.uuid4())
    sandbox.faults.add(path=PUSH, status=500, times=1)
    with pytest.raises(ApiException) as failed:
        _push(line_api, user_id, key)
    _push(line_api, user_id, key)
    with pytest.raises(ApiException) as repeated:
        _push(line_api, user_id, key)
    assert (failed.value.status, repeated.value.status) == (500, 409)
    assert len(sandbox.messages_for(user_id)) == 1


def test_quota_429_carries_the_given_message(sandbox, line_api):
    sandbox.faults.add(path=PUSH, status=429, times=1, message="You have reached your monthly limit.")
    with pytest.raises(ApiException) as caught:
        _push(line_api, sandbox.user().user_id)
    assert caught.value.status == 429
    assert json.loads(caught.value.body) == {"message": "You have reached your monthly limit."}


def test_timeout_fault_outlasts_the_client_timeout_and_accepts_nothing(sandbox, line_api):
    user_id, key = sandbox.user().user_id, str(uuid.uuid4())
    sandbox.faults.add(path=PUSH, status=None, timeout=True, times=1)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        _push(line_api, user_id, key, _request_timeout=(2, 0.3))
    sandbox.faults.clear()
    _push(line_api, user_id, key)
    assert len(sandbox.messages_for(user_id)) == 1


def test_lost_answer_after_acceptance_makes_the_retry_a_409(sandbox, line_api):
    user_id, key = sandbox.user().user_id, str(uuid.uuid4())
    sandbox.faults.add(path=PUSH, status=None, timeout=0.5, accept=True, times=1)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        _push(line_api, user_id, key, _request_timeout=(2, 0.2))
    with pytest.raises(ApiException) as repeated:
        _push(line_api, user_id, key)
    assert repeated.value.status == 409
    assert len(sandbox.messages_for(user_id)) == 1


def test_latency_delays_the_answer_without_failing_it(sandbox, line_api):
    sandbox.faults.add(path="/v2/bot/profile/*", status=None, latency=0.3)
    user = sandbox.user()
    started = time.monotonic()
    line_api.get_profile(user.user_id)
    assert time.monotonic() - started >= 0.3


def test_per_endpoint_rate_limit_answers_429_until_the_bucket_refills(clock):
    limits = {"/v2/bot/message/multicast": 2}
    with Sandbox(SECRET, TOKEN, clock=clock, rate_limits=limits) as sb, \
            ApiClient(Configuration(host=sb.base_url, access_token=TOKEN)) as client:
        api, request = MessagingApi(client), MulticastRequest(to=[sb.user().user_id],
                                                              messages=[TextMessage(text="x")])
        api.multicast(request)
        api.multicast(request)
        with pytest.raises(ApiException) as caught:
            api.multicast(request)
        clock.advance(1)
        api.multicast(request)
    assert caught.value.status == 429
    assert json.loads(caught.value.body) == {"message": "Too Many Requests"}
