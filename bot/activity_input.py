"""What a mentor or coordinator gives for an activity, checked: title, place, description, start and end,
capacity, reminder offsets, a map location. Each `clean_*` / `parse_*` returns the value to store or raises
`Refused` with the Thai reason to show; `check_draft` checks a whole draft again just before it is stored.

Typed dates and times are read like a campaign's send time (bot/campaign_input.parse_send_time: LINE's
date-time picker, "25/11/2569 09:00", "23 พ.ย. 69 9.00", "พรุ่งนี้ 9:00"; years above 2400 and two-digit years
are Buddhist era). An end may be a time alone ("16:00", "16.30 น."): the start's day, or the next day when
it is not after the start's clock time (an activity across midnight).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from pythainlp.util import thai_digit_to_arabic_digit

from bot.campaign_audience import Audience
from bot.campaign_input import LATE_GRACE, read_time
from bot.textinput import FORBIDDEN, Refused, normalised
from bot.thai import thai_datetime
from models import Repeat

DEFAULT_REMINDER_MINUTES = (1440, 120)
MAX_CAPACITY = 1000
TITLE_MAX, PLACE_MAX, DESCRIPTION_MAX = 100, 300, 2000
LONGEST = dt.timedelta(hours=24)
FURTHEST_AHEAD = dt.timedelta(days=365)
MAX_REMINDERS, LONGEST_REMINDER = 5, 14 * 24 * 60  # at most 5 reminders, none more than 14 days before
NO_LIMIT_WORDS = frozenset({"ไม่จำกัด", "ไม่จำกัดจำนวน", "ไม่กำหนด", "ไม่มี", "-", "none", "no limit"})
NOW_WORDS = ("ตอนนี้", "เดี๋ยวนี้", "ทันที", "ส่งเลย", "now")
TIME_EXAMPLES = "เช่น 25/12/2569 09:00, 25 ธ.ค. 69 9.00 หรือ พรุ่งนี้ 9:00"

_TIME_ONLY = re.compile(r"(?:ถึง\s*|เวลา\s*)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})\s*(?:น\.?|นาฬิกา)?")
_NUMBER = re.compile(r"\d[\d,]*")

PAST_START = "เวลาเริ่ม {when} ผ่านไปแล้วค่ะ เลือกเวลาที่ยังไม่ถึงนะคะ"
TOO_FAR = "นัดกิจกรรมล่วงหน้าได้ไม่เกิน 1 ปีค่ะ ({when} ไกลเกินไป)"
END_NOT_AFTER_START = "เวลาจบต้องหลังเวลาเริ่ม ({start}) ค่ะ"
TOO_LONG = "กิจกรรมหนึ่งครั้งยาวได้ไม่เกิน 24 ชั่วโมงค่ะ ถ้านานกว่านั้นสร้างเป็นหลายวันนะคะ"


@dataclass
class Draft:
    """An activity before it is stored: what a creator gave, every instant an aware UTC datetime."""

    title: str
    description: str | None
    place_text: str
    latitude: float | None
    longitude: float | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    audience: Audience
    capacity: int | None = None
    repeat: str | None = None
    reminder_minutes: tuple[int, ...] = field(default=DEFAULT_REMINDER_MINUTES)


def clean_title(text: str | None) -> str:
    """The activity's name: 1-100 characters, spaces collapsed."""
    title = normalised(text)
    if not title:
        raise Refused("ขอชื่อกิจกรรมสั้น ๆ ด้วยค่ะ เช่น เก็บขยะริมคลอง")
    if len(title) > TITLE_MAX:
        raise Refused(f"ชื่อกิจกรรมยาว {len(title):,} ตัวอักษร เกิน {TITLE_MAX} ค่ะ ช่วยตัดให้สั้นลงนะคะ")
    _refuse_controls(title, "ชื่อกิจกรรม")
    return title


