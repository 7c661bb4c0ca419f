"""The /sandbox JSON views that people, other processes and the chat page use."""

from __future__ import annotations

from tests.sandbox.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _push(client, user_id: str, text: str = "สวัสดี"):
    return client.post("/v2/bot/message/push", headers=AUTH,
                       json={"to": user_id, "messages": [{"type": "text", "text": text}]})


def test_calls_can_be_listed_filtered_and_cleared(sandbox):
    client, user_id = sandbox.app.test_client(), sandbox.user().user_id
    _push(client, user_id)
    client.get(f"/v2/bot/profile/{user_id}", headers=AUTH)

    calls = client.get("/sandbox/calls").get_json()
    pushes = client.get("/sandbox/calls?path=/v2/bot/message/push").get_json()
    assert [call["path"] for call in calls] == ["/v2/bot/message/push", f"/v2/bot/profile/{user_id}"]
    assert len(pushes) == 1 and pushes[0]["headers"]["authorization"] == "Bearer ***"
    assert client.delete("/sandbox/calls").status_code == 204
    assert client.get("/sandbox/calls").get_json() == []


def test_faults_can_be_injected_and_cleared_over_http(sandbox):
    client, user_id = sandbox.app.test_client(), sandbox.user().user_id
    added = client.post("/sandbox/faults", json={"path": "/v2/bot/message/push", "status": 503, "times": 1})
    assert added.status_code == 201 and client.get("/sandbox/faults").get_json()[0]["status"] == 503
    assert _push(client, user_id).status_code == 503
    assert _push(client, user_id).status_code == 200
    client.post("/sandbox/faults", json={"path": "/v2/bot/message/push", "status": 500})
    client.delete("/sandbox/faults")
    assert _push(client, user_id).status_code == 200


def test_users_act_and_their_chat_is_readable(sandbox, fake_bot):
    client = sandbox.app.test_client()
    created = client.post("/sandbox/users", json={"displayName": "น้องใหม่"}).get_json()
    user_id = created["userId"]

    acted = [client.post(f"/sandbox/users/{user_id}/{action}", json=body).get_json()
             for action, body in [("follow", {}), ("text", {"text": "สวัสดี"}),
                                  ("postback", {"data": "a=1", "displayText": "ตกลง"}),
                                  ("location", {"title": "โรงเรียน", "address": "ลำปาง",
                                                "latitude": 18.29, "longitude": 99.49})]]
    _push(client, user_id, "ตอบกลับ")
    feed = client.get(f"/sandbox/chat/{user_id}").get_json()
    later = client.get(f"/sandbox/chat/{user_id}?after={feed['next']}").get_json()

    assert [result["status"] for result in acted] == [200] * 4 and len(fake_bot.deliveries) == 4
    assert [(entry["from"], entry["kind"]) for entry in feed["entries"]] == [
        ("user", "follow"), ("user", "message"), ("user", "postback"), ("user", "message"), ("bot", "message")]
    assert feed["entries"][2]["text"] == "ตกลง"
    assert later["entries"] == [] and feed["user"]["status"] == "friend"
    assert client.get(f"/sandbox/users/{user_id}/messages").get_json() == [{"type": "text", "text": "ตอบกลับ"}]
    assert user_id in [user["userId"] for user in client.get("/sandbox/users").get_json()]


def test_photo_sent_from_the_page_is_kept_as_content(sandbox):
    client, user_id = sandbox.app.test_client(), sandbox.user().user_id
    photo = b"\xff\xd8\xff\xe0fake-jpeg"
    client.post(f"/sandbox/users/{user_id}/image", data=photo, content_type="image/jpeg")
    message = client.get(f"/sandbox/chat/{user_id}").get_json()["entries"][-1]["message"]
    content = client.get(f"/v2/bot/message/{message['id']}/content", headers=AUTH)
    assert content.data == photo and content.mimetype == "image/jpeg"
    assert client.get(f"/sandbox/media/{message['id']}").data == photo


def test_presets_are_the_three_roles_with_fixed_ids(sandbox):
    client = sandbox.app.test_client()
    first = client.post("/sandbox/users/presets").get_json()
    again = client.post("/sandbox/users/presets").get_json()
    assert [(user["displayName"], user["role"]) for user in first] == [
        ("น้องฟ้า", "youth"), ("พี่สมชาย", "mentor"), ("คุณวิภา", "coordinator")]
    assert first == again


def test_unknown_user_and_action_are_404(sandbox):
    client, user_id = sandbox.app.test_client(), sandbox.user().user_id
    assert client.get("/sandbox/chat/Unobody").status_code == 404
    assert client.post(f"/sandbox/users/{user_id}/dance").status_code == 404
