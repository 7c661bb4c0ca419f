"""Handle one webhook event inside the caller's transaction: who is this, which flow and step, which
handler, then store the new state and the outgoing messages (outbox rows) in that same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot import events
from bot.config import Settings
from bot.flows import Context, Outcome, Turn, TurnKind
from bot.outbox import enqueue_replies
from bot.router import Router
from models import Conversation, InboxStatus, User
from models.db import insert_ignoring_conflict
from models.user import new_conversation_token

log = logging.getLogger(__name__)

REPLY_WINDOW = dt.timedelta(seconds=50)  # LINE accepts a reply token for about a minute; keep a margin


@dataclass(frozen=True)
class DispatchResult:
    status: str  # an InboxStatus value
    flow: str | None = None
    step: str | None = None
    replies: int = 0


class Dispatcher:
    """Turns an event into state changes and outbox rows with the router's handlers."""

    def __init__(self, router: Router, settings: Settings):
        self.router = router
        self.settings = settings

    def handle(self, session: Session, raw: dict[str, Any], now: dt.datetime,
               received_at: dt.datetime | None = None, inbox_event_id: int | None = None) -> DispatchResult:
        """Run the handler for one event; `received_at` (default now) dates the reply token."""
        received_at = received_at or now
        line_user_id = events.source_user_id(raw)
        turn = events.turn_from(raw, events.parse_event(raw))
        if line_user_id is None or turn is None or raw.get("mode") == "standby":
            return DispatchResult(InboxStatus.IGNORED)
        user = load_user(session, line_user_id, now)
        conversation = self._conversation_of(session, user, now)
        ctx = Context(user=user, conversation=conversation, now=now, db=session, settings=self.settings)
        self._note_follow_state(user, turn, now)
        route = self.router.route(turn, ctx)
        if route.starts_flow:
            conversation.token = new_conversation_token()  # the new flow's buttons carry the new token
        outcome = route.handler(turn, ctx)
        apply_outcome(conversation, outcome, now)
        if outcome.replies and turn.kind is not TurnKind.UNFOLLOW:
            token, deadline = events.reply_token_of(raw, received_at), received_at + REPLY_WINDOW
            if token is None or deadline <= now:
                token, deadline = None, None
            enqueue_replies(session, line_user_id, outcome.replies, now, reply_token=token,
                            reply_deadline=deadline, inbox_event_id=inbox_event_id)
        return DispatchResult(InboxStatus.PROCESSED, conversation.flow, conversation.step, len(outcome.replies))

    def _conversation_of(self, session: Session, user: User, now: dt.datetime) -> Conversation:
        conversation = session.get(Conversation, user.id)
        if conversation is None:
            conversation = Conversation(user_id=user.id, data={}, token=new_conversation_token(), updated_at=now)
            session.add(conversation)
            session.flush()
        elif not self._is_known_step(conversation):
            log.warning("conversation reset: unknown step", extra={"flow": conversation.flow})
            apply_outcome(conversation, Outcome.end(), now)
        return conversation

    def _is_known_step(self, conversation: Conversation) -> bool:
        if conversation.flow is None:
            return True
        flow = self.router.flows.get(conversation.flow)
        return flow is not None and conversation.step in flow.steps

    @staticmethod
    def _note_follow_state(user: User, turn: Turn, now: dt.datetime) -> None:
        if turn.kind is TurnKind.UNFOLLOW:
            user.is_following, user.unfollowed_at = False, now
        elif turn.kind is TurnKind.FOLLOW:
            user.is_following, user.followed_at = True, now
        elif not user.is_following:  # a message proves they follow again
            user.is_following = True
        if turn.kind is not TurnKind.UNFOLLOW:
            user.last_active_at = now


def load_user(session: Session, line_user_id: str, now: dt.datetime) -> User:
    """The user row, created on first contact, locked for this transaction on PostgreSQL. A known user costs
    one statement; a new one is inserted (`ON CONFLICT DO NOTHING`: two first events may race) and read again."""
    found = session.execute(_user_for_update(), {"line_user_id": line_user_id}).scalar_one_or_none()
    if found is not None:
        return found
    insert_ignoring_conflict(
        session, User, {"line_user_id": line_user_id, "created_at": now, "followed_at": now, "is_following": True},
        "line_user_id",
    )
    return session.execute(_user_for_update(), {"line_user_id": line_user_id}).scalar_one()


@functools.cache
def _user_for_update():
    return select(User).where(User.line_user_id == bindparam("line_user_id")).with_for_update()


def apply_outcome(conversation: Conversation, outcome: Outcome, now: dt.datetime) -> None:
    """Store the handler's next step. Ending a flow changes the token, so that flow's buttons go stale
    (starting one changed it before its handler ran, so the handler's own buttons carry the new one)."""
    if outcome.changes_flow and outcome.flow != conversation.flow:
        if outcome.flow is None:
            conversation.token = new_conversation_token()
        conversation.flow = outcome.flow
        conversation.data = {}
    if outcome.changes_step:
        conversation.step = outcome.step
    if outcome.changes_data:
        conversation.data = dict(outcome.data)
    conversation.updated_at = now
