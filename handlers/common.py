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

from bot import postback, replies
from bot.flows import Context, Outcome, Turn, TurnKind
from bot.thai import PROVINCES_BY_CODE, Province, find_provinces, parse_number, province_by_exact_name

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
COMMANDS_BY_ROLE = {  # role (None: not registered) -> (typed command, what it does); admins see the coordinator's
    None: (("สมัคร อพม.น้อย", "สมัครเป็นอาสาสมัครเด็กและเยาวชน"), ("ฉันมีรหัส", "สำหรับพี่เลี้ยงและเจ้าหน้าที่")),
    "youth": (("แจ้งปัญหา", "เห็นคนเดือดร้อน แจ้งพี่เลี้ยง"), ("เรื่องที่แจ้ง", "ดูความคืบหน้าเรื่องที่แจ้ง"),
              ("กิจกรรมของฉัน", "กิจกรรมที่ชวนและคำตอบของฉัน"), ("บันทึกของฉัน", "กิจกรรมและชั่วโมงอาสา"),
              ("ข่าวล่าสุด", "ข่าวและแคมเปญไปบอกต่อ"), ("เรื่องที่สนใจ", "เลือกข่าวที่อยากรับ"),
              ("ข้อมูลของฉัน", "ดูและแก้ข้อมูล การแจ้งเตือน"), ("ข้อมูลส่วนบุคคล", "ดูสิ่งที่บอทเก็บ หรือขอลบ")),
    "mentor": (("เรื่องที่ต้องดูแล", "เรื่องที่น้อง ๆ แจ้ง"), ("กลุ่มของฉัน", "น้อง ๆ ในกลุ่ม"),
               ("สร้างกิจกรรม", "นัดน้อง ๆ ร่วมกิจกรรม"), ("กิจกรรมของกลุ่ม", "คนตอบรับ เช็กชื่อ ชั่วโมงอาสา"),
               ("ส่งข่าว", "ส่งข่าวถึงน้องในกลุ่ม"), ("แคมเปญของฉัน", "ความคืบหน้าและผล"),
               ("รหัสกลุ่ม", "รหัสและ QR ให้น้องเข้ากลุ่ม"), ("ข้อมูลของฉัน", "ชื่อและการแจ้งเตือน")),
    "coordinator": (("เรื่องที่ต้องดูแล", "เรื่องที่แจ้งในจังหวัด"), ("ส่งข่าว", "ส่งข่าวและแคมเปญ"),
                    ("สร้างกิจกรรม", "นัดกิจกรรมอาสา"), ("กิจกรรมของกลุ่ม", "คนตอบรับ เช็กชื่อ ชั่วโมงอาสา"),
                    ("แคมเปญของฉัน", "ความคืบหน้าและผล"), ("พี่เลี้ยงในจังหวัด", "รายชื่อพี่เลี้ยง"),
                    ("เยาวชนรอพี่เลี้ยง", "มอบหมายพี่เลี้ยงให้น้อง"),
                    ("ออกรหัสพี่เลี้ยง", "รหัสสำหรับพี่เลี้ยงคนใหม่"), ("ข้อมูลของฉัน", "ชื่อและการแจ้งเตือน")),
}
COMMON_COMMANDS = (("เบอร์ฉุกเฉิน", "เบอร์โทรขอความช่วยเหลือ"), ("อพม.น้อยคืออะไร", "รู้จักโครงการ"),
                   ("ยกเลิก", "ออกจากขั้นตอนที่ทำอยู่"))
HAVE_CODE = ("พี่เลี้ยงหรือเจ้าหน้าที่ที่ได้รับรหัส 8 ตัวจากผู้ประสานงาน พิมพ์รหัสในแชทนี้ได้เลย เช่น ABCD2345\n"
             "น้อง ๆ ที่ได้รหัสกลุ่มหรือ QR จากพี่เลี้ยง ก็พิมพ์รหัสหรือสแกน QR ได้เลยค่ะ")
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
TEXT_PLEASE = "ขั้นนี้ขอเป็นข้อความนะคะ"
NOT_IN_LIST = "ไม่มีลำดับนี้ค่ะ พิมพ์ตัวเลขจากรายชื่อ เช่น 1"
PICK_PROVINCE = "จังหวัดไหนคะ กดเลือกด้านล่าง หรือพิมพ์ชื่อให้ครบขึ้น"
ROLE_NAMES = {"youth": "อพม.น้อย", "mentor": "พี่เลี้ยง อพม.", "coordinator": "ผู้ประสานงาน", "admin": "ผู้ดูแลระบบ"}
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
HAVE_CODE_COMMANDS = frozenset({"ฉันมีรหัส", "มีรหัส"})
ABOUT_COMMANDS = frozenset({"อพม.น้อยคืออะไร", "อพม.น้อย คืออะไร", "เกี่ยวกับ", "about"})


