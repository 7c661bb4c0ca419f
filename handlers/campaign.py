"""Campaigns in LINE: a coordinator or mentor composes one (ส่งข่าว), sees it exactly as recipients will,
with how many people, requests and quota messages it takes, and confirms; their campaigns and figures
(แคมเปญของฉัน / สรุปผล) with cancel and reschedule until the send starts. All Thai text of the sender's side.

```mermaid
flowchart LR
  start[ส่งข่าว] --> title --> body --> link[link or none] --> image[image URL or none] --> tags
  tags --> audience[who: group / province / everywhere, youth / mentors] --> when[now or a time]
  when --> preview[the recipients' messages + counts] --> confirm --> scheduled
```
What recipients do with a campaign is in handlers/campaign_youth.py.
"""

from __future__ import annotations

import datetime as dt

from bot import campaigns, postback, replies
from bot.campaign_cards import recipient_messages
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.report_categories import CATEGORIES
from bot.textinput import normalised
from bot.thai import PROVINCES_BY_CODE, find_provinces, thai_datetime
from models import Campaign, CampaignStatus, Role

FLOW = "campaign"
START_TEXTS = frozenset({"ส่งข่าว", "ส่งแคมเปญ", "สร้างแคมเปญ", "new campaign"})
MINE_TEXTS = ("แคมเปญของฉัน", "สรุปผล", "ผลแคมเปญ", "my campaigns")
SENDER_ROLES = (Role.MENTOR, Role.COORDINATOR, Role.ADMIN)
CHIP_NO_LINK, CHIP_NO_IMAGE, CHIP_NO_TAG = "ไม่มีลิงก์", "ไม่มีรูป", "ไม่ระบุแท็ก"
CHIP_NOW, CHIP_PICK_TIME = "ส่งเลย", "ตั้งเวลาส่ง"
SUGGESTED_TAGS = ("ข่าวอาสา", "กิจกรรม", *(category.label for category in CATEGORIES[:9]))
AUDIENCE_CHOICES = {  # chip -> (where, roles) for coordinators
    "อพม.น้อย ในจังหวัด": ("province", (Role.YOUTH,)),
    "พี่เลี้ยง ในจังหวัด": ("province", (Role.MENTOR,)),
    "ทุกคน ในจังหวัด": ("province", (Role.YOUTH, Role.MENTOR)),
    "อพม.น้อย ทั่วประเทศ": ("everywhere", (Role.YOUTH,)),
    "ทุกคน ทั่วประเทศ": ("everywhere", (Role.YOUTH, Role.MENTOR)),
    "อพม.น้อย บางจังหวัด": ("pick", (Role.YOUTH,)),
}
NOT_YOUR_CAMPAIGN = "ปุ่มนี้ใช้กับแคมเปญนี้ไม่ได้ค่ะ"
ONLY_SENDERS = "การส่งข่าวและแคมเปญสำหรับพี่เลี้ยงและผู้ประสานงานค่ะ น้องดูข่าวล่าสุดได้ที่ \"ข่าวล่าสุด\""


def start(turn: Turn, ctx: Context) -> Outcome:
    if ctx.user.role not in SENDER_ROLES:
        return Outcome.reply(replies.text(ONLY_SENDERS, [replies.say_chip("ข่าวล่าสุด")]))
    return Outcome.goto(FLOW, "title", replies.text(
        "ส่งข่าวหรือแคมเปญ ขั้นที่ 1: พิมพ์หัวข้อ (ไม่เกิน 100 ตัวอักษร)\nพิมพ์ \"ยกเลิก\" ได้ทุกเมื่อ"), data={})


def _again(reason: str, ctx: Context) -> Outcome:
    return Outcome.reply(replies.text(reason, _chips_for(ctx.step, ctx)))


def _text_of(turn: Turn) -> str | None:
    return turn.text if turn.kind is TurnKind.TEXT else None


