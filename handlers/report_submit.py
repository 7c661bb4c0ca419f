"""What the youth's confirm tap does: open and route a new report, add a same-day repeat to the first one
(a possible duplicate, not a new case), or complete an urgent report that was sent before its details.
Returns the answer to the youth; their draft is in the conversation's data."""

from __future__ import annotations

from linebot.v3.messaging import Message

from bot import replies
from bot.escalation import route
from bot.flows import Context
from bot.report_cards import staff_card
from bot.reports import EventKind, add_event, attach_photos, open_report, possible_duplicate, tell_handlers
from bot.thai import thai_date
from handlers import common
from models import Report

NEXT_STEPS = ("ส่งเรื่องแล้วค่ะ เลขที่ {ref}\n"
              "• {who}ได้รับเรื่องนี้แล้ว\n"
              "• ถ้ายังไม่มีใครรับเรื่องภายใน {window} ระบบจะส่งต่อถึงผู้ประสานงานจังหวัดเอง\n"
              "• น้องจะได้รับข้อความเมื่อเรื่องคืบหน้า ดูสถานะได้ที่ \"เรื่องที่แจ้ง\"\n"
              "ขอบคุณที่ช่วยดูแลชุมชนนะคะ 💚 อย่าเข้าไปเผชิญหน้ากับใครเองนะคะ")
MERGED = ("เรื่องนี้คล้ายกับเรื่อง {ref} ที่น้องแจ้งไว้เมื่อ {when} (ที่เดียวกัน ประเภทเดียวกัน) "
          "จึงเพิ่มข้อมูลใหม่เข้าไปในเรื่องเดิมแล้วค่ะ ผู้ดูแลเรื่องเห็นข้อมูลใหม่ด้วย")
URGENT_COMPLETE = "ส่งรายละเอียดเพิ่มเติมของเรื่องด่วน {ref} แล้วค่ะ ถ้ายังมีอันตรายอยู่ โทร 191 ได้ทันที"
MY_REPORTS_CHIP = "เรื่องที่แจ้ง"


def submit(ctx: Context, data: dict) -> list[Message]:
    if data.get("report_id"):
        return complete_urgent(ctx, data)
    earlier = possible_duplicate(ctx.db, ctx.user, data["category"], ctx.now, data.get("place_text"),
                                 data.get("latitude"), data.get("longitude"))
    if earlier is not None:
        return merge_into(ctx, earlier, data)
    report = open_report(ctx.db, ctx.user, ctx.now, urgent=False, submitted=True, **report_fields(data))
    attach_photos(ctx.db, report, data.get("photo_ids", []), ctx.user)
    route(ctx.db, report, ctx.now, ctx.settings)
    window = f"{ctx.settings.report_ack_normal_hours} ชั่วโมง"
    text = NEXT_STEPS.format(ref=report.ref, who=who_has_it(report), window=window)
    return [replies.text(text, [replies.say_chip(MY_REPORTS_CHIP), replies.say_chip(common.CHIP_EMERGENCY)])]


def who_has_it(report: Report) -> str:
    """Who the youth is told now has their report."""
    return "พี่เลี้ยง" if report.mentor_id and report.escalation_level == 0 else "ผู้ประสานงานจังหวัด"


def report_fields(data: dict) -> dict:
    return {"category": data["category"], "description": data["description"], "place_text": data.get("place_text"),
            "latitude": data.get("latitude"), "longitude": data.get("longitude"),
            "location_label": data.get("location_label"), "contact_ok": data["contact_ok"]}


def complete_urgent(ctx: Context, data: dict) -> list[Message]:
    """The details of an urgent report already sent: stored on it and sent to whoever has it."""
    report = ctx.db.get(Report, data["report_id"])
    for name, value in report_fields(data).items():
        if value is not None or name not in ("latitude", "longitude", "location_label"):  # keep a pin sent earlier
            setattr(report, name, value)
    report.submitted_at, report.updated_at = ctx.now, ctx.now
    attach_photos(ctx.db, report, data.get("photo_ids", []), ctx.user)
    add_event(ctx.db, report, ctx.now, EventKind.DETAILS_ADDED, ctx.user)
    update = [replies.text(f"📝 น้องส่งรายละเอียดของเรื่องด่วน {report.ref} ครบแล้ว"),
              *staff_card(ctx.db, report, report.escalation_level, ctx.timezone)]
    tell_handlers(ctx.db, report, update, ctx.now)
    return [replies.text(URGENT_COMPLETE.format(ref=report.ref),
                         [replies.say_chip(MY_REPORTS_CHIP), *common.emergency_chips()])]


def merge_into(ctx: Context, earlier: Report, data: dict) -> list[Message]:
    """Same youth, same category and place within a day: recorded as a possible duplicate of the earlier
    case (its own row, for counts), its details and photos added to the earlier one, its handlers told."""
    duplicate = open_report(ctx.db, ctx.user, ctx.now, urgent=False, submitted=True, **report_fields(data))
    duplicate.status, duplicate.duplicate_of_id, duplicate.closed_at = "duplicate", earlier.id, ctx.now
    duplicate.mentor_id = earlier.mentor_id
    attach_photos(ctx.db, earlier, data.get("photo_ids", []), ctx.user)
    add_event(ctx.db, earlier, ctx.now, EventKind.DUPLICATE_ADDED, ctx.user, note=data["description"],
              duplicate=duplicate.ref)
    notice = replies.text(f"🔁 น้องแจ้งเรื่อง {earlier.ref} ซ้ำ (ที่เดียวกัน ประเภทเดียวกัน) ข้อมูลใหม่:\n"
                          f"{data['description'][:1000]}")
    tell_handlers(ctx.db, earlier, [notice], ctx.now)
    when = thai_date(earlier.created_at, ctx.timezone)
    return [replies.text(MERGED.format(ref=earlier.ref, when=when), [replies.say_chip(MY_REPORTS_CHIP)])]
