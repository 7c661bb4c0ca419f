"""Rich menu basics: create, upload the image, link per user, set the default (per-user wins)."""

from __future__ import annotations

import secrets

from flask import Blueprint
from linebot.v3.messaging import RichMenuRequest

from bot.sandbox.body_validation import validate_body
from bot.sandbox.errors import ApiError
from bot.sandbox.pipeline import ApiCall, ApiReply, api_route

rich_menu_api = Blueprint("line_rich_menu_api", __name__)

MAX_IMAGE_BYTES = 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg")
NOT_FOUND = "Not found"


class RichMenuStore:
    """Rich menus, their images and links (guarded by Sandbox.lock)."""

    def __init__(self) -> None:
        self.menus: dict[str, dict] = {}
        self.images: dict[str, tuple[bytes, str]] = {}
        self.default_id: str | None = None
        self.links: dict[str, str] = {}

    def menu_for(self, user_id: str) -> dict | None:
        """The menu a user sees: their linked menu, else the default."""
        menu_id = self.links.get(user_id) or self.default_id
        return self.menus.get(menu_id) if menu_id else None

    def require(self, menu_id: str) -> dict:
        """The menu with `menu_id`; ApiError(404) if there is none."""
        menu = self.menus.get(menu_id)
        if menu is None:
            raise ApiError(404, NOT_FOUND)
        return menu


def _store(call: ApiCall) -> RichMenuStore:
    return call.sandbox.rich_menus


@api_route(rich_menu_api, "/v2/bot/richmenu")
def create_rich_menu(call: ApiCall) -> ApiReply:
    """Create a rich menu and return its id."""
    body = call.json()
    validate_body(RichMenuRequest, body)
    menu_id = f"richmenu-{secrets.token_hex(16)}"
    _store(call).menus[menu_id] = {"richMenuId": menu_id, **body}
    return ApiReply(200, {"richMenuId": menu_id})


@api_route(rich_menu_api, "/v2/bot/richmenu/validate")
def validate_rich_menu(call: ApiCall) -> ApiReply:
    """Validate a rich menu object without creating it."""
    validate_body(RichMenuRequest, call.json())
    return ApiReply(200, {})


@api_route(rich_menu_api, "/v2/bot/richmenu/list", methods=("GET",))
def list_rich_menus(call: ApiCall) -> ApiReply:
    """Every rich menu."""
    return ApiReply(200, {"richmenus": list(_store(call).menus.values())})


@api_route(rich_menu_api, "/v2/bot/richmenu/<menu_id>", methods=("GET",))
def get_rich_menu(call: ApiCall) -> ApiReply:
    """One rich menu."""
    return ApiReply(200, _store(call).require(call.params["menu_id"]))


@api_route(rich_menu_api, "/v2/bot/richmenu/<menu_id>", methods=("DELETE",))
def delete_rich_menu(call: ApiCall) -> ApiReply:
    """Delete a rich menu, its image and its links."""
    store, menu_id = _store(call), call.params["menu_id"]
    store.require(menu_id)
    del store.menus[menu_id]
    store.images.pop(menu_id, None)
    store.links = {user: linked for user, linked in store.links.items() if linked != menu_id}
    if store.default_id == menu_id:
        store.default_id = None
    return ApiReply(200, {})


@api_route(rich_menu_api, "/v2/bot/richmenu/<menu_id>/content")
def upload_rich_menu_image(call: ApiCall) -> ApiReply:
    """Upload the menu's image once (JPEG or PNG, at most 1 MB)."""
    store, menu_id = _store(call), call.params["menu_id"]
    store.require(menu_id)
    media_type = call.headers.get("content-type", "").split(";")[0].strip()
    if media_type not in IMAGE_TYPES:
        raise ApiError(415, "Unsupported Media Type")
    if len(call.raw_body) > MAX_IMAGE_BYTES:
        raise ApiError(413, "Request Entity Too Large")
    if menu_id in store.images:
        raise ApiError(400, "An image has already been uploaded to the richmenu")
    store.images[menu_id] = (call.raw_body, media_type)
    return ApiReply(200, {})


@api_route(rich_menu_api, "/v2/bot/richmenu/<menu_id>/content", methods=("GET",))
def download_rich_menu_image(call: ApiCall) -> ApiReply:
    """The menu's image."""
    image = _store(call).images.get(call.params["menu_id"])
    if image is None:
        raise ApiError(404, NOT_FOUND)
    return ApiReply(200, image[0], media_type=image[1])


@api_route(rich_menu_api, "/v2/bot/user/all/richmenu/<menu_id>")
def set_default_rich_menu(call: ApiCall) -> ApiReply:
    """Make a menu the default for every user."""
    _store(call).require(call.params["menu_id"])
    _store(call).default_id = call.params["menu_id"]
    return ApiReply(200, {})


@api_route(rich_menu_api, "/v2/bot/user/all/richmenu", methods=("GET",))
def get_default_rich_menu_id(call: ApiCall) -> ApiReply:
    """The default menu's id; 404 when none is set."""
    if _store(call).default_id is None:
        raise ApiError(404, NOT_FOUND)
    return ApiReply(200, {"richMenuId": _store(call).default_id})


@api_route(rich_menu_api, "/v2/bot/user/all/richmenu", methods=("DELETE",))
def cancel_default_rich_menu(call: ApiCall) -> ApiReply:
    """Clear the default menu."""
    _store(call).default_id = None
    return ApiReply(200, {})


@api_route(rich_menu_api, "/v2/bot/user/<user_id>/richmenu/<menu_id>")
def link_rich_menu_to_user(call: ApiCall) -> ApiReply:
    """Link a menu to one user (200 and nothing done for a user who blocked the bot)."""
    _store(call).require(call.params["menu_id"])
    record = call.sandbox.directory.get(call.params["user_id"])
    if record is None or record.deliverable:
        _store(call).links[call.params["user_id"]] = call.params["menu_id"]
    return ApiReply(200, {})


@api_route(rich_menu_api, "/v2/bot/user/<user_id>/richmenu", methods=("GET",))
def get_rich_menu_id_of_user(call: ApiCall) -> ApiReply:
    """The id of the menu linked to a user; 404 when none is linked."""
    menu_id = _store(call).links.get(call.params["user_id"])
    if menu_id is None:
        raise ApiError(404, "the user has no richmenu")
    return ApiReply(200, {"richMenuId": menu_id})


@api_route(rich_menu_api, "/v2/bot/user/<user_id>/richmenu", methods=("DELETE",))
def unlink_rich_menu_from_user(call: ApiCall) -> ApiReply:
    """Remove a user's menu link."""
    _store(call).links.pop(call.params["user_id"], None)
    return ApiReply(200, {})
