"""Flex cards (pure builders, no logic): the tutorial a youth sees right after registering."""

from __future__ import annotations

from linebot.v3.messaging import FlexMessage

TUTORIAL_ITEMS = (
    ("📣", "รับข่าวและแคมเปญ", "แล้วช่วยบอกต่อเพื่อน ๆ และคนในชุมชน"),
    ("🆘", "เห็นคนเดือดร้อน", "แจ้งพี่เลี้ยงได้ทันที ถ้าอันตรายตอนนี้ โทร 191 / 1669 / 1300"),
    ("📅", "กิจกรรมอาสา", "บอทจะเตือนก่อนถึงวันกิจกรรม"),
    ("🙋", "ข้อมูลของฉัน", "ดู แก้ไข หรือลบข้อมูลของน้องได้ทุกเมื่อ"),
)
SAFETY_NOTE = "อย่าเข้าไปเผชิญหน้ากับใคร และอย่าถ่ายรูปหน้าคนอื่น ความปลอดภัยของน้องสำคัญที่สุด"


def tutorial(nickname: str) -> FlexMessage:
    """What a new youth volunteer can do, with buttons to the menu's first stops."""
    rows = [_row(icon, title, detail) for icon, title, detail in TUTORIAL_ITEMS]
    bubble = {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "backgroundColor": "#2E7D32", "contents": [
            {"type": "text", "text": f"น้อง{nickname} ทำอะไรได้บ้าง", "weight": "bold", "color": "#FFFFFF",
             "size": "lg", "wrap": True}]},
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": [
            *rows, {"type": "separator"},
            {"type": "text", "text": SAFETY_NOTE, "size": "sm", "color": "#B71C1C", "wrap": True}]},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
            _button("ข้อมูลของฉัน", primary=True), _button("เบอร์ฉุกเฉิน")]},
    }
    return FlexMessage.from_dict({"type": "flex", "altText": f"น้อง{nickname} ทำอะไรได้บ้างใน อพม.น้อย",
                                  "contents": bubble})


def _row(icon: str, title: str, detail: str) -> dict:
    return {"type": "box", "layout": "horizontal", "spacing": "md", "contents": [
        {"type": "text", "text": icon, "flex": 0, "size": "lg"},
        {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": title, "weight": "bold", "size": "md", "wrap": True},
            {"type": "text", "text": detail, "size": "sm", "color": "#555555", "wrap": True}]}]}


def _button(label: str, primary: bool = False) -> dict:
    return {"type": "button", "style": "primary" if primary else "secondary", "height": "sm",
            "color": "#2E7D32" if primary else "#E8F5E9",
            "action": {"type": "message", "label": label, "text": label}}