def answer_title(turn: Turn, ctx: Context) -> Outcome:
    try:
        title = campaigns.clean_title(_text_of(turn))
    except campaigns.Refused as refused:
        return _again(str(refused), ctx)
    return _ask(ctx, "body", {**ctx.data, "title": title},
                "ขั้นที่ 2: พิมพ์เนื้อหาข่าว (ยาวได้ถึง 5,000 ตัวอักษรตามที่ LINE นับ)")


def answer_body(turn: Turn, ctx: Context) -> Outcome:
    try:
        body = campaigns.clean_body(_text_of(turn))
    except campaigns.Refused as refused:
        return _again(str(refused), ctx)
    return _ask(ctx, "link", {**ctx.data, "body": body}, "ขั้นที่ 3: ลิงก์อ่านเพิ่มเติม (https://...) หรือกด \"ไม่มีลิงก์\"")


def answer_link(turn: Turn, ctx: Context) -> Outcome:
    text = normalised(_text_of(turn))
    try:
        link = None if text == CHIP_NO_LINK else campaigns.clean_link(text)
    except campaigns.Refused as refused:
        return _again(str(refused), ctx)
    return _ask(ctx, "image", {**ctx.data, "link_url": link},
                "ขั้นที่ 4: ลิงก์รูปภาพ (https://... เป็นไฟล์ JPEG หรือ PNG) หรือกด \"ไม่มีรูป\"")


def answer_image(turn: Turn, ctx: Context) -> Outcome:
    text = normalised(_text_of(turn))
    if turn.kind is TurnKind.IMAGE:
        return _again("ตอนนี้ใส่รูปได้เป็นลิงก์ https เท่านั้นค่ะ (อัปโหลดรูปได้ในหน้าเว็บผู้ประสานงาน)", ctx)
    try:
        image = None if text == CHIP_NO_IMAGE else campaigns.clean_image_url(text, ctx.settings)
    except campaigns.Refused as refused:
        return _again(str(refused), ctx)
    return _ask(ctx, "tags", {**ctx.data, "image_url": image},
                "ขั้นที่ 5: แท็กของเรื่อง (ช่วยให้น้องเลือกรับเรื่องที่สนใจ) กดเลือก หรือพิมพ์หลายแท็กคั่นด้วยจุลภาค")


def answer_tags(turn: Turn, ctx: Context) -> Outcome:
    text = normalised(_text_of(turn))
    try:
        tags = [] if text == CHIP_NO_TAG else campaigns.clean_tags(campaigns.parse_tags(text))
    except campaigns.Refused as refused:
        return _again(str(refused), ctx)
    data = {**ctx.data, "tags": tags}
    if ctx.user.role == Role.MENTOR:
        return _ask_when(ctx, {**data, "audience": campaigns.Audience.of_group(ctx.user.id).to_dict()})
    return _ask(ctx, "audience", data, "ขั้นที่ 6: ส่งถึงใคร")


def _audience_labels(user) -> list[str]:
    """A provincial coordinator picks among their province's people; a national one, everywhere or provinces."""
    national = user.province_code is None
    return [label for label, (where, _roles) in AUDIENCE_CHOICES.items() if (where != "province") == national]


def answer_audience(turn: Turn, ctx: Context) -> Outcome:
    label = normalised(_text_of(turn))
    choice = AUDIENCE_CHOICES.get(label) if label in _audience_labels(ctx.user) else None
    if choice is None:
        return _again("เลือกผู้รับจากปุ่มด้านล่างนะคะ", ctx)
    where, roles = choice
    if where == "pick":
        return _ask(ctx, "provinces", {**ctx.data, "roles": list(roles)},
                    "พิมพ์ชื่อจังหวัด คั่นด้วยจุลภาค เช่น เชียงใหม่, ลำพูน, น่าน")
    provinces = None if where == "everywhere" else ([ctx.user.province_code] if ctx.user.province_code else None)
    return _with_audience(ctx, ctx.data, provinces, roles)


