"""What every user can do at any time: greeting on follow, help, cancel, emergency numbers, polite
answers to stale buttons and to messages the bot cannot read. All Thai text of this capability is here.

```mermaid
flowchart LR
  follow --> greet[welcome + what the bot is for + chips]
  text_idle[text before registering] --> help[short help + chips]
  help_cmd["ช่วยเหลือ / เมนู"] --> help
  sos["เบอร์ฉุกเฉิน"] --> numbers[1300 / 191 / 1669 tap-to-call]
  cancel["ยกเลิก"] --> ended[flow ended]
```
"""

from __future__ import annotations

from bot import replies
from bot.flows import Context, Outcome, Turn

HELP_LINES = (  # danger now first: police, then medical, then the ministry's social help line
    ("191", "ตำรวจ เหตุร้ายหรืออันตราย"),
    ("1669", "เจ็บป่วยฉุกเฉิน"),
    ("1300", "ศูนย์ช่วยเหลือสังคม (พม.) 24 ชั่วโมง"),
)

GREETING = (
    "สวัสดีค่ะ ยินดีต้อนรับสู่ห้องแชท อพม.น้อย 🌱\n"
    "ที่นี่ช่วยน้อง ๆ อาสาสมัครพัฒนาสังคม\n"
    "• รับข่าวและแคมเปญไปบอกต่อเพื่อน ๆ\n"
    "• แจ้งพี่เลี้ยง อพม. เมื่อเห็นคนในชุมชนต้องการความช่วยเหลือ\n"
    "• รู้และไม่พลาดกิจกรรมอาสาในชุมชน\n\n"
    "ถ้ามีใครตกอยู่ในอันตรายตอนนี้ โทร 191 (ตำรวจ) 1669 (เจ็บป่วยฉุกเฉิน) "
    "หรือ 1300 (ศูนย์ช่วยเหลือสังคม) ได้ทันที"
)
IDLE_HELP = (
    "บอทนี้ช่วยเรื่องข่าวอาสา การแจ้งปัญหาในชุมชนถึงพี่เลี้ยง อพม. และกิจกรรมอาสาค่ะ\n"
    "กดปุ่มด้านล่างได้เลย หรือพิมพ์ \"ช่วยเหลือ\" เมื่อไรก็ได้"
)
HELP = (
    "สิ่งที่ทำได้ตอนนี้\n"
    "• \"เบอร์ฉุกเฉิน\" ดูเบอร์โทรขอความช่วยเหลือ\n"
    "• \"อพม.น้อยคืออะไร\" รู้จักโครงการ\n"
    "• \"ยกเลิก\" ออกจากขั้นตอนที่ทำอยู่\n"
    "พิมพ์ \"ช่วยเหลือ\" หรือ \"เมนู\" เพื่อดูข้อความนี้อีกครั้ง"
)
ABOUT = (
    "อพม.น้อย คือเด็กและเยาวชนอาสาสมัครพัฒนาสังคมและความมั่นคงของมนุษย์ "
    "ทำงานคู่กับพี่เลี้ยง อพม. ในชุมชนของตัวเอง มีหน้าที่ 4 อย่าง\n"
    "1. ประชาสัมพันธ์ข่าวสารด้านการพัฒนาสังคม\n"
    "2. รณรงค์ให้ความรู้เรื่องปัญหาสังคม\n"
    "3. ประสานแจ้ง อพม. และหน่วยงาน เมื่อพบคนเดือดร้อน\n"
    "4. มีส่วนร่วมในกิจกรรมพัฒนาชุมชน"
)
EMERGENCY = "ถ้ามีคนตกอยู่ในอันตรายตอนนี้ โทรได้ทันที ไม่ต้องรอ\n" + "\n".join(
    f"📞 {number} {what}" for number, what in HELP_LINES
)
CANCELLED = "ยกเลิกแล้วค่ะ เริ่มใหม่ได้ทุกเมื่อ"
NOTHING_TO_CANCEL = "ตอนนี้ไม่มีขั้นตอนที่ต้องยกเลิกค่ะ"
STALE_BUTTON = "ปุ่มนี้หมดอายุแล้วค่ะ ลองเริ่มใหม่จากปุ่มด้านล่างนะคะ"
UNSUPPORTED = "ขอบคุณค่ะ ตอนนี้บอทยังอ่านสติกเกอร์ วิดีโอ เสียง หรือไฟล์ไม่ได้ พิมพ์ข้อความหรือกดปุ่มด้านล่างได้เลย"

CHIP_HELP = "ช่วยเหลือ"
CHIP_EMERGENCY = "เบอร์ฉุกเฉิน"
CHIP_ABOUT = "อพม.น้อยคืออะไร"

HELP_COMMANDS = frozenset({"ช่วยเหลือ", "เมนู", "help", "menu", "?", "？"})
CANCEL_COMMANDS = frozenset({"ยกเลิก", "cancel"})
EMERGENCY_COMMANDS = frozenset({"เบอร์ฉุกเฉิน", "ฉุกเฉิน", "sos", "ขอความช่วยเหลือ"})
ABOUT_COMMANDS = frozenset({"อพม.น้อยคืออะไร", "อพม.น้อย คืออะไร", "เกี่ยวกับ", "about"})


def menu_chips() -> list:
    return [replies.say_chip(CHIP_EMERGENCY), replies.say_chip(CHIP_ABOUT), replies.say_chip(CHIP_HELP)]


def emergency_chips() -> list:
    return [replies.call_chip(f"โทร {number}", number) for number, _ in HELP_LINES]


def greet(turn: Turn, ctx: Context) -> Outcome:
    """On follow (first time or again): welcome, purpose, emergency numbers, menu chips."""
    return Outcome.end(replies.text(GREETING, menu_chips()))


def unfollowed(turn: Turn, ctx: Context) -> Outcome:
    """Blocked: nothing can be sent; any flow in progress ends."""
    return Outcome.end()


def idle(turn: Turn, ctx: Context) -> Outcome:
    return Outcome.reply(replies.text(IDLE_HELP, menu_chips()))


def show_help(turn: Turn, ctx: Context) -> Outcome:
    return Outcome.reply(replies.text(HELP, menu_chips()))


def show_about(turn: Turn, ctx: Context) -> Outcome:
    return Outcome.reply(replies.text(ABOUT, menu_chips()))


def show_emergency(turn: Turn, ctx: Context) -> Outcome:
    """Help lines first, as tap-to-call chips; the current flow is left as it was."""
    return Outcome.reply(replies.text(EMERGENCY, emergency_chips()))


def cancel(turn: Turn, ctx: Context) -> Outcome:
    if ctx.flow is None:
        return Outcome.reply(replies.text(NOTHING_TO_CANCEL, menu_chips()))
    return Outcome.end(replies.text(CANCELLED, menu_chips()))


def stale_button(turn: Turn, ctx: Context) -> Outcome:
    """A button from an older conversation: say so, change nothing."""
    return Outcome.reply(replies.text(STALE_BUTTON, menu_chips()))


def unsupported_message(turn: Turn, ctx: Context) -> Outcome:
    return Outcome.reply(replies.text(UNSUPPORTED, menu_chips()))


def text_commands() -> dict:
    """Typed commands that work in every step of every flow."""
    table = {}
    for words, handler in ((HELP_COMMANDS, show_help), (CANCEL_COMMANDS, cancel),
                           (EMERGENCY_COMMANDS, show_emergency), (ABOUT_COMMANDS, show_about)):
        table.update(dict.fromkeys(words, handler))
    return table
