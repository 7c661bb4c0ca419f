"""tests/openapi_check.py tells valid request bodies from invalid ones, discriminators included."""

from __future__ import annotations

import pytest

from tests.openapi_check import assert_valid_request, assert_valid_schema

BUBBLE = {
    "type": "bubble",
    "body": {"type": "box", "layout": "vertical", "contents": [
        {"type": "text", "text": "กิจกรรมปลูกป่า", "weight": "bold"},
        {"type": "separator"},
        {"type": "button", "action": {"type": "uri", "label": "โทร", "uri": "tel:1300"}},
    ]},
}


def _push(*messages: dict) -> dict:
    return {"method": "POST", "path": "/v2/bot/message/push",
            "body": {"to": "U" + "0" * 32, "messages": list(messages)}}


def test_valid_bodies_pass(spec_dir):
    quick_reply = {"items": [{"type": "action", "action": {"type": "postback", "label": "ใช่", "data": "y"}}]}
    assert_valid_request(_push({"type": "text", "text": "สวัสดี", "quickReply": quick_reply},
                               {"type": "flex", "altText": "กิจกรรม", "contents": BUBBLE}))
    assert_valid_request({"method": "POST", "path": "/v2/bot/message/reply",
                          "body": {"replyToken": "t", "messages": [{"type": "sticker", "packageId": "446",
                                                                    "stickerId": "1988"}]}})
    assert_valid_request({"method": "GET", "path": "/v2/bot/profile/U123", "body": None})


@pytest.mark.parametrize(
    ("call", "complaint"),
    [
        (_push(*[{"type": "text", "text": "x"}] * 6), "messages"),
        (_push({"type": "txt", "text": "x"}), "is not one of"),
        (_push({"type": "text"}), "'text' is a required property"),
        (_push({"type": "flex", "altText": "a", "contents": {**BUBBLE, "body": {
            "type": "box", "layout": "vertical", "contents": [{"type": "buton"}]}}}), "messages/0/contents/body"),
        (_push({"type": "text", "text": "x", "quickReply": {"items": [{"type": "action", "action": {
            "type": "postback", "label": "l", "data": "d" * 301}}]}}), "is too long"),
        ({"method": "POST", "path": "/v2/bot/message/multicast",
          "body": {"to": ["U1"] * 501, "messages": [{"type": "text", "text": "x"}]}}, "at to"),
        ({"method": "POST", "path": "/v2/bot/nowhere", "body": {}}, "not an operation"),
        ({"method": "GET", "path": "/v2/bot/profile/U1", "body": {"x": 1}}, "takes no JSON body"),
    ],
    ids=["six-messages", "unknown-message-type", "text-missing", "unknown-flex-component", "postback-301",
         "multicast-501", "unknown-path", "body-on-get"],
)
def test_invalid_bodies_are_reported_where_they_break(spec_dir, call, complaint):
    with pytest.raises(AssertionError) as caught:
        assert_valid_request(call)
    assert complaint in str(caught.value)


def test_webhook_schema_dispatches_on_event_type(spec_dir):
    body = {"destination": "U" + "a" * 32, "events": [{
        "type": "follow", "timestamp": 1, "mode": "active", "webhookEventId": "01H",
        "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": "U1"}}]}
    with pytest.raises(AssertionError) as caught:
        assert_valid_schema("webhook.yml", "CallbackRequest", body)
    assert "'replyToken' is a required property" in str(caught.value)
