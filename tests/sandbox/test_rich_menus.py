"""Rich menu basics through the real SDK: create, upload, per-user link beats the default."""

from __future__ import annotations

import pytest
from linebot.v3.messaging import ApiException, RichMenuRequest

from bot.sandbox.media import solid_png

MENU = {
    "size": {"width": 2500, "height": 843}, "selected": True, "name": "main", "chatBarText": "เมนู",
    "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
               "action": {"type": "postback", "label": "รายงาน", "data": "menu=report"}}],
}


def _create(line_api) -> str:
    return line_api.create_rich_menu(RichMenuRequest.from_dict(MENU)).rich_menu_id


def test_default_menu_and_per_user_link(sandbox, line_api, line_blob):
    fah, somchai = sandbox.user(), sandbox.user(display_name="พี่สมชาย")
    default_id, mentor_id = _create(line_api), _create(line_api)
    image = solid_png(250, 84)
    line_blob.set_rich_menu_image(default_id, image, _headers={"Content-Type": "image/png"})
    line_api.set_default_rich_menu(default_id)
    line_api.link_rich_menu_id_to_user(somchai.user_id, mentor_id)

    assert line_blob.get_rich_menu_image(default_id) == image
    assert line_api.get_rich_menu_id_of_user(somchai.user_id).rich_menu_id == mentor_id
    assert sandbox.rich_menus.menu_for(fah.user_id)["richMenuId"] == default_id
    assert sandbox.rich_menus.menu_for(somchai.user_id)["richMenuId"] == mentor_id
    assert line_api.get_rich_menu(mentor_id).chat_bar_text == "เมนู"


def test_image_is_uploaded_once_and_must_be_an_image(sandbox, line_api, line_blob):
    menu_id = _create(line_api)
    with pytest.raises(ApiException) as wrong_type:
        line_blob.set_rich_menu_image(menu_id, b"GIF89a", _headers={"Content-Type": "image/gif"})
    line_blob.set_rich_menu_image(menu_id, solid_png(), _headers={"Content-Type": "image/png"})
    with pytest.raises(ApiException) as second:
        line_blob.set_rich_menu_image(menu_id, solid_png(), _headers={"Content-Type": "image/png"})
    assert (wrong_type.value.status, second.value.status) == (415, 400)


def test_unknown_menu_is_404(line_api):
    with pytest.raises(ApiException) as caught:
        line_api.set_default_rich_menu("richmenu-" + "0" * 32)
    assert caught.value.status == 404