def answer_provinces(turn: Turn, ctx: Context) -> Outcome:
    names = [name.strip() for name in (normalised(_text_of(turn)) or "").replace("،", ",").split(",") if name.strip()]
    codes, unknown = [], []
    for name in names:
        found = find_provinces(name, limit=1)
        codes.append(found[0].code) if found else unknown.append(name)
    if unknown or not codes:
        return _again(f"ไม่รู้จักจังหวัด: {', '.join(unknown) or '-'} พิมพ์ชื่อจังหวัดอีกครั้งนะคะ", ctx)
    return _with_audience(ctx, ctx.data, codes, tuple(ctx.data.get("roles", [Role.YOUTH])))


def _with_audience(ctx: Context, data: dict, provinces, roles) -> Outcome:
    try:
        audience = campaigns.Audience(provinces=tuple(provinces) if provinces is not None else None,
                                      roles=tuple(roles))
    except campaigns.Refused as refused:
        return _again(str(refused), ctx)
    reason = campaigns.may_send(ctx.user, audience)
    if reason:
        return _again(reason, ctx)
    return _ask_when(ctx, {**data, "audience": audience.to_dict()})


def _ask_when(ctx: Context, data: dict) -> Outcome:
    return _ask(ctx, "when", data, "ขั้นสุดท้าย: ส่งเลย หรือตั้งเวลาส่ง (เวลาไทย) กดปุ่ม หรือพิมพ์ เช่น 25/11/2569 09:00\n"
                "น้องอายุต่ำกว่า 18 ปีจะได้รับหลัง 07:00 ถ้าส่งช่วง 21:00-07:00")


def answer_when(turn: Turn, ctx: Context) -> Outcome:
    try:
        send_at = _send_time(turn, ctx)
    except campaigns.Refused as refused:
        return _again(str(refused), ctx)
    if send_at is None:
        return _again("กด \"ส่งเลย\" หรือ \"ตั้งเวลาส่ง\" หรือพิมพ์วันเวลา เช่น 25/11/2569 09:00", ctx)
    return preview(ctx, {**ctx.data, "send_at": send_at.isoformat()})


def _send_time(turn: Turn, ctx: Context) -> dt.datetime | None:
    if turn.kind is TurnKind.POSTBACK and turn.postback_params.get("datetime"):
        return campaigns.parse_send_time(turn.postback_params["datetime"], ctx.now, ctx.timezone)
    text = normalised(_text_of(turn))
    if text == CHIP_NOW:
        return ctx.now
    return campaigns.parse_send_time(text, ctx.now, ctx.timezone) if text else None


def preview(ctx: Context, data: dict) -> Outcome:
    """The recipients' messages exactly as they will see them, then the counts and the confirm button."""
    draft = _draft(data)
    audience = campaigns.Audience.from_dict(data["audience"])
    plan = campaigns.estimate(ctx.db, audience, draft.tags, ctx.now)
    if plan.recipients == 0:
        return _ask(ctx, "audience" if ctx.user.role != Role.MENTOR else "when", data, campaigns.NOBODY)
    send_at = dt.datetime.fromisoformat(data["send_at"])
    when = "ส่งทันที" if send_at <= ctx.now + dt.timedelta(minutes=1) else f"ส่ง {thai_datetime(send_at, ctx.timezone)}"
    summary = (f"👆 ตัวอย่างที่ผู้รับจะเห็น\nผู้รับ: {campaigns.describe(audience, ctx.user.nickname)}\n"
               f"จำนวน {plan.recipients:,} คน · {plan.requests:,} คำขอส่ง · ใช้โควตาข้อความ LINE {plan.quota:,} ข้อความ\n"
               f"{when}")
    chips = [replies.postback_chip("ยืนยันส่ง", postback.encode("cmp.confirm", ctx.token)),
             replies.say_chip("ยกเลิก")]
    shown = recipient_messages(draft, ctx.settings, ctx.user.province_code)
    return Outcome.goto(FLOW, "confirm", *shown[-4:], replies.text(summary, chips), data=data)


def _draft(data: dict) -> Campaign:
    """An unsaved campaign, for the preview."""
    return Campaign(title=data["title"], body=data["body"], link_url=data.get("link_url"),
                    image_url=data.get("image_url"), tags=data.get("tags", []), link_token="preview", id=0)


