"""The simulated LINE users the sandbox knows: profiles, friendship, and each chat's transcript.

Guarded by Sandbox.lock. Messages are delivered only to known users who have not blocked the bot
(LINE answers 200 for a blocked user but delivers nothing). Transcript entries share the message
objects of the API call that sent them, so a multicast's messages are stored once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

PRESET_USERS = (
    ("youth", "น้องฟ้า"),
    ("mentor", "พี่สมชาย"),
    ("coordinator", "คุณวิภา"),
)


def new_user_id() -> str:
    """A random LINE user id: "U" + 32 lower-case hex digits."""
    return "U" + secrets.token_hex(16)


def preset_user_id(role: str) -> str:
    """The fixed user id of the chat page's preset user for `role`."""
    return "U" + hashlib.md5(f"line-sandbox-{role}".encode()).hexdigest()


@dataclass(slots=True)
class TranscriptEntry:
    """One line of a chat: sender "user" or "bot", kind (message, postback, follow, unfollow)."""

    sender: str
    kind: str
    message: dict | None
    text: str | None
    at: float


@dataclass
class UserRecord:
    """A simulated user: profile, friendship status (new / friend / blocked) and chat transcript."""

    user_id: str
    display_name: str
    language: str | None = "th"
    picture_url: str | None = None
    role: str | None = None
    status: str = "new"
    was_blocked: bool = False
    loading_until: float = 0.0
    transcript: list[TranscriptEntry] = field(default_factory=list)
    read_message_ids: set[str] = field(default_factory=set)

    @property
    def deliverable(self) -> bool:
        """Whether LINE would deliver a message to this user (not blocked)."""
        return self.status != "blocked"

    def profile(self) -> dict:
        """The body of GET /v2/bot/profile/{userId}."""
        profile = {"userId": self.user_id, "displayName": self.display_name}
        if self.picture_url:
            profile["pictureUrl"] = self.picture_url
        if self.language:
            profile["language"] = self.language
        return profile

    def summary(self) -> dict:
        """JSON for the sandbox's user list."""
        return {**self.profile(), "role": self.role, "status": self.status}


class UserDirectory:
    """All known users by id, plus the markAsRead tokens issued for their messages."""

    def __init__(self) -> None:
        self._users: dict[str, UserRecord] = {}
        self._read_tokens: dict[str, tuple[str, str]] = {}

    def get(self, user_id: str) -> UserRecord | None:
        """The user with `user_id`, or None."""
        return self._users.get(user_id)

    def ensure(self, user_id: str, display_name: str | None = None, **profile) -> UserRecord:
        """The user with `user_id`, registered with the given profile if new."""
        record = self._users.get(user_id)
        if record is None:
            name = display_name or f"ผู้ใช้ {user_id[1:5]}"
            record = self._users[user_id] = UserRecord(user_id, name, **profile)
        return record

    def all(self) -> list[UserRecord]:
        """Every known user, in registration order."""
        return list(self._users.values())

    def deliverable_ids(self) -> list[str]:
        """Ids of every user a broadcast would reach."""
        return [user_id for user_id, record in self._users.items() if record.deliverable]

    def deliver(self, user_ids: list[str], messages: list[dict], at: float) -> int:
        """Append `messages` to the transcript of each deliverable user; return how many users got them."""
        delivered = 0
        for user_id in user_ids:
            record = self._users.get(user_id)
            if record is None or not record.deliverable:
                continue
            record.loading_until = 0.0
            record.transcript.extend(TranscriptEntry("bot", "message", m, None, at) for m in messages)
            delivered += 1
        return delivered

    def issue_read_token(self, token: str, user_id: str, message_id: str) -> None:
        """Remember which user's message a markAsReadToken belongs to."""
        self._read_tokens[token] = (user_id, message_id)

    def mark_as_read(self, token: object) -> bool:
        """Mark the user's message as read by the bot; False if the token is unknown."""
        owner = self._read_tokens.get(token) if isinstance(token, str) else None
        if owner is None:
            return False
        record = self._users.get(owner[0])
        if record is not None:
            record.read_message_ids.add(owner[1])
        return True

    def record_user_event(self, event: dict, display_text: str | None, at: float) -> None:
        """Apply what LINE knows when a user acts: friendship changes and the user's side of the chat."""
        user_id = event.get("source", {}).get("userId")
        if not user_id:
            return
        record = self.ensure(user_id)
        kind = event.get("type")
        if kind == "follow":
            record.status = "friend"
        elif kind == "unfollow":
            record.status, record.was_blocked = "blocked", True
        if kind in ("follow", "unfollow"):
            record.transcript.append(TranscriptEntry("user", kind, None, None, at))
        elif kind == "message":
            record.transcript.append(TranscriptEntry("user", "message", event.get("message"), None, at))
        elif kind == "postback":
            record.transcript.append(TranscriptEntry("user", "postback", event.get("postback"), display_text, at))
