"""A code typed in the chat (or pre-filled by a QR code or link), sent to the capability it belongs to:
staff codes give a role, a mentor's group code registers a youth or moves them to that group, a guardian's
code asks that guardian to confirm consent for a child. Thai text of refusals is in handlers/access.py.
"""

from __future__ import annotations

from bot import access, replies
from bot.access import ClaimResult
from bot.flows import Context, Handler, Outcome, Turn, TurnKind
from handlers import access as staff_codes
from handlers import consent, onboarding, profile
from handlers.common import menu_chips
from models import CodeKind, Role

ALL_KINDS = frozenset({CodeKind.COORDINATOR, CodeKind.MENTOR_INVITE, CodeKind.YOUTH_JOIN, CodeKind.GUARDIAN})
GROUP_CODE_FOR_STAFF = "รหัสนี้เป็นรหัสกลุ่มสำหรับน้อง ๆ อพม.น้อย ค่ะ ส่งต่อให้น้อง ๆ ในกลุ่มได้เลย"


def use_typed_code(turn: Turn, ctx: Context) -> Outcome:
    code_text = access.typed_code(turn.text or "")
    result, code = access.check(ctx.db, ctx.user, code_text, ctx.now, ALL_KINDS)
    if result is not ClaimResult.OK:
        return Outcome.reply(replies.text(staff_codes.REFUSED[result], menu_chips()))
    if code.kind == CodeKind.GUARDIAN:
        return consent.guardian_start(code, ctx)
    if code.kind == CodeKind.YOUTH_JOIN:
        return _group_code(code, ctx)
    return staff_codes.claim_code(turn, ctx)


def _group_code(code, ctx: Context) -> Outcome:
    if ctx.user.role is None:
        return onboarding.begin_with_group_code(code, ctx)
    if ctx.user.role == Role.YOUTH:
        return profile.change_mentor(code, ctx)
    return Outcome.reply(replies.text(GROUP_CODE_FOR_STAFF, menu_chips()))


def or_code(fallback: Handler) -> Handler:
    """An idle-text handler that uses codes and leaves every other text to `fallback`."""
    def handler(turn: Turn, ctx: Context) -> Outcome:
        if turn.kind is TurnKind.TEXT and access.typed_code(turn.text or "") is not None:
            return use_typed_code(turn, ctx)
        return fallback(turn, ctx)
    return handler