def answer_confirm(turn: Turn, ctx: Context) -> Outcome:
    if not (turn.kind is TurnKind.POSTBACK and turn.postback and turn.postback.action == "cmp.confirm"):
        return Outcome.reply(replies.text("กด \"ยืนยันส่ง\" หรือพิมพ์ \"ยกเลิก\"ค่ะ"))
    data = ctx.data
    try:
        campaign = campaigns.schedule(
            ctx.db, ctx.user, title=data["title"], body=data["body"], link_url=data.get("link_url"),
            image_url=data.get("image_url"), tags=data.get("tags", []),
            audience=campaigns.Audience.from_dict(data["audience"]),
            send_at=max(dt.datetime.fromisoformat(data["send_at"]), ctx.now), now=ctx.now, settings=ctx.settings)
    except campaigns.Refused as refused:
        return Outcome.end(replies.text(f"ยังไม่ได้ส่งค่ะ: {refused}", [replies.say_chip("ส่งข่าว")]))
    when = "จะเริ่มส่งภายใน 1 นาที" if campaign.send_at <= ctx.now else \
        f"ตั้งเวลาส่ง {thai_datetime(campaign.send_at, ctx.timezone)} แล้ว (ยกเลิกหรือเลื่อนได้จนกว่าจะเริ่มส่ง)"
    return Outcome.end(replies.text(f"✅ แคมเปญ “{campaign.title}” {when}\nดูความคืบหน้าและผลได้ที่ \"แคมเปญของฉัน\"",
                                    [replies.say_chip("แคมเปญของฉัน")]))


def _ask(ctx: Context, step: str, data: dict, question: str) -> Outcome:
    return Outcome.goto(FLOW, step, replies.text(question, _chips_for(step, ctx)), data=data)


def _chips_for(step: str | None, ctx: Context) -> list:
    chips = {
        "link": [replies.say_chip(CHIP_NO_LINK)],
        "image": [replies.say_chip(CHIP_NO_IMAGE)],
        "tags": [replies.say_chip(CHIP_NO_TAG), *(replies.say_chip(tag) for tag in SUGGESTED_TAGS)],
        "audience": [replies.say_chip(label) for label in _audience_labels(ctx.user)],
        "when": [replies.say_chip(CHIP_NOW), _time_picker(ctx, CHIP_PICK_TIME, postback.encode("cmp.when", ctx.token))],
    }.get(step or "", [])
    return [*chips, replies.say_chip("ยกเลิก")][:13]


