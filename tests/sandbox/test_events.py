"""Webhook events are built, signed and posted exactly as LINE does: checked against webhook.yml and
parsed by the SDK's own WebhookParser."""

from __future__ import annotations

import json
import threading

import pytest
from flask import Flask, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhooks import (
    FileMessageContent,
    FollowEvent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
)
from ulid import ULID
from werkzeug.serving import make_server

from bot.sandbox import Sandbox
from tests.openapi_check import assert_valid_schema
from tests.sandbox.conftest import SECRET, TOKEN

USER_ACTIONS = [
    ("follow", lambda user: user.follow(), FollowEvent, None),
    ("text", lambda user: user.send_text("สวัสดีครับ 👋"), MessageEvent, TextMessageContent),
    ("postback", lambda user: user.tap_postback("action=join&id=7", "เข้าร่วม", {"date": "2026-01-31"}),
     PostbackEvent, None),
    ("location", lambda user: user.send_location("บ้าน", "เชียงใหม่", 18.79, 98.98), MessageEvent,
     LocationMessageContent),
    ("image", lambda user: user.send_image(), MessageEvent, ImageMessageContent),
    ("sticker", lambda user: user.send_sticker(), MessageEvent, StickerMessageContent),
    ("video", lambda user: user.send_video(), MessageEvent, None),
    ("audio", lambda user: user.send_audio(), MessageEvent, None),
    ("file", lambda user: user.send_file(), MessageEvent, FileMessageContent),
    ("unfollow", lambda user: user.unfollow(), UnfollowEvent, None),
]


def _parse(body: str, headers: dict):
    return WebhookParser(SECRET).parse(body, headers["X-Line-Signature"], as_payload=True)


@pytest.mark.parametrize(("name", "act", "event_class", "content_class"), USER_ACTIONS,
                         ids=[action[0] for action in USER_ACTIONS])
def test_user_action_posts_one_signed_event_valid_for_spec_and_sdk(sandbox, fake_bot, spec_dir, name, act,
                                                                   event_class, content_class):
    result = act(sandbox.user())
    [(body, headers)] = fake_bot.deliveries

    assert_valid_schema("webhook.yml", "CallbackRequest", json.loads(body))
    payload = _parse(body, headers)
    assert result.status == 200 and len(result.events) == 1
    assert payload.destination == sandbox.bot_user_id
    [event] = payload.events
    assert isinstance(event, event_class)
    if content_class is not None:
        assert isinstance(event.message, content_class)


def test_common_fields_follow_line(sandbox, clock):
    user = sandbox.user()
    event = sandbox.build_event(user.user_id, "message", message={"type": "text", "text": "hi"})
    assert event["timestamp"] == int(clock() * 1000)
    assert ULID.from_str(event["webhookEventId"]).timestamp == pytest.approx(clock(), abs=0.001)
    assert event["mode"] == "active" and event["deliveryContext"] == {"isRedelivery": False}
    assert event["source"] == {"type": "user", "userId": user.user_id}
    assert {"id", "quoteToken", "markAsReadToken"} <= set(event["message"])
    assert len(event["replyToken"]) == 32


def test_standby_and_unfollow_events_carry_no_reply_token(sandbox):
    user_id = sandbox.user().user_id
    assert "replyToken" not in sandbox.build_event(user_id, "message", mode="standby",
                                                   message={"type": "text", "text": "x"})
    assert "replyToken" not in sandbox.build_event(user_id, "unfollow")


def test_follow_after_block_says_unblocked(sandbox):
    user = sandbox.user()
    first, _, again = user.follow(), user.unfollow(), user.follow()
    assert first.events[0]["follow"] == {"isUnblocked": False}
    assert again.events[0]["follow"] == {"isUnblocked": True}


def test_batch_holds_events_of_several_users_in_one_signed_post(sandbox, fake_bot, spec_dir):
    fah, somchai = sandbox.user(), sandbox.user(display_name="พี่สมชาย")
    events = [sandbox.build_event(fah.user_id, "follow"),
              sandbox.build_event(somchai.user_id, "message", message={"type": "text", "text": "ดีครับ"}),
              sandbox.build_event(fah.user_id, "postback", postback={"data": "menu=home"})]
    result = sandbox.post_events(events)
    [(body, headers)] = fake_bot.deliveries
    assert_valid_schema("webhook.yml", "CallbackRequest", json.loads(body))
    assert result.status == 200
    assert [type(event) for event in _parse(body, headers).events] == [FollowEvent, MessageEvent, PostbackEvent]


def test_redelivery_keeps_id_and_timestamp_and_sets_is_redelivery(sandbox, fake_bot, clock):
    original = sandbox.user().send_text("ซ้ำ").events[0]
    clock.advance(30)
    [again] = sandbox.post_events([original], redelivery=True).events
    assert again["webhookEventId"] == original["webhookEventId"]
    assert again["timestamp"] == original["timestamp"]
    assert again["deliveryContext"] == {"isRedelivery": True}
    assert json.loads(fake_bot.deliveries[-1][0])["events"][0]["deliveryContext"]["isRedelivery"] is True


def test_signature_is_lines_and_a_changed_body_is_refused(sandbox, fake_bot):
    sandbox.user().send_text("ลายเซ็น")
    body, headers = fake_bot.deliveries[0]
    assert sandbox.sign(body) == headers["X-Line-Signature"]
    assert "ลายเซ็น" in body  # raw UTF-8, as LINE sends it
    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(body.replace("ลายเซ็น", "ลายเซ็m"), headers["X-Line-Signature"])


def test_webhook_is_posted_over_http_to_the_webhook_url(clock):
    received: list[tuple[str, str]] = []
    bot = Flask("fake_bot")

    @bot.post("/callback")
    def callback():
        received.append((request.get_data(as_text=True), request.headers["X-Line-Signature"]))
        return "OK"

    server = make_server("127.0.0.1", 0, bot, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with Sandbox(SECRET, TOKEN, clock=clock) as sb:
            unreachable = sb.user().send_text("ยังไม่มีบอท")
            sb.webhook_url = f"http://127.0.0.1:{server.server_port}/callback"
            delivered = sb.user().send_text("มีบอทแล้ว")
    finally:
        server.shutdown()
    assert unreachable.status == 0
    assert (delivered.status, delivered.text) == (200, "OK")
    [(body, signature)] = received
    assert WebhookParser(SECRET).parse(body, signature)[0].message.text == "มีบอทแล้ว"
