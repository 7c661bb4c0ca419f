"""Simulated LINE users: each action builds one webhook event as LINE does, signs it and posts it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from bot.sandbox.media import PLACEHOLDER_CONTENT, SAMPLE_PNG
from bot.sandbox.webhook_sender import WebhookResult

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox


class SimulatedUser:
    """A person chatting with the bot; every method returns the bot's WebhookResult."""

    def __init__(self, sandbox: Sandbox, user_id: str) -> None:
        self._sandbox = sandbox
        self.user_id = user_id

    def __repr__(self) -> str:
        return f"SimulatedUser({self.user_id!r})"

    def messages(self) -> list[dict]:
        """Message objects the bot delivered to this user so far."""
        return self._sandbox.messages_for(self.user_id)

    def follow(self) -> WebhookResult:
        """Add the bot as a friend (or unblock it)."""
        return self._act("follow")

    def unfollow(self) -> WebhookResult:
        """Block the bot."""
        return self._act("unfollow")

    def send_text(self, text: str) -> WebhookResult:
        """Type and send a text message."""
        return self._act("message", message={"type": "text", "text": text})

    def tap_postback(self, data: str, display_text: str | None = None, params: dict | None = None) -> WebhookResult:
        """Tap a postback action; `display_text` is shown in the chat but, as in LINE, not sent."""
        postback: dict = {"data": data}
        if params:
            postback["params"] = params
        return self._act("postback", display_text=display_text, postback=postback)

    def send_location(self, title: str, address: str, latitude: float, longitude: float) -> WebhookResult:
        """Share a location."""
        location = {"type": "location", "title": title, "address": address,
                    "latitude": latitude, "longitude": longitude}
        return self._act("message", message=location)

    def send_image(self, data: bytes = SAMPLE_PNG, image_set: tuple[str, int, int] | None = None) -> WebhookResult:
        """Send a photo; its bytes are served by GET /v2/bot/message/{id}/content. `image_set` (id, index,
        total) marks one of several photos sent together, which LINE delivers as one event each."""
        message: dict = {"type": "image"}
        if image_set is not None:
            set_id, index, total = image_set
            message["imageSet"] = {"id": set_id, "index": index, "total": total}
        return self._act("message", content=data, message=message)

    def send_images(self, images: list[bytes]) -> list[WebhookResult]:
        """Send several photos at once, as LINE does: one event per photo, sharing an imageSet."""
        set_id = uuid.uuid4().hex.upper()
        return [self.send_image(data, (set_id, index, len(images))) for index, data in enumerate(images, start=1)]

    def send_sticker(self, package_id: str = "446", sticker_id: str = "1988") -> WebhookResult:
        """Send a sticker."""
        return self._act("message", message={"type": "sticker", "packageId": package_id, "stickerId": sticker_id})

    def send_video(self) -> WebhookResult:
        """Send a short video (placeholder bytes)."""
        return self._act("message", message={"type": "video", "duration": 3000})

    def send_audio(self) -> WebhookResult:
        """Send a voice message (placeholder bytes)."""
        return self._act("message", message={"type": "audio", "duration": 2000})

    def send_file(self, file_name: str = "report.pdf") -> WebhookResult:
        """Send a file (placeholder bytes)."""
        size = len(PLACEHOLDER_CONTENT["file"][0])
        return self._act("message", message={"type": "file", "fileName": file_name, "fileSize": size})

    def _act(self, event_type: str, display_text: str | None = None, content: bytes | None = None,
             **fields) -> WebhookResult:
        event = self._sandbox.build_event(self.user_id, event_type, content=content, **fields)
        return self._sandbox.post_user_event(event, display_text)