def _time_picker(ctx: Context, label: str, data: str):
    """LINE's date-time picker, from five minutes ahead to a year ahead (Bangkok time)."""
    local = ctx.now.astimezone(ctx.timezone)
    earliest = (local + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    latest = (local + dt.timedelta(days=365)).strftime("%Y-%m-%dT%H:%M")
    return replies.datetime_chip(label, data, earliest, latest)


def show_mine(turn: Turn, ctx: Context) -> Outcome:
    """The sender's recent campaigns: state, progress and figures; cancel or reschedule scheduled ones."""
    if ctx.user.role not in SENDER_ROLES:
        return Outcome.reply(replies.text(ONLY_SENDERS, [replies.say_chip("ข่าวล่าสุด")]))
    mine = campaigns.campaigns_of(ctx.db, ctx.user)
    if not mine:
        return Outcome.reply(replies.text("ยังไม่มีแคมเปญค่ะ เริ่มได้ที่ \"ส่งข่าว\"", [replies.say_chip("ส่งข่าว")]))
    lines, chips = ["แคมเปญของฉัน (ล่าสุดก่อน)"], []
    for campaign in mine:
        lines.append(_campaign_line(ctx, campaign))
        if campaign.status == CampaignStatus.SCHEDULED:
            cancel = postback.encode("cmp.cancel", k=campaign.id)
            chips.append(replies.postback_chip(f"ยกเลิก {campaign.title}"[:20], cancel, f"ยกเลิกแคมเปญ {campaign.title}"))
            chips.append(_time_picker(ctx, f"เลื่อน {campaign.title}", postback.encode("cmp.resched", k=campaign.id)))
    return Outcome.reply(replies.text("\n\n".join(lines)[:4900], [*chips[:12], replies.say_chip("ส่งข่าว")][:13]))


def _campaign_line(ctx: Context, campaign: Campaign) -> str:
    status = {CampaignStatus.SCHEDULED: f"ตั้งเวลา {thai_datetime(campaign.send_at, ctx.timezone)}",
              CampaignStatus.SENDING: "กำลังส่ง", CampaignStatus.SENT: "ส่งแล้ว",
              CampaignStatus.CANCELLED: "ยกเลิกแล้ว"}.get(campaign.status, campaign.status)
    line = f"• {campaign.title} — {status}"
    if campaign.status in (CampaignStatus.SENDING, CampaignStatus.SENT):
        figures = campaigns.figures(ctx.db, campaign)
        line += (f"\n  ส่งถึงแล้ว {figures.recipients_sent:,}/{figures.recipients:,} คน"
                 f" · ไม่สำเร็จ {figures.recipients_failed:,} · คลิก {figures.clicks:,} · บอกต่อ {figures.shares:,}"
                 f" · ใช้โควตา {figures.quota_cost:,}")
        top = ", ".join(f"{PROVINCES_BY_CODE[code].name_th if code in PROVINCES_BY_CODE else 'อื่น ๆ'} {count}"
                        for code, count in figures.clicks_by_province[:3])
        if top:
            line += f"\n  คลิกมากสุด: {top}"
    else:
        line += f"\n  ผู้รับประมาณ {campaign.recipient_count:,} คน · ใช้โควตา {campaign.quota_cost:,}"
    return line


def _own_campaign(turn: Turn, ctx: Context) -> Campaign | None:
    """The sender's own campaign a button is about (None for anyone else's, or a forged id)."""
    raw = turn.postback.params.get("k", "") if turn.postback else ""
    campaign = ctx.db.get(Campaign, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    return campaign if campaign is not None and campaign.created_by_id == ctx.user.id else None


def reschedule(turn: Turn, ctx: Context) -> Outcome:
    """A new send time picked for a scheduled campaign (checked again: past, a year ahead, permission)."""
    campaign = _own_campaign(turn, ctx)
    if campaign is None:
        return Outcome.reply(replies.text(NOT_YOUR_CAMPAIGN))
    try:
        send_at = campaigns.parse_send_time(turn.postback_params.get("datetime"), ctx.now, ctx.timezone)
        campaigns.edit(ctx.db, campaign, ctx.user, ctx.now, ctx.settings, send_at=send_at)
    except campaigns.Refused as refused:
        return Outcome.reply(replies.text(str(refused), [replies.say_chip("แคมเปญของฉัน")]))
    return Outcome.reply(replies.text(
        f"เลื่อนแคมเปญ “{campaign.title}” เป็น {thai_datetime(campaign.send_at, ctx.timezone)} แล้วค่ะ",
        [replies.say_chip("แคมเปญของฉัน")]))


def cancel_campaign(turn: Turn, ctx: Context) -> Outcome:
    campaign = _own_campaign(turn, ctx)
    if campaign is None:
        return Outcome.reply(replies.text(NOT_YOUR_CAMPAIGN))
    try:
        cancelled = campaigns.cancel(ctx.db, campaign, ctx.user, ctx.now)
    except campaigns.Refused as refused:
        return Outcome.reply(replies.text(str(refused), [replies.say_chip("แคมเปญของฉัน")]))
    text = f"ยกเลิกแคมเปญ “{campaign.title}” แล้วค่ะ" if cancelled else campaigns.CANCELLED_ALREADY
    return Outcome.reply(replies.text(text, [replies.say_chip("แคมเปญของฉัน")]))


FLOW_DEFINITION = Flow(
    name=FLOW,
    steps={"title": answer_title, "body": answer_body, "link": answer_link, "image": answer_image,
           "tags": answer_tags, "audience": answer_audience, "provinces": answer_provinces, "when": answer_when,
           "confirm": answer_confirm},
    start=start,
    entry_texts=START_TEXTS,
)
ACTIONS = {"cmp.cancel": cancel_campaign, "cmp.resched": reschedule}