def menu_chips() -> list:
    return [replies.say_chip(CHIP_EMERGENCY), replies.say_chip(CHIP_ABOUT), replies.say_chip(CHIP_HELP)]


def commands_of(role: str | None) -> tuple[tuple[str, str], ...]:
    return COMMANDS_BY_ROLE["coordinator" if role == "admin" else role if role in COMMANDS_BY_ROLE else None]


def role_chips(role: str | None) -> list:
    """Chips for what this role does most, then the emergency numbers (at most LINE's 13)."""
    return [replies.say_chip(command) for command, _ in commands_of(role)] + [replies.say_chip(CHIP_EMERGENCY)]


def emergency_chips() -> list:
    return [replies.call_chip(f"โทร {number}", number) for number, _ in HELP_LINES]


def idle(turn: Turn, ctx: Context) -> Outcome:
    return Outcome.reply(replies.text(IDLE_HELP, role_chips(ctx.user.role)))


def show_help(turn: Turn, ctx: Context) -> Outcome:
    """What this person can type, for their role; inside a flow, a reminder that they can carry on."""
    lines = [f"• \"{command}\" {what}" for command, what in commands_of(ctx.user.role) + COMMON_COMMANDS]
    text = "สิ่งที่ทำได้\n" + "\n".join(lines) + "\nพิมพ์ \"ช่วยเหลือ\" หรือ \"เมนู\" เพื่อดูข้อความนี้อีกครั้ง"
    if ctx.flow is not None:
        text += "\n\nตอบคำถามก่อนหน้าต่อได้เลย หรือพิมพ์ \"ยกเลิก\""
    return Outcome.reply(replies.text(text, role_chips(ctx.user.role)))


def show_have_code(turn: Turn, ctx: Context) -> Outcome:
    return Outcome.reply(replies.text(HAVE_CODE, menu_chips()))


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


def province_name(province_code: str | None, otherwise: str = "ทั้งประเทศ") -> str:
    """The Thai name of a province code; `otherwise` for none (a national role)."""
    province = PROVINCES_BY_CODE.get(province_code or "")
    return province.name_th if province else otherwise


def province_answer(turn: Turn, action: str) -> Province | list[Province]:
    """The province tapped (a `action` chip) or typed in full; else the candidates for what was typed
    (empty when nothing matches or the turn is not text)."""
    if turn.kind is TurnKind.POSTBACK and turn.postback and turn.postback.action == action:
        tapped = PROVINCES_BY_CODE.get(turn.postback.params.get("p", ""))
        if tapped is not None:
            return tapped
    if turn.kind is not TurnKind.TEXT:
        return []
    return province_by_exact_name(turn.text or "") or find_provinces(turn.text or "")


def province_chips(candidates: list[Province], action: str, token: str):
    """The candidates as chips that answer with `action` (LINE shows at most 13; find_provinces gives 13)."""
    return replies.text(PICK_PROVINCE, [replies.postback_chip(p.name_th, postback.encode(action, token, p=p.code))
                                        for p in candidates])


def numbered_choice(turn: Turn, items: list):
    """The item whose list number was typed (Thai digits too), or None."""
    number = parse_number(turn.text) if turn.kind is TurnKind.TEXT else None
    return items[number - 1] if number is not None and 1 <= number <= len(items) else None


def text_commands() -> dict:
    """Typed commands that work in every step of every flow."""
    table = {}
    for words, handler in ((HELP_COMMANDS, show_help), (CANCEL_COMMANDS, cancel),
                           (EMERGENCY_COMMANDS, show_emergency), (ABOUT_COMMANDS, show_about),
                           (HAVE_CODE_COMMANDS, show_have_code)):
        table.update(dict.fromkeys(words, handler))
    return table
