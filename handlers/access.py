"""Claiming a coordinator or mentor code typed in the chat (handlers/codes.py sends staff codes here).
Thai text of this capability is here.

```mermaid
flowchart LR
  text[text that looks like a code] --> claim{valid?}
  claim -->|yes| role[role + province set, welcome, menu linked] --> name[ask the name youth see]
  claim -->|unknown / expired / revoked / used| why[say why, how to get a new one]
  claim -->|already another role| admin[ask an admin]
  claim -->|5 wrong in an hour| wait[try again later]
```
"""

from __future__ import annotations

from bot import access, people, replies
from bot.access import ClaimResult
from bot.flows import Context, Outcome, Turn
from handlers.common import menu_chips, province_name
from models import Role

WELCOME = {
    Role.COORDINATOR: "ยืนยันรหัสแล้วค่ะ ตอนนี้คุณเป็นผู้ประสานงาน {area} ในบอท อพม.น้อย",
    Role.MENTOR: "ยืนยันรหัสแล้วค่ะ ยินดีต้อนรับพี่เลี้ยง อพม. {area}",
}
NATIONAL = "ระดับประเทศ"
REFUSED = {
    ClaimResult.UNKNOWN: "ไม่พบรหัสนี้ค่ะ ตรวจตัวอักษรอีกครั้ง หรือขอรหัสใหม่จากผู้ที่ส่งให้",
    ClaimResult.EXPIRED: "รหัสนี้หมดอายุแล้วค่ะ ขอรหัสใหม่จากผู้ที่ส่งให้ได้เลย",
    ClaimResult.REVOKED: "รหัสนี้ถูกยกเลิกแล้วค่ะ ขอรหัสใหม่จากผู้ที่ส่งให้ได้เลย",
    ClaimResult.USED: "รหัสนี้ถูกใช้ไปแล้วค่ะ รหัสหนึ่งใช้ได้ครั้งเดียว ขอรหัสใหม่จากผู้ที่ส่งให้",
    ClaimResult.ROLE_TAKEN: "บัญชีนี้มีบทบาทอื่นอยู่แล้วค่ะ ถ้าต้องการเปลี่ยนบทบาท ติดต่อผู้ดูแลระบบ",
    ClaimResult.TOO_MANY_TRIES: "ใส่รหัสไม่ถูกหลายครั้งแล้วค่ะ ลองใหม่อีกครั้งในอีก 1 ชั่วโมง",
    ClaimResult.WRONG_KIND: "รหัสนี้ใช้ที่นี่ไม่ได้ค่ะ ตรวจว่าเป็นรหัสที่ได้รับสำหรับคุณ",
}


def area_name(province_code: str | None) -> str:
    return f"จังหวัด{province_name(province_code)}" if province_code else NATIONAL


def claim_code(turn: Turn, ctx: Context) -> Outcome:
    """Claim the staff code the user typed; the reply says what happened and why. A new mentor or
    coordinator is then asked for the name the youth and colleagues will see."""
    result, _code = access.claim(ctx.db, ctx.user, access.typed_code(turn.text or ""), ctx.now)
    if result is not ClaimResult.OK:
        return Outcome.reply(replies.text(REFUSED[result], menu_chips()))
    from bot import richmenus
    from handlers.profile import ask_staff_name

    people.audit(ctx.db, ctx.now, "code.claimed", ctx.user, ctx.user, role=ctx.user.role,
                 province=ctx.user.province_code)
    richmenus.queue_link(ctx.db, ctx.user, ctx.now)
    welcome = replies.text(WELCOME[ctx.user.role].format(area=area_name(ctx.user.province_code)))
    return ask_staff_name(ctx, welcome)
