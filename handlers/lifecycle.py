"""Following and blocking: a follow greets and starts (or resumes) registration, or welcomes a registered
person back; blocking (unfollow) stops every push that was waiting and keeps an unfinished registration
so it can be resumed after a new follow.
"""

from __future__ import annotations

from sqlalchemy import update

from bot import escalation, replies
from bot.flows import Context, Outcome, Turn
from handlers import common, onboarding
from models import OutboxKind, OutboxMessage, OutboxStatus, Role

WELCOME_BACK = "ยินดีต้อนรับกลับมาค่ะ{name} 🌱 ข่าวและการแจ้งเตือนจะกลับมาส่งถึงคุณเหมือนเดิม"
REGISTER_OR_CODE = ("\n\nพี่เลี้ยงหรือเจ้าหน้าที่ที่ได้รับรหัส พิมพ์รหัสในแชทนี้ได้เลย "
                    "น้อง ๆ ที่จะสมัคร อพม.น้อย ตอบคำถามด้านล่างได้เลยค่ะ")


def on_follow(turn: Turn, ctx: Context) -> Outcome:
    if ctx.user.role is None:
        return onboarding.begin_on_follow(common.GREETING + REGISTER_OR_CODE, ctx)
    from bot import richmenus

    richmenus.queue_link(ctx.db, ctx.user, ctx.now)
    name = f" {ctx.user.nickname}" if ctx.user.nickname else ""
    return Outcome.end(replies.text(WELCOME_BACK.format(name=name), common.menu_chips()))


def on_unfollow(turn: Turn, ctx: Context) -> Outcome:
    """Blocked: cancel the pushes still waiting for this person (LINE would not show them anyway)."""
    ctx.db.execute(update(OutboxMessage).where(
        OutboxMessage.to_id == ctx.user.line_user_id, OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.kind.in_((OutboxKind.PUSH, OutboxKind.REPLY, OutboxKind.LINK_RICH_MENU)),
    ).values(status=OutboxStatus.FAILED, last_error="recipient blocked the bot"))
    if ctx.user.role == Role.MENTOR:
        escalation.escalate_waiting_on(ctx.db, ctx.user, ctx.now, ctx.settings)
    return Outcome()
