"""Photos and location pins a youth sends while telling a report, in any step: photos become rows the
worker fetches from LINE at once; a pin on an urgent report already sent goes on to its handlers at once."""

from __future__ import annotations

from bot import replies
from bot.flows import Context, Location, Turn
from bot.report_cards import pin
from bot.reports import EventKind, add_event, tell_handlers
from models import PhotoStatus, Report, ReportPhoto

MAX_PHOTOS = 5
PLACE_MAX = 300
SILENT = object()  # a photo in the middle of a set: no answer yet
TOO_MANY_PHOTOS = "รับรูปได้ไม่เกิน {max} รูปต่อเรื่องค่ะ รูปที่เกินไม่ได้บันทึก"
EXTERNAL_PHOTO = "รูปนี้บอทเปิดไม่ได้ค่ะ ลองส่งเป็นรูปจากในเครื่องอีกครั้งนะคะ"


def add_photo(turn: Turn, ctx: Context, data: dict) -> tuple[dict, object]:
    """The draft with the photo added, and what to say: None (ask the question again), a refusal, or SILENT."""
    photo_ids = list(data.get("photo_ids", []))
    if not turn.content_from_line:
        return data, EXTERNAL_PHOTO
    if len(photo_ids) >= MAX_PHOTOS:
        set_id = turn.image_set.id if turn.image_set else turn.message_id or ""
        already_said = data.get("refused_set") == set_id  # twenty photos: one refusal, not fifteen
        return {**data, "refused_set": set_id}, SILENT if already_said else TOO_MANY_PHOTOS.format(max=MAX_PHOTOS)
    photo = ReportPhoto(report_id=data.get("report_id"), uploader_id=ctx.user.id, line_message_id=turn.message_id,
                        status=PhotoStatus.PENDING, next_attempt_at=ctx.now, created_at=ctx.now)
    ctx.db.add(photo)
    ctx.db.flush()
    last_of_set = turn.image_set is None or turn.image_set.index >= turn.image_set.total
    return {**data, "photo_ids": [*photo_ids, photo.id]}, None if last_of_set else SILENT


def add_location(ctx: Context, data: dict, location: Location) -> dict:
    """The draft with the pin as the place; sent on at once when the urgent report already exists."""
    label = " ".join(filter(None, (location.title, location.address)))[:PLACE_MAX] or None
    data = {**data, "latitude": location.latitude, "longitude": location.longitude, "location_label": label,
            "place_done": True}
    if data.get("report_id"):
        send_pin_now(ctx, ctx.db.get(Report, data["report_id"]), location, label)
    return data


def send_pin_now(ctx: Context, report: Report, location: Location, label: str | None) -> None:
    report.latitude, report.longitude, report.location_label = location.latitude, location.longitude, label
    report.updated_at = ctx.now
    add_event(ctx.db, report, ctx.now, EventKind.LOCATION_SHARED, ctx.user)
    shared = [replies.text(f"📍 น้องส่งตำแหน่งของเรื่องด่วน {report.ref}"), pin(report, f"ตำแหน่งเรื่องด่วน {report.ref}")]
    tell_handlers(ctx.db, report, shared, ctx.now)
