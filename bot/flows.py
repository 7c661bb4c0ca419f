"""The conversation model every capability plugs into: turns in, outcomes out, flows declared as data.

A handler is a plain function `(turn, ctx) -> Outcome`: it reads the turn (what the user did) and the
context (who they are, their flow state, the time, a database session for lookups), and returns the
replies plus the next step. It never calls LINE, never commits and never sleeps; dispatch does the I/O.

```mermaid
flowchart LR
  event --> turn[Turn] --> router{Router}
  router -->|cancel / help| global[global commands]
  router -->|postback with old token| stale[polite 'button expired']
  router -->|in a flow| step[flow.steps(step)]
  router -->|idle| idle[event handlers / idle text]
  step & global & idle & stale --> outcome[Outcome: replies + next step]
```
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from linebot.v3.messaging import Message
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.postback import Postback
from models import Conversation, User


class TurnKind(StrEnum):
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    TEXT = "text"
    POSTBACK = "postback"
    LOCATION = "location"
    IMAGE = "image"
    UNSUPPORTED_MESSAGE = "unsupported_message"  # sticker, video, audio, file, or a type LINE adds later


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    title: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class ImageSet:
    """Photos sent together arrive as one event each, numbered `index` of `total` (from 1)."""

    id: str
    index: int
    total: int


@dataclass(frozen=True)
class Turn:
    """What the user just did, independent of LINE's event classes."""

    kind: TurnKind
    text: str | None = None
    postback: Postback | None = None
    postback_params: Mapping[str, str] = field(default_factory=dict)
    location: Location | None = None
    message_id: str | None = None
    message_type: str | None = None
    image_set: ImageSet | None = None
    content_from_line: bool = True  # False: the image lives on an external server (contentProvider external)


@dataclass
class Context:
    """Who the user is and where they are; `db` is for lookups and domain writes, never commits."""

    user: User
    conversation: Conversation
    now: dt.datetime
    db: Session
    settings: Settings

    @property
    def timezone(self) -> dt.tzinfo:
        return self.settings.tz

    @property
    def flow(self) -> str | None:
        return self.conversation.flow

    @property
    def step(self) -> str | None:
        return self.conversation.step

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.conversation.data or {})

    @property
    def token(self) -> str:
        """The current conversation token, to put in the postback data of this conversation's buttons."""
        return self.conversation.token


_KEEP: Any = object()


@dataclass(frozen=True)
class Outcome:
    """Replies to send and the state to move to. Fields left at _KEEP leave the state as it is."""

    replies: tuple[Message, ...] = ()
    flow: str | None = _KEEP
    step: str | None = _KEEP
    data: dict[str, Any] = _KEEP

    @classmethod
    def reply(cls, *replies: Message) -> Outcome:
        """Answer and stay where we are."""
        return cls(replies=replies)

    @classmethod
    def goto(cls, flow: str, step: str, *replies: Message, data: dict[str, Any] | None = None) -> Outcome:
        """Move to a step (starting the flow if the user was elsewhere)."""
        return cls(replies=replies, flow=flow, step=step, data=_KEEP if data is None else data)

    @classmethod
    def end(cls, *replies: Message) -> Outcome:
        """Leave the current flow; its buttons become stale."""
        return cls(replies=replies, flow=None, step=None, data={})

    @property
    def changes_flow(self) -> bool:
        return self.flow is not _KEEP

    @property
    def changes_step(self) -> bool:
        return self.step is not _KEEP

    @property
    def changes_data(self) -> bool:
        return self.data is not _KEEP


Handler = Callable[[Turn, Context], Outcome]


@dataclass(frozen=True)
class Flow:
    """A multi-step conversation declared as data: `steps` maps each step name to its handler.

    `entry_actions` are postback actions (and `entry_texts` typed commands) that start the flow
    from anywhere; `start` is the handler they call. `on_cancel`, when given, answers "cancel" inside it.
    """

    name: str
    steps: Mapping[str, Handler]
    start: Handler
    entry_actions: frozenset[str] = frozenset()
    entry_texts: frozenset[str] = frozenset()
    on_cancel: Handler | None = None  # what "cancel" means in this flow, when more than leaving it