def clean_place(text: str | None) -> str:
    """Where it happens, as written: 1-300 characters."""
    place = normalised(text)
    if not any(unicodedata.category(ch).startswith("L") for ch in place):
        raise Refused("ขอชื่อสถานที่เป็นตัวอักษรนะคะ เช่น ศาลาประชาคม หมู่ 3 ต.ในเมือง")
    if len(place) > PLACE_MAX:
        raise Refused(f"ชื่อสถานที่ยาว {len(place):,} ตัวอักษร เกิน {PLACE_MAX} ค่ะ ช่วยเขียนให้สั้นลงนะคะ")
    _refuse_controls(place, "ชื่อสถานที่")
    return place


def clean_description(text: str | None) -> str:
    """What the activity is about (lines kept, NFC), 1-2,000 characters."""
    lines = [" ".join(line.split()) for line in unicodedata.normalize("NFC", text or "").strip().splitlines()]
    description = "\n".join(lines).strip()
    if not description:
        raise Refused("รายละเอียดยังว่างอยู่ค่ะ พิมพ์สั้น ๆ ว่าทำอะไร เตรียมอะไรไปบ้าง")
    if len(description) > DESCRIPTION_MAX:
        raise Refused(f"รายละเอียดยาว {len(description):,} ตัวอักษร เกิน {DESCRIPTION_MAX:,} ค่ะ ช่วยตัดให้สั้นลงนะคะ")
    return description


def _refuse_controls(value: str, what: str) -> None:
    if FORBIDDEN & set(value) or any(unicodedata.category(ch) in ("Cc", "Cf", "Co") for ch in value):
        raise Refused(f"{what}ใช้ได้แค่ตัวอักษร ตัวเลข และเครื่องหมายทั่วไปค่ะ (ไม่ใช้ < > {{ }} [ ] $)")


