"""Bodies are refused as LINE refuses them: the SDK's models plus limits the SDK does not check."""

from __future__ import annotations

import json

import pytest
from linebot.v3.messaging import ApiException, PushMessageRequest, TextMessage

from tests.sandbox.conftest import raw_post

PUSH = "/v2/bot/message/push"


def _text(text: str = "x") -> dict:
    return {"type": "text", "text": text}


def _bubble_with(components: list[dict]) -> dict:
    return {"type": "flex", "altText": "สรุป",
            "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": components}}}


def _push(sandbox, *messages: dict):
    return raw_post(sandbox, PUSH, {"to": sandbox.user().user_id, "messages": list(messages)})


def test_text_of_5001_utf16_units_is_refused_even_through_the_sdk(sandbox, line_api):
    user = sandbox.user()
    emoji_text = "😀" * 2501  # 2,501 characters, 5,002 UTF-16 code units
    line_api.push_message(PushMessageRequest(to=user.user_id, messages=[TextMessage(text="😀" * 2500)]))
    with pytest.raises(ApiException) as caught:
        line_api.push_message(PushMessageRequest(to=user.user_id, messages=[TextMessage(text=emoji_text)]))
    body = json.loads(caught.value.body)
    assert caught.value.status == 400
    assert body["details"] == [{"message": "Length must be between 0 and 5000", "property": "messages[0].text"}]
    assert len(sandbox.messages_for(user.user_id)) == 1


def test_six_messages_are_refused(sandbox):
    response = _push(sandbox, *[_text()] * 6)
    assert response.status_code == 400
    assert response.json()["details"][0]["property"] == "messages"
    assert response.headers["X-Line-Request-Id"]


def test_501_multicast_ids_are_refused_and_500_accepted(sandbox):
    ids = [f"U{i:032x}" for i in range(501)]
    too_many = raw_post(sandbox, "/v2/bot/message/multicast", {"to": ids, "messages": [_text()]})
    enough = raw_post(sandbox, "/v2/bot/message/multicast", {"to": ids[:500], "messages": [_text()]})
    assert too_many.status_code == 400 and too_many.json()["details"][0]["property"] == "to"
    assert enough.status_code == 200


@pytest.mark.parametrize(
    ("message", "expected_property"),
    [
        ({"type": "text"}, "messages[0].text"),
        ({"type": "nope"}, "messages[0]"),
        (_bubble_with([{"type": "button", "action": {"type": "postback", "label": "ok", "data": "d" * 301}}]),
         "messages[0].contents.body.contents[0].action.data"),
        ({**_text(), "quickReply": {"items": [
            {"type": "action", "action": {"type": "message", "label": str(i), "text": "x"}} for i in range(14)]}},
         "messages[0].quickReply.items"),
        ({"type": "template", "altText": "a" * 1501,
          "template": {"type": "confirm", "text": "ยืนยัน?", "actions": [
              {"type": "message", "label": "ใช่", "text": "ใช่"}, {"type": "message", "label": "ไม่", "text": "ไม่"}]}},
         "messages[0].altText"),
        (_bubble_with([{"type": "text", "text": "ก" * 31_000}]), "messages[0].contents"),
    ],
    ids=["text-missing", "unknown-type", "postback-301", "quick-reply-14", "alt-text-1501", "bubble-over-30kb"],
)
def test_invalid_message_gets_lines_error_shape(sandbox, message, expected_property):
    response = _push(sandbox, _text("ok"), message)
    body = response.json()
    assert response.status_code == 400
    assert body["message"].startswith("The request body has")
    assert expected_property.replace("messages[0]", "messages[1]") in [d["property"] for d in body["details"]]


def _image(url: str) -> dict:
    return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}


def test_image_urls_must_be_https_except_http_on_loopback_for_the_local_chat_page(sandbox):
    for accepted in ("https://bot.example.org/join/ABCD2345.png", "http://127.0.0.1:8000/join/ABCD2345.png",
                     "http://localhost:8000/q.png"):
        assert _push(sandbox, _image(accepted)).status_code == 200, accepted
    for refused in ("http://bot.example.org/q.png", "http://192.168.1.5:8000/q.png", "ftp://127.0.0.1/q.png",
                    "https://bot.example.org/" + "a" * 2000):
        response = _push(sandbox, _image(refused))
        assert response.status_code == 400, refused
        assert "messages[0].originalContentUrl" in [d["property"] for d in response.json()["details"]]


def test_flex_carousel_may_be_larger_than_a_bubble_up_to_50kb(sandbox):
    bubble = _bubble_with([{"type": "text", "text": "ก" * 3_000}])["contents"]
    carousel = {"type": "flex", "altText": "หลายใบ", "contents": {"type": "carousel", "contents": [bubble] * 4}}
    assert _push(sandbox, carousel).status_code == 200
    carousel["contents"]["contents"] = [bubble] * 6
    assert _push(sandbox, carousel).status_code == 400


def test_body_that_is_not_json_is_refused(sandbox):
    response = raw_post(sandbox, PUSH, None)
    assert response.status_code == 400
