"""The sandbox answers the real line-bot-sdk as LINE does: reply tokens, retry keys, auth, delivery."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    BroadcastRequest,
    Configuration,
    MarkMessagesAsReadByTokenRequest,
    MessagingApi,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)

from bot.sandbox import Sandbox
from bot.sandbox.media import solid_png
from tests.sandbox.conftest import SECRET, TOKEN, raw_post


def _text(text: str = "สวัสดีค่ะ") -> list[TextMessage]:
    return [TextMessage(text=text)]


def _error_message(caught: pytest.ExceptionInfo) -> str:
    return json.loads(caught.value.body)["message"]


def _reply_token(result) -> str:
    return result.events[0]["replyToken"]


def test_reply_token_is_accepted_once_then_refused(sandbox, line_api):
    user = sandbox.user(display_name="น้องฟ้า")
    token = _reply_token(user.send_text("สวัสดี"))

    answer = line_api.reply_message(ReplyMessageRequest(reply_token=token, messages=_text("ยินดีต้อนรับ")))
    with pytest.raises(ApiException) as caught:
        line_api.reply_message(ReplyMessageRequest(reply_token=token, messages=_text("อีกครั้ง")))

    assert len(answer.sent_messages) == 1 and answer.sent_messages[0].id
    assert caught.value.status == 400 and _error_message(caught) == "Invalid reply token"
    assert caught.value.headers["X-Line-Request-Id"]
    assert sandbox.messages_for(user.user_id) == [{"type": "text", "text": "ยินดีต้อนรับ"}]


def test_reply_token_expires_one_minute_after_the_event(sandbox, line_api, clock):
    user = sandbox.user()
    fresh, stale = _reply_token(user.send_text("a")), _reply_token(user.send_text("b"))
    clock.advance(59)
    line_api.reply_message(ReplyMessageRequest(reply_token=fresh, messages=_text()))
    clock.advance(2)
    with pytest.raises(ApiException) as caught:
        line_api.reply_message(ReplyMessageRequest(reply_token=stale, messages=_text()))
    assert caught.value.status == 400 and _error_message(caught) == "Invalid reply token"


def test_unknown_reply_token_is_refused(line_api):
    with pytest.raises(ApiException) as caught:
        line_api.reply_message(ReplyMessageRequest(reply_token="0" * 32, messages=_text()))
    assert caught.value.status == 400


def test_redelivered_event_reopens_its_unused_token_for_a_minute(sandbox, line_api, clock):
    user = sandbox.user()
    unused, used = user.send_text("first"), user.send_text("second")
    line_api.reply_message(ReplyMessageRequest(reply_token=_reply_token(used), messages=_text()))
    clock.advance(5 * 60)

    sandbox.post_events(unused.events + used.events, redelivery=True)

    line_api.reply_message(ReplyMessageRequest(reply_token=_reply_token(unused), messages=_text()))
    with pytest.raises(ApiException):
        line_api.reply_message(ReplyMessageRequest(reply_token=_reply_token(used), messages=_text()))


def test_redelivery_after_twenty_minutes_does_not_reopen_the_token(sandbox, line_api, clock):
    result = sandbox.user().send_text("late")
    clock.advance(21 * 60)
    sandbox.post_events(result.events, redelivery=True)
    with pytest.raises(ApiException) as caught:
        line_api.reply_message(ReplyMessageRequest(reply_token=_reply_token(result), messages=_text()))
    assert caught.value.status == 400


def test_repeated_retry_key_gets_409_with_the_original_request_id(sandbox, line_api):
    user = sandbox.user()
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=user.user_id, messages=_text("แจ้งเตือน"))

    first = line_api.push_message_with_http_info(request, x_line_retry_key=key)
    with pytest.raises(ApiException) as caught:
        line_api.push_message(request, x_line_retry_key=key)

    assert first.status_code == 200
    assert caught.value.status == 409
    assert caught.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    body = json.loads(caught.value.body)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"] == [m.to_dict() for m in first.data.sent_messages]
    assert len(sandbox.messages_for(user.user_id)) == 1


def test_retry_key_is_forgotten_after_24_hours(sandbox, line_api, clock):
    user, key = sandbox.user(), str(uuid.uuid4())
    line_api.push_message(PushMessageRequest(to=user.user_id, messages=_text()), x_line_retry_key=key)
    clock.advance(24 * 3600 + 1)
    line_api.push_message(PushMessageRequest(to=user.user_id, messages=_text()), x_line_retry_key=key)
    assert len(sandbox.messages_for(user.user_id)) == 2


def test_multicast_repeat_gets_409_without_sent_messages(sandbox, line_api):
    ids, key = [sandbox.user().user_id for _ in range(3)], str(uuid.uuid4())
    line_api.multicast(MulticastRequest(to=ids, messages=_text()), x_line_retry_key=key)
    with pytest.raises(ApiException) as caught:
        line_api.multicast(MulticastRequest(to=ids, messages=_text()), x_line_retry_key=key)
    assert caught.value.status == 409 and "sentMessages" not in json.loads(caught.value.body)
    assert all(len(sandbox.messages_for(user_id)) == 1 for user_id in ids)


def test_retry_key_on_reply_and_malformed_key_are_refused(sandbox, line_api):
    token = _reply_token(sandbox.user().send_text("hi"))
    body = {"replyToken": token, "messages": [{"type": "text", "text": "x"}]}
    reply = raw_post(sandbox, "/v2/bot/message/reply", body, headers={"X-Line-Retry-Key": str(uuid.uuid4())})
    with pytest.raises(ApiException) as caught:
        line_api.push_message(PushMessageRequest(to=sandbox.user().user_id, messages=_text()),
                              x_line_retry_key="not-a-uuid")
    assert reply.status_code == 400 and reply.headers["X-Line-Request-Id"]
    assert caught.value.status == 400
    line_api.reply_message(ReplyMessageRequest(reply_token=token, messages=_text()))  # token not consumed


def test_wrong_access_token_gets_401(sandbox):
    user_id = sandbox.user().user_id
    with ApiClient(Configuration(host=sandbox.base_url, access_token="wrong")) as client, \
            pytest.raises(ApiException) as caught:
        MessagingApi(client).push_message(PushMessageRequest(to=user_id, messages=_text()))
    assert caught.value.status == 401
    assert _error_message(caught).startswith("Authentication failed")


def test_user_who_blocked_the_bot_gets_nothing_and_has_no_profile(sandbox, line_api):
    user = sandbox.user()
    user.follow()
    user.unfollow()
    line_api.push_message(PushMessageRequest(to=user.user_id, messages=_text()))
    with pytest.raises(ApiException) as caught:
        line_api.get_profile(user.user_id)
    assert sandbox.messages_for(user.user_id) == []
    assert caught.value.status == 404


def test_profile_of_a_friend(sandbox, line_api):
    user = sandbox.user(display_name="พี่สมชาย", language="th")
    user.follow()
    profile = line_api.get_profile(user.user_id)
    assert (profile.display_name, profile.user_id, profile.language) == ("พี่สมชาย", user.user_id, "th")


def test_multicast_and_broadcast_reach_friends_only_and_count_quota(sandbox, line_api):
    friends = [sandbox.user() for _ in range(2)]
    blocked = sandbox.user()
    blocked.unfollow()
    ids = [user.user_id for user in [*friends, blocked]]

    line_api.multicast(MulticastRequest(to=ids, messages=_text("ประชุม")))
    line_api.broadcast(BroadcastRequest(messages=_text("ข่าว")))

    for friend in friends:
        assert [m["text"] for m in sandbox.messages_for(friend.user_id)] == ["ประชุม", "ข่าว"]
    assert sandbox.messages_for(blocked.user_id) == []
    assert line_api.get_message_quota_consumption().total_usage == 4


def test_narrowcast_is_accepted_with_202(sandbox):
    response = raw_post(sandbox, "/v2/bot/message/narrowcast", {"messages": [{"type": "text", "text": "x"}]})
    assert response.status_code == 202


def test_monthly_quota_exhausted_gets_429_with_lines_message(clock):
    with Sandbox(SECRET, TOKEN, clock=clock, monthly_quota=1) as sb:
        user = sb.user()
        with ApiClient(Configuration(host=sb.base_url, access_token=TOKEN)) as client:
            api = MessagingApi(client)
            api.push_message(PushMessageRequest(to=user.user_id, messages=_text()))
            with pytest.raises(ApiException) as caught:
                api.push_message(PushMessageRequest(to=user.user_id, messages=_text()))
            assert api.get_message_quota().value == 1
    assert caught.value.status == 429
    assert _error_message(caught) == "You have reached your monthly limit."


def test_image_content_is_served_to_the_blob_api(sandbox, line_blob):
    picture = solid_png(4, 3, (200, 30, 30))
    message = sandbox.user().send_image(picture).events[0]["message"]
    assert line_blob.get_message_content(message["id"]) == picture


def test_loading_animation_and_mark_as_read(sandbox, line_api):
    user = sandbox.user()
    message = user.send_text("รอแป๊บ").events[0]["message"]
    line_api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=user.user_id, loading_seconds=10))
    line_api.mark_messages_as_read_by_token(
        MarkMessagesAsReadByTokenRequest(mark_as_read_token=message["markAsReadToken"]))
    feed = sandbox.app.test_client().get(f"/sandbox/chat/{user.user_id}").get_json()
    assert feed["loading"] is True
    assert feed["entries"][-1]["read"] is True
    assert [call["status"] for call in sandbox.calls()] == [202, 200]


def test_calls_are_recorded_with_redacted_token(sandbox, line_api):
    user = sandbox.user()
    line_api.push_message(PushMessageRequest(to=user.user_id, messages=_text("บันทึก")))
    [call] = sandbox.calls("/v2/bot/message/push")
    assert call["method"] == "POST" and call["status"] == 200
    assert call["headers"]["authorization"] == "Bearer ***"
    assert TOKEN not in json.dumps(call)
    assert call["body"] == {"to": user.user_id, "messages": [{"type": "text", "text": "บันทึก"}],
                            "notificationDisabled": False}
    assert call["response"]["sentMessages"][0]["id"]
    sandbox.clear_calls()
    assert sandbox.calls() == []


def test_bodies_can_be_left_out_of_the_record(clock):
    with Sandbox(SECRET, TOKEN, clock=clock, record_bodies=False) as sb:
        raw_post(sb, "/v2/bot/message/push", {"to": sb.user().user_id, "messages": [{"type": "text", "text": "x"}]})
        [call] = sb.calls()
    assert call["status"] == 200 and call["body"] is None


def test_concurrent_retries_with_one_key_deliver_exactly_once(sandbox):
    user_id, key = sandbox.user().user_id, str(uuid.uuid4())
    body = {"to": user_id, "messages": [{"type": "text", "text": "ครั้งเดียว"}]}
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(
            lambda _: raw_post(sandbox, "/v2/bot/message/push", body, headers={"X-Line-Retry-Key": key}).status_code,
            range(16)))
    assert sorted(statuses) == [200] + [409] * 15
    assert len(sandbox.messages_for(user_id)) == 1
