"""Join links and QR codes for a mentor's youth group (pure: no I/O).

A youth scans the mentor's QR code or taps the link: LINE opens the chat with the bot, the text
"รหัสกลุ่ม ABCD2345" already typed, and the youth only presses send (LINE's `oaMessage` URL scheme:
https://line.me/R/oaMessage/{LINE ID}/?{text}, both parts percent-encoded; it works in LINE for iOS and
Android, not on LINE desktop). The bot serves the QR as a PNG at `/join/<code>.png` (bot/joinlink_web.py).

`join_messages` builds what the mentor receives: how youth join, the link (when the bot's LINE ID is
known) and the QR image (when the bot's public address is known, too).
"""

from __future__ import annotations

import io
from urllib.parse import quote

import segno
from linebot.v3.messaging import ImageMessage, Message, TextMessage

JOIN_PREFIX = "รหัสกลุ่ม"
OA_MESSAGE_URL = "https://line.me/R/oaMessage/{line_id}/?{text}"
QR_PATH = "/join/{code}.png"
QR_ERROR = "m"  # 15% may be damaged; segno raises it to Q when that fits the same size
QR_SCALE = 16  # pixels per module: about 900 px, sharp on a phone and about 8 cm on A4 at 300 dpi
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules

# What the mentor reads (Thai, one place).
INTRO = "รหัสกลุ่มของพี่คือ {code}\nให้น้อง ๆ เข้ากลุ่มของพี่ได้ดังนี้"
WAY_QR = "• สแกน QR ด้านล่างด้วยกล้องมือถือหรือ LINE แล้วกดส่งข้อความที่ขึ้นมา"
WAY_LINK = "• แตะลิงก์ด้านล่าง แล้วกดส่ง (กดค้างที่ข้อความลิงก์เพื่อส่งต่อให้น้อง ๆ ได้เลย)"
WAY_TYPE_WITH_ID = "• เพิ่มบอทเป็นเพื่อน (ค้นหา {line_id} ใน LINE) แล้วพิมพ์ว่า {text}"
WAY_TYPE = "• เพิ่มบอทเป็นเพื่อน แล้วพิมพ์ว่า {text}"
LINK_MESSAGE = "ชวนเข้ากลุ่ม อพม.น้อย: แตะลิงก์นี้ แล้วกดส่งข้อความที่ขึ้นมาในแชตกับบอท\n{link}"


def join_text(code: str) -> str:
    """What a youth sends to join the group of `code` ("รหัสกลุ่ม ABCD2345")."""
    return f"{JOIN_PREFIX} {code}"


def deep_link(basic_id: str, text: str) -> str:
    """LINE's link that opens the chat with the account `basic_id` ("@123abcde") with `text` typed in."""
    return OA_MESSAGE_URL.format(line_id=quote(basic_id, safe=""), text=quote(text, safe=""))


def qr_png(url: str, scale: int = QR_SCALE) -> bytes:
    """A black-on-white PNG QR code of `url`, with the standard quiet zone."""
    buffer = io.BytesIO()
    segno.make(url, error=QR_ERROR, micro=False).save(buffer, kind="png", scale=scale, border=QR_BORDER)
    return buffer.getvalue()


def qr_image_url(public_base_url: str, code: str) -> str:
    """Where the bot serves the QR code of `code`."""
    return public_base_url + QR_PATH.format(code=code)


def join_messages(code: str, basic_id: str = "", public_base_url: str = "") -> list[Message]:
    """The mentor's messages for group `code`: how to join, then the link and the QR code when possible.

    The QR image needs both the bot's LINE ID (it encodes the link) and its public address (LINE loads
    the image from the bot; the address must be https for LINE, see Settings.public_base_url).
    """
    text = join_text(code)
    with_qr = bool(basic_id and public_base_url)
    ways = [WAY_QR] * with_qr + [WAY_LINK] * bool(basic_id)
    ways.append(WAY_TYPE_WITH_ID.format(line_id=basic_id, text=text) if basic_id else WAY_TYPE.format(text=text))
    messages: list[Message] = [TextMessage(text="\n".join([INTRO.format(code=code), *ways]))]
    if basic_id:
        messages.append(TextMessage(text=LINK_MESSAGE.format(link=deep_link(basic_id, text))))
    if with_qr:
        image_url = qr_image_url(public_base_url, code)
        messages.append(ImageMessage(original_content_url=image_url, preview_image_url=image_url))
    return messages
