"""The last step of creating an activity: the preview (the invite card exactly as youth will see it, who and
how many will be invited, repetition and reminders) and the confirm, which creates it once: the confirm chip
carries the conversation token, so a second tap of the same chip is a stale button and creates nothing.
The questions before it are handlers/activity.py.

```mermaid
flowchart LR
  answers[the flow's answers] --> draft[Draft, checked again] --> card[invite card as youth see it]
  draft --> summary[who, how many, repeat, reminders]
  summary -->|ac.confirm with the conversation token| create[activities.create: stored + invitations queued]
  summary -->|same chip again| stale[button expired: nothing created]
```
"""

from __future__ import annotations

import datetime as dt

from linebot.v3.messaging import Message

from bot import activities, postback, replies
from bot.activity_cards import invite_card
from bot.campaign_audience import Audience, describe
from bot.flows import Context, Outcome, Turn, TurnKind
from bot.textinput import Refused
from models import Repeat

REPEAT_CHOICES = {"ไม่ซ้ำ": None, "ทุกสัปดาห์": Repeat.WEEKLY, "ทุกเดือน": Repeat.MONTHLY}
REMINDER_CHOICES = {  # chip (<= 20 characters) -> minutes before the start
    "1 วัน และ 2 ชม. ก่อน": (1440, 120), "1 วันก่อน": (1440,), "2 ชม. ก่อน": (120,), "1 ชม. ก่อน": (60,),
    "ไม่ต้องเตือน": (),
}
CHIP_CONFIRM = "ยืนยันสร้างกิจกรรม"
PREVIEW = "👆 การ์ดที่น้อง ๆ จะเห็น\nชวน: {audience} · {count:,} คน\nจัดซ้ำ: {repeat} · เตือน: {reminders}"
NOBODY = ("\n⚠️ ตอนนี้ยังไม่มีน้องที่รับคำเชิญได้ (ต้องเป็นเพื่อนกับบอทและเปิดรับข่าวกิจกรรม) "
          "น้องที่เข้ามาภายหลังจะเห็นกิจกรรมนี้ใน \"กิจกรรมของฉัน\"")
PRESS_CONFIRM = "กด \"ยืนยันสร้างกิจกรรม\" หรือพิมพ์ \"ยกเลิก\"ค่ะ"
CREATED = "✅ สร้างกิจกรรม “{title}” แล้ว ส่งคำเชิญถึงน้อง {count:,} คน\nดูคนตอบรับ เลื่อนเวลา หรือยกเลิกได้ที่ \"กิจกรรมของกลุ่ม\""
NOT_CREATED = "ยังไม่ได้สร้างกิจกรรมค่ะ: {reason}"


def messages(ctx: Context, data: dict) -> list[Message]:
    """The card and the summary with the confirm chip (Refused when the draft no longer holds)."""
    draft = draft_of(data)
    activities.check_draft(draft, ctx.now, ctx.timezone)
    count = activities.invitee_count(ctx.db, draft)
    summary = PREVIEW.format(audience=describe(draft.audience, ctx.user.nickname), count=count,
                             repeat=_label(REPEAT_CHOICES, draft.repeat),
                             reminders=_label(REMINDER_CHOICES, tuple(draft.reminder_minutes)))
    if count == 0:
        summary += NOBODY
    chips = [replies.postback_chip(CHIP_CONFIRM, postback.encode("ac.confirm", ctx.token)), replies.say_chip("ยกเลิก")]
    return [invite_card(activities.unsaved(draft), ctx.settings), replies.text(summary, chips)]


def draft_of(data: dict) -> activities.Draft:
    """The conversation's answers as the domain's Draft."""
    return activities.Draft(
        title=data["title"], description=data.get("description"), place_text=data["place_text"],
        latitude=data.get("lat"), longitude=data.get("lng"),
        starts_at=dt.datetime.fromisoformat(data["starts_at"]), ends_at=dt.datetime.fromisoformat(data["ends_at"]),
        audience=Audience.from_dict(data["audience"]), capacity=data.get("capacity"), repeat=data.get("repeat"),
        reminder_minutes=tuple(data.get("reminders", activities.DEFAULT_REMINDER_MINUTES)))


def _label(choices: dict, value) -> str:
    return next((label for label, chosen in choices.items() if chosen == value), "-")


def answer_confirm(turn: Turn, ctx: Context) -> Outcome:
    if not (turn.kind is TurnKind.POSTBACK and turn.postback and turn.postback.action == "ac.confirm"):
        return Outcome.reply(replies.text(PRESS_CONFIRM))
    try:
        activity = activities.create(ctx.db, ctx.user, draft_of(ctx.data), ctx.now, ctx.settings)
    except Refused as refused:
        return Outcome.end(replies.text(NOT_CREATED.format(reason=refused), [replies.say_chip("สร้างกิจกรรม")]))
    return Outcome.end(replies.text(CREATED.format(title=activity.title, count=activity.invited_count),
                                    [replies.say_chip("กิจกรรมของกลุ่ม")]))
