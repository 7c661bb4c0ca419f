"""What a campaign looks like to the people who get it (and, as a preview, to its sender): the full text
when it is long, then a Flex card with the image, the title, the start of the text and the buttons —
open the link (through the bot's counting redirect), share with friends (LINE's share URL carrying a
link back to the campaign and the bot's add-friend link), "I told people" and "not for me".
"""

from __future__ import annotations

from urllib.parse import quote

from linebot.v3.messaging import FlexMessage, Message

from bot import postback, replies
from bot.config import Settings
from models import Campaign

EXCERPT = 300  # characters of the body on the card; a longer body comes as a text message first
SHARE_TEXT_MAX = 900  # the share URL carries it, and a URI action holds 1,000 characters


def link_back(campaign: Campaign, settings: Settings, province_code: str | None) -> str | None:
    """The bot's counting redirect for this campaign (None without PUBLIC_BASE_URL)."""
    if not settings.public_base_url:
        return None
    return f"{settings.public_base_url}/c/{campaign.link_token}?p={province_code or ''}"


def add_friend_url(settings: Settings) -> str | None:
    return f"https://line.me/R/ti/p/{quote(settings.line_bot_basic_id)}" if settings.line_bot_basic_id else None


def share_url(campaign: Campaign, settings: Settings) -> str:
    """LINE's share link, pre-filled with the title, a link back and the bot's add-friend link."""
    lines = [f"📣 {campaign.title}"]
    back = link_back(campaign, settings, "share")
    if back:
        lines.append(f"อ่านต่อ: {back}")
    friend = add_friend_url(settings)
    if friend:
        lines.append(f"เป็นเพื่อนกับ อพม.น้อย: {friend}")
    return "https://line.me/R/share?text=" + quote("\n".join(lines)[:SHARE_TEXT_MAX], safe="")


def recipient_messages(campaign: Campaign, settings: Settings, province_code: str | None) -> list[Message]:
    """The messages of one campaign for recipients of one province (their link counts for it)."""
    messages: list[Message] = []
    if len(campaign.body) > EXCERPT:
        messages.append(replies.text(campaign.body))
    messages.append(card(campaign, settings, province_code))
    return messages


def card(campaign: Campaign, settings: Settings, province_code: str | None) -> FlexMessage:
    excerpt = campaign.body if len(campaign.body) <= EXCERPT else campaign.body[:EXCERPT].rstrip() + "…"
    body = [{"type": "text", "text": campaign.title, "weight": "bold", "size": "lg", "wrap": True},
            {"type": "text", "text": excerpt, "size": "sm", "wrap": True}]
    if campaign.tags:
        body.append({"type": "text", "text": " ".join(f"#{tag}" for tag in campaign.tags), "size": "xs",
                     "color": "#1F5FA8", "wrap": True})
    bubble = {"type": "bubble",
              "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body},
              "footer": {"type": "box", "layout": "vertical", "spacing": "sm",
                         "contents": _buttons(campaign, settings, province_code)}}
    if campaign.image_url:
        bubble["hero"] = {"type": "image", "url": campaign.image_url, "size": "full", "aspectMode": "cover",
                          "aspectRatio": "20:13"}
    return FlexMessage.from_dict({"type": "flex", "altText": f"📣 {campaign.title}"[:400], "contents": bubble})


def _buttons(campaign: Campaign, settings: Settings, province_code: str | None) -> list[dict]:
    buttons = []
    link = link_back(campaign, settings, province_code) if campaign.link_url else None
    if link:
        buttons.append(_uri_button("เปิดอ่านเพิ่มเติม", link, primary=True))
    buttons.append(_uri_button("แชร์ให้เพื่อน", share_url(campaign, settings)))
    buttons.append(_postback_button("บอกต่อแล้ว ✓", postback.encode("cmp.shared", k=campaign.id)))
    if campaign.tags:
        buttons.append(_postback_button("ไม่ใช่เรื่องที่สนใจ", postback.encode("cmp.mute", k=campaign.id)))
    return buttons


def _uri_button(label: str, uri: str, primary: bool = False) -> dict:
    return {"type": "button", "style": "primary" if primary else "secondary", "height": "sm",
            "color": "#2E7D32" if primary else "#EEEEEE", "action": {"type": "uri", "label": label, "uri": uri}}


def _postback_button(label: str, data: str) -> dict:
    return {"type": "button", "style": "secondary", "height": "sm", "color": "#EEEEEE",
            "action": {"type": "postback", "label": label, "data": data, "displayText": label}}
