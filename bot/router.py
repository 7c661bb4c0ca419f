"""Choose the handler for a turn: global commands first, then stale buttons, the current flow, idle handlers.

Capabilities register flows and global commands; the router itself knows no capability.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from bot.flows import Context, Flow, Handler, Turn, TurnKind


class Route(NamedTuple):
    handler: Handler
    starts_flow: bool = False  # dispatch gives the conversation a new token before the handler runs


def normalise_command(text: str) -> str:
    """Typed text as a command key: NFC, trimmed, lower-case, inner spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).strip().lower().split())


@dataclass
class Router:
    on_follow: Handler
    on_unfollow: Handler
    on_idle: Handler  # text, location or image outside any flow
    on_unsupported: Handler  # sticker, video, ... outside any flow
    on_stale: Handler  # a button from an older conversation, or postback data that is not ours
    text_commands: Mapping[str, Handler] = field(default_factory=dict)  # normalised text -> handler
    actions: Mapping[str, Handler] = field(default_factory=dict)  # postback action valid at any time
    flows: dict[str, Flow] = field(default_factory=dict)
    cancel_texts: frozenset[str] = frozenset()  # normalised; a flow's own `on_cancel` answers them inside it

    def add_flow(self, flow: Flow) -> None:
        if flow.name in self.flows:
            raise ValueError(f"flow {flow.name!r} registered twice")
        self.flows[flow.name] = flow

    def route(self, turn: Turn, ctx: Context) -> Route:
        if turn.kind is TurnKind.FOLLOW:
            return Route(self.on_follow)
        if turn.kind is TurnKind.UNFOLLOW:
            return Route(self.on_unfollow)
        if turn.kind is TurnKind.POSTBACK:
            return self._route_postback(turn, ctx)
        if turn.kind is TurnKind.TEXT and turn.text is not None:
            command = self._flow_cancel(turn.text, ctx) or self._text_command(turn.text)
            if command is not None:
                return command
        step_handler = self._current_step(ctx)
        if step_handler is not None:
            return Route(step_handler)
        return Route(self.on_unsupported if turn.kind is TurnKind.UNSUPPORTED_MESSAGE else self.on_idle)

    def _route_postback(self, turn: Turn, ctx: Context) -> Route:
        postback = turn.postback
        if postback is None or (postback.token is not None and postback.token != ctx.token):
            return Route(self.on_stale)
        if postback.action in self.actions:
            return Route(self.actions[postback.action])
        for flow in self.flows.values():
            if postback.action in flow.entry_actions:
                return Route(flow.start, starts_flow=True)
        if postback.token is None:
            return Route(self.on_stale)
        return Route(self._current_step(ctx) or self.on_stale)

    def _text_command(self, text: str) -> Route | None:
        key = normalise_command(text)
        if key in self.text_commands:
            return Route(self.text_commands[key])
        for flow in self.flows.values():
            if key in flow.entry_texts:
                return Route(flow.start, starts_flow=True)
        return None

    def _flow_cancel(self, text: str, ctx: Context) -> Route | None:
        flow = self.flows.get(ctx.flow or "")
        if flow is None or flow.on_cancel is None or normalise_command(text) not in self.cancel_texts:
            return None
        return Route(flow.on_cancel)

    def _current_step(self, ctx: Context) -> Handler | None:
        flow = self.flows.get(ctx.flow or "")
        if flow is None:
            return None
        return flow.steps.get(ctx.step or "")