def parse_start(text: str | None, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The start as a UTC instant from typed text or LINE's picker, in `tz`; refused when unreadable, gone by
    or more than a year ahead."""
    starts_at = _typed_instant(text, now, tz)
    return check_start(starts_at, now, tz)


def check_start(starts_at: dt.datetime, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """`starts_at` if it is neither gone by (more than a minute ago) nor more than a year ahead."""
    if starts_at.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware start")
    if starts_at < now - LATE_GRACE:
        raise Refused(PAST_START.format(when=thai_datetime(starts_at, tz)))
    if starts_at > now + FURTHEST_AHEAD:
        raise Refused(TOO_FAR.format(when=thai_datetime(starts_at, tz)))
    return starts_at


def parse_end(text: str | None, starts_at: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The end as a UTC instant: a time alone ("16:00", "16.30 น.") is on the start's day, or the next day
    when it is not after the start's clock time; or a full date and time. Refused unless after the start
    and at most 24 hours after it."""
    raw = thai_digit_to_arabic_digit(unicodedata.normalize("NFC", text or "")).strip().lower()
    match = _TIME_ONLY.fullmatch(raw)
    if match:
        ends_at = _time_after(int(match["hour"]), int(match["minute"]), starts_at, tz)
    else:
        ends_at = _end_instant(raw, starts_at, tz)
    return check_end(starts_at, ends_at, tz)


def check_end(starts_at: dt.datetime, ends_at: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    if ends_at <= starts_at:
        raise Refused(END_NOT_AFTER_START.format(start=thai_datetime(starts_at, tz)))
    if ends_at - starts_at > LONGEST:
        raise Refused(TOO_LONG)
    return ends_at


def _time_after(hour: int, minute: int, starts_at: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    if hour > 23 or minute > 59:
        raise Refused(f"เวลา {hour}:{minute:02d} ไม่มีจริงค่ะ ใช้แบบ 24 ชั่วโมง เช่น 16:00 หรือ 16.30")
    local_start = starts_at.astimezone(tz)
    ends = dt.datetime.combine(local_start.date(), dt.time(hour, minute), tzinfo=tz)
    if ends.time() <= local_start.time():  # across midnight: 22:00 - 02:00
        ends = dt.datetime.combine(local_start.date() + dt.timedelta(days=1), dt.time(hour, minute), tzinfo=tz)
    return ends.astimezone(dt.UTC)


def _typed_instant(text: str | None, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A typed date and time, read as a campaign's send time is (relative to `now`); unchecked."""
    if normalised(text).lower() in NOW_WORDS:
        raise Refused(f"พิมพ์วันที่และเวลาของกิจกรรมค่ะ {TIME_EXAMPLES}")
    instant = read_time(text, now, tz)
    if instant is None:
        raise Refused(f"อ่านวันเวลานี้ไม่ออกค่ะ พิมพ์วันที่และเวลา {TIME_EXAMPLES}")
    return instant


def _end_instant(text: str, starts_at: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A full date and time for an end, read from the start's day ("พรุ่งนี้ 02:00" is the day after the
    start; a date without a year is its next coming); `check_end` then holds it to the start."""
    start_day = dt.datetime.combine(starts_at.astimezone(tz).date(), dt.time(0, 0), tzinfo=tz).astimezone(dt.UTC)
    return _typed_instant(text, start_day + LATE_GRACE, tz)


def parse_capacity(text: str | None) -> int | None:
    """How many may join: a number 1-1,000 (Thai digits and "คน" accepted) or None for "ไม่จำกัด"."""
    raw = normalised(thai_digit_to_arabic_digit(text or "")).lower()
    if raw in NO_LIMIT_WORDS or raw == "":
        return None
    number = _NUMBER.fullmatch(raw.removesuffix("คน").removesuffix("ที่").strip())
    if number is None:
        raise Refused(f"พิมพ์จำนวนที่รับเป็นตัวเลข เช่น 20 หรือกด \"ไม่จำกัด\" ค่ะ (ไม่เกิน {MAX_CAPACITY:,} คน)")
    return check_capacity(int(number.group().replace(",", "")))


def check_capacity(capacity: int | None) -> int | None:
    if capacity is None:
        return None
    if capacity < 1:
        raise Refused("จำนวนที่รับต้องมีอย่างน้อย 1 คนค่ะ ถ้าไม่จำกัดจำนวน กด \"ไม่จำกัด\" นะคะ")
    if capacity > MAX_CAPACITY:
        raise Refused(f"รับได้ไม่เกิน {MAX_CAPACITY:,} คนต่อกิจกรรมค่ะ ถ้าคนมากกว่านั้น กด \"ไม่จำกัด\" นะคะ")
    return capacity


def clean_reminder_minutes(minutes) -> tuple[int, ...]:
    """Reminder offsets in minutes before the start, largest first: at most 5, each 1 minute to 14 days
    (an empty choice means no reminders)."""
    try:
        offsets = sorted({int(value) for value in minutes or ()}, reverse=True)
    except (TypeError, ValueError):
        raise Refused("เลือกเวลาเตือนจากปุ่มนะคะ") from None
    if len(offsets) > MAX_REMINDERS or any(not 0 < value <= LONGEST_REMINDER for value in offsets):
        raise Refused(f"ตั้งเตือนได้ไม่เกิน {MAX_REMINDERS} ครั้ง แต่ละครั้งไม่เกิน 14 วันก่อนเริ่มค่ะ")
    return tuple(offsets)


def check_location(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise Refused("ตำแหน่งต้องมีทั้งละติจูดและลองจิจูดค่ะ")
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Refused("ตำแหน่งบนแผนที่ไม่ถูกต้องค่ะ ลองส่งตำแหน่งใหม่นะคะ")


def check_draft(draft: Draft, now: dt.datetime, tz: dt.tzinfo) -> None:
    """Every rule again on a whole draft (and its fields normalised in place); Refused with the first
    thing that is wrong."""
    draft.title = clean_title(draft.title)
    draft.place_text = clean_place(draft.place_text)
    draft.description = clean_description(draft.description) if (draft.description or "").strip() else None
    check_location(draft.latitude, draft.longitude)
    check_start(draft.starts_at, now, tz)
    check_end(draft.starts_at, draft.ends_at, tz)
    draft.capacity = check_capacity(draft.capacity)
    if draft.repeat is not None and draft.repeat not in Repeat.ALL:
        raise Refused("เลือกการทำซ้ำเป็น ทุกสัปดาห์ ทุกเดือน หรือไม่ซ้ำ ค่ะ")
    draft.reminder_minutes = clean_reminder_minutes(draft.reminder_minutes)
    if not isinstance(draft.audience, Audience):
        raise Refused("เลือกผู้ที่จะชวนก่อนนะคะ")
