"""Capabilities, one module each; `build_router` wires them into the dispatcher's router."""

from bot.router import Router, normalise_command
from handlers import access, common


def build_router() -> Router:
    commands = {normalise_command(text): handler for text, handler in common.text_commands().items()}
    return Router(
        on_follow=common.greet,
        on_unfollow=common.unfollowed,
        on_idle=access.or_claim(common.idle),
        on_unsupported=common.unsupported_message,
        on_stale=common.stale_button,
        text_commands=commands,
    )
