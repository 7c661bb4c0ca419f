"""What recipients do with a campaign in LINE: "บอกต่อแล้ว" (counted once per campaign on their volunteer
record), "ไม่ใช่เรื่องที่สนใจ" (its tags muted), "ข่าวล่าสุด" (recent campaigns for their area), and
"เรื่องที่สนใจ" (tags they follow, for campaigns aimed at an interest)."""

from __future__ import annotations

from linebot.v3.messaging import FlexMessage

from bot import campaigns, postback, replies
from bot.campaign_cards import card
from bot.flows import Context, Outcome, Turn
from handlers.campaign import SUGGESTED_TAGS
from models import Campaign, UserStatus

LATEST_TEXTS = ("ข่าวล่าสุด", "แคมเปญล่าสุด", "latest news")
INTERESTS_TEXTS = ("เรื่องที่สนใจ", "เลือกเรื่องที่สนใจ", "interests")
BUTTON_GONE = "ปุ่มนี้ใช้ไม่ได้แล้วค่ะ"
NOT_REGISTERED = "สมัครเป็น อพม.น้อย ก่อน แล้วจะได้รับข่าวและแคมเปญค่ะ"


def _campaign_of(turn: Turn, ctx: Context) -> Campaign | None:
    raw = turn.postback.params.get("k", "") if turn.postback else ""
    campaign = ctx.db.get(Campaign, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if campaign is None or ctx.user.role is None or ctx.user.status != UserStatus.ACTIVE:
        return None
    return campaign


def shared(turn: Turn, ctx: Context) -> Outcome:
    campaign = _campaign_of(turn, ctx)
    if campaign is None:
        return Outcome.reply(replies.text(BUTTON_GONE))
    if campaigns.record_share(ctx.db, campaign, ctx.user, ctx.now):
        return Outcome.reply(replies.text(f"ขอบคุณที่ช่วยบอกต่อเรื่อง “{campaign.title}” 💚 นับในบันทึกอาสาของน้องแล้วค่ะ"))
    return Outcome.reply(replies.text("นับไปแล้วค่ะ เรื่องนี้นับครั้งเดียว ขอบคุณนะคะ"))


def mute(turn: Turn, ctx: Context) -> Outcome:
    campaign = _campaign_of(turn, ctx)
    if campaign is None or not campaign.tags:
        return Outcome.reply(replies.text(BUTTON_GONE))
    muted = campaigns.mute_tags(ctx.db, ctx.user, campaign.tags, ctx.now)
    listed = " ".join(f"#{tag}" for tag in muted)
    return Outcome.reply(replies.text(f"รับทราบค่ะ จะไม่ส่งข่าวเรื่อง {listed} ให้อีก เปลี่ยนได้ที่ \"เรื่องที่สนใจ\"",
                                      [replies.say_chip("เรื่องที่สนใจ")]))


def show_latest(turn: Turn, ctx: Context) -> Outcome:
    if ctx.user.role is None:
        return Outcome.reply(replies.text(NOT_REGISTERED, [replies.say_chip("สมัคร อพม.น้อย")]))
    latest = campaigns.latest_for(ctx.db, ctx.user, ctx.now, limit=5)
    if not latest:
        return Outcome.reply(replies.text("ยังไม่มีข่าวในช่วง 30 วันนี้ค่ะ"))
    bubbles = [card(campaign, ctx.settings, ctx.user.province_code).contents.to_dict() for campaign in latest]
    carousel = FlexMessage.from_dict({"type": "flex", "altText": f"ข่าวล่าสุด {len(latest)} เรื่อง",
                                      "contents": {"type": "carousel", "contents": bubbles}})
    return Outcome.reply(carousel)


def show_interests(turn: Turn, ctx: Context) -> Outcome:
    if ctx.user.role is None:
        return Outcome.reply(replies.text(NOT_REGISTERED))
    own = campaigns.tags_of(ctx.db, ctx.user)
    followed = [tag for tag, kind in own.items() if kind == "interest"]
    muted = [tag for tag, kind in own.items() if kind == "muted"]
    lines = ["เรื่องที่สนใจ: " + (" ".join(f"#{tag}" for tag in followed) or "ยังไม่ได้เลือก"),
             "ไม่รับข่าวเรื่อง: " + (" ".join(f"#{tag}" for tag in muted) or "-"),
             "กดเรื่องด้านล่างเพื่อเลือกเป็นเรื่องที่สนใจ (เรื่องที่ปิดไว้จะเปิดรับอีกครั้ง)"]
    chips = [replies.postback_chip(tag, postback.encode("cmp.interest", t=tag)) for tag in SUGGESTED_TAGS
             if own.get(tag) != "interest"]
    return Outcome.reply(replies.text("\n".join(lines), chips[:13]))


def add_interest(turn: Turn, ctx: Context) -> Outcome:
    if ctx.user.role is None:
        return Outcome.reply(replies.text(NOT_REGISTERED))
    try:
        tag = campaigns.set_interest(ctx.db, ctx.user, turn.postback.params.get("t", ""), ctx.now)
    except campaigns.Refused as refused:
        return Outcome.reply(replies.text(str(refused)))
    return Outcome.reply(replies.text(f"เพิ่ม #{tag} ในเรื่องที่สนใจแล้วค่ะ", [replies.say_chip("เรื่องที่สนใจ")]))


ACTIONS = {"cmp.shared": shared, "cmp.mute": mute, "cmp.interest": add_interest}
