"""Staff ask for a sign-in link to the web console in LINE ("เข้าเว็บ"): a one-time link, valid 10 minutes,
sent only to the person's own chat. Everyone else is told the console is for coordinators."""

from __future__ import annotations

from bot import replies
from bot.flows import Context, Outcome, Turn
from web import accounts

TEXTS = frozenset({"เข้าเว็บ", "เข้าระบบเว็บ", "ลิงก์เข้าเว็บ", "console"})
NOT_FOR_YOU = "ระบบเว็บสำหรับผู้ประสานงานและผู้ดูแลระบบค่ะ"


def show_link(turn: Turn, ctx: Context) -> Outcome:
    token = accounts.issue_link(ctx.db, ctx.user, ctx.now)
    if token is None:
        return Outcome.reply(replies.text(NOT_FOR_YOU))
    link = accounts.link_url(accounts.console_base_url(ctx.settings), token)
    return Outcome.reply(replies.text(
        f"ลิงก์เข้าระบบเว็บของคุณ (ใช้ได้ครั้งเดียว ภายใน 10 นาที อย่าส่งต่อให้ใคร):\n{link}\n\n"
        "ตั้งรหัสผ่านได้ในเว็บ เพื่อเข้าครั้งต่อไปโดยไม่ต้องขอลิงก์"))
