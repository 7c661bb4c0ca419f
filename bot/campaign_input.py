"""What a coordinator or mentor gives for a campaign, checked: title, body, link, image (a URL or an uploaded
file), tags and the send time. Each `clean_*` returns the value to store or raises `Refused` with the Thai
reason to show; `parse_send_time` reads LINE's datetime picker and what people type (Buddhist-era years,
Thai month names, Thai digits, "พรุ่งนี้ 9:00") and returns a UTC instant.

LINE's limits behind the checks: a text message holds 5,000 UTF-16 code units (an emoji counts as 2), a URI
action 1,000 characters, an image message 10 MB over https only.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from pythainlp.util import thai_digit_to_arabic_digit
from pythainlp.util.date import thai_abbr_months, thai_full_months

from bot.config import Settings, uses_local_line
from bot.photo_store import PhotoRejected, decode_picture, jpeg_bytes
from bot.textinput import Refused, normalised
from bot.thai import thai_datetime

TITLE_MAX = 100
BODY_MAX_UTF16 = 5000  # LINE's text message limit, in UTF-16 code units
LINK_MAX = 1000  # LINE's limit on a URI action
TAG_MAX, TAGS_MAX = 40, 5
IMAGE_MAX_BYTES = 10 * 1024 * 1024  # LINE's limit for an image
IMAGE_MAX_SIDE = 1024
IMAGE_DIR = "campaigns"  # under MEDIA_DIR; served publicly by bot/campaign_links.py
IMAGE_NAME = re.compile(r"[A-Za-z0-9_-]{24}")
IMAGE_PATH = "/campaign-images/"
LATE_GRACE = dt.timedelta(minutes=1)  # a time this close behind now still counts as "now"
FURTHEST_AHEAD = dt.timedelta(days=365)
BE_OFFSET = 543

SEND_TIME_EXAMPLES = "เช่น 23/11/2569 09:00, 23 พ.ย. 69 9.00 หรือ พรุ่งนี้ 9:00"


def utf16_length(text: str) -> int:
    """How LINE counts a text's length: UTF-16 code units (an emoji outside the BMP counts as 2)."""
    return len(text.encode("utf-16-le")) // 2


def clean_title(text: str | None) -> str:
    title = normalised(text)
    if not title:
        raise Refused("ขอชื่อแคมเปญสั้น ๆ ด้วยค่ะ เช่น รู้ทันยาเสพติด")
    if len(title) > TITLE_MAX:
        raise Refused(f"ชื่อแคมเปญยาว {len(title):,} ตัวอักษร เกิน {TITLE_MAX} ค่ะ ช่วยตัดให้สั้นลงนะคะ")
    return title


def clean_body(text: str | None) -> str:
    """The body as written (NFC, outer spaces removed), at most 5,000 UTF-16 code units."""
    body = unicodedata.normalize("NFC", text or "").strip()
    if not body:
        raise Refused("ข้อความของแคมเปญยังว่างอยู่ค่ะ พิมพ์เนื้อหาที่จะส่งด้วยนะคะ")
    units = utf16_length(body)
    if units > BODY_MAX_UTF16:
        raise Refused(f"ข้อความยาว {units:,} หน่วย เกินที่ LINE รับได้ ({BODY_MAX_UTF16:,} หน่วย; "
                      "อีโมจิ 1 ตัวนับเป็น 2) ช่วยตัดให้สั้นลงนะคะ")
    return body


def clean_link(url: str | None) -> str | None:
    """An http(s) address of at most 1,000 characters, or None for no link."""
    link = (url or "").strip()
    if not link:
        return None
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(ch.isspace() for ch in link):
        raise Refused("ลิงก์ต้องขึ้นต้นด้วย http:// หรือ https:// ค่ะ เช่น https://www.m-society.go.th")
    if len(link) > LINK_MAX:
        raise Refused(f"ลิงก์ยาว {len(link):,} ตัวอักษร เกิน {LINK_MAX:,} ที่ LINE รับได้ค่ะ")
    return link


def clean_image_url(url: str | None, settings: Settings | None = None) -> str | None:
    """An https image address (LINE loads images only over https), or None. http is allowed only for a
    loopback address while the bot talks to the local sandbox (`settings` says so)."""
    link = (url or "").strip()
    if not link:
        return None
    parts = urlsplit(link)
    local = settings is not None and parts.scheme == "http" and uses_local_line(settings, parts)
    if not parts.hostname or any(ch.isspace() for ch in link) or not (parts.scheme == "https" or local):
        raise Refused("ลิงก์รูปต้องขึ้นต้นด้วย https:// ค่ะ (LINE แสดงรูปจาก https เท่านั้น)")
    if len(link) > LINK_MAX:
        raise Refused(f"ลิงก์รูปยาวเกิน {LINK_MAX:,} ตัวอักษรค่ะ")
    return link


def parse_tags(text: str | None) -> list[str]:
    """Tags typed as "#ยาเสพติด, ความรุนแรงในครอบครัว" (commas, new lines or #), cleaned."""
    return clean_tags(re.split(r"[,#\n、]+", text or ""))


def clean_tags(tags) -> list[str]:
    """At most 5 distinct tags of 1-40 characters, without '#', in the order given."""
    cleaned: list[str] = []
    for tag in tags or ():
        value = normalised(str(tag)).lstrip("#").strip()
        if value and value not in cleaned:
            cleaned.append(value)
    if any(len(tag) > TAG_MAX for tag in cleaned):
        raise Refused(f"แท็กยาวเกินไปค่ะ แต่ละแท็กไม่เกิน {TAG_MAX} ตัวอักษร")
    if len(cleaned) > TAGS_MAX:
        raise Refused(f"ใส่แท็กได้ไม่เกิน {TAGS_MAX} แท็กค่ะ")
    return cleaned


# ------------------------------------------------------------------------------------------------- images


def store_campaign_image(settings: Settings, data: bytes) -> str:
    """Check an uploaded image, re-encode it as a JPEG of at most 1024 px without metadata, store it under
    `<MEDIA_DIR>/campaigns/` and return its public address (`{PUBLIC_BASE_URL}/campaign-images/<name>.jpg`)."""
    if not settings.public_base_url:
        raise Refused("ระบบยังรับรูปอัปโหลดไม่ได้ (ยังไม่ได้ตั้ง PUBLIC_BASE_URL) ใช้ลิงก์รูป https แทนนะคะ")
    jpeg = encode_campaign_image(data)
    folder = Path(settings.media_dir) / IMAGE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_urlsafe(18)
    temporary = folder / f".{name}.tmp"
    temporary.write_bytes(jpeg)
    os.replace(temporary, folder / f"{name}.jpg")
    return f"{settings.public_base_url}{IMAGE_PATH}{name}.jpg"


def encode_campaign_image(data: bytes) -> bytes:
    """The JPEG to store for an uploaded image, or Refused (too big, not an image)."""
    try:
        picture = decode_picture(data, IMAGE_MAX_BYTES, IMAGE_MAX_SIDE)
    except PhotoRejected as rejected:
        raise Refused({
            "too_large": f"รูปใหญ่ {len(data) / 1024 / 1024:.1f} MB เกิน 10 MB ที่ LINE รับได้ค่ะ ลองย่อรูปก่อนนะคะ",
            "too_many_pixels": "รูปนี้ใหญ่เกินไปค่ะ ลองย่อรูปก่อนนะคะ",
        }.get(rejected.reason, "ไฟล์นี้ไม่ใช่รูปภาพค่ะ ส่งรูป JPEG หรือ PNG นะคะ")) from None
    return jpeg_bytes(picture, quality=85)


def stored_image_path(settings: Settings, name: str) -> Path | None:
    """Where the stored campaign image `name` (without .jpg) lives, or None for a name that cannot be one."""
    return Path(settings.media_dir) / IMAGE_DIR / f"{name}.jpg" if IMAGE_NAME.fullmatch(name or "") else None


# --------------------------------------------------------------------------------------------- send time

_MONTHS = {re.sub(r"[.\s]", "", name): number
           for names in (thai_abbr_months, thai_full_months) for number, name in enumerate(names, start=1)}
_MONTH_PATTERN = "|".join(sorted(("".join(re.escape(ch) + r"\.?" for ch in name) for name in _MONTHS),
                                  key=len, reverse=True))  # "พ.ย.", "พย" and "พฤศจิกายน" alike
_TIME = r"(?:เวลา\s*)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::\d{2})?\s*(?:น\.?|นาฬิกา)?"
_ISO = re.compile(rf"(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})(?:t|\s+){_TIME}")
_NUMERIC = re.compile(rf"(?P<day>\d{{1,2}})[/\-.](?P<month>\d{{1,2}})[/\-.](?P<year>\d{{4}}|\d{{2}})\s+{_TIME}")
_NAMED = re.compile(rf"(?P<day>\d{{1,2}})\s*(?P<month_name>{_MONTH_PATTERN})\s*(?P<year>\d{{4}}|\d{{2}})?\s+{_TIME}")
_RELATIVE = re.compile(rf"(?:(?P<relative>วันนี้|พรุ่งนี้|มะรืนนี้|มะรืน)\s*)?{_TIME}")  # a time alone: today
_RELATIVE_DAYS = {"วันนี้": 0, "พรุ่งนี้": 1, "มะรืนนี้": 2, "มะรืน": 2}
_NOW_WORDS = ("ตอนนี้", "เดี๋ยวนี้", "ทันที", "ส่งเลย", "now")


def parse_send_time(text: str | None, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """When to send, as a UTC instant, from LINE's datetime picker ("2026-11-23T09:00") or typed text in
    `tz` ("23/11/2569 09:00", "23 พ.ย. 69 9.00", "พรุ่งนี้ 9:00", "ตอนนี้"). Years above 2400 are Buddhist era
    (minus 543); two-digit years are Buddhist era too (69 = 2569 = 2026); a date without a year is its next
    coming; a time alone is today. Refused for text it cannot read, a time gone by (more than a minute ago)
    or more than a year ahead."""
    send_at = read_time(text, now, tz)
    if send_at is None:
        raise Refused(f"อ่านวันเวลานี้ไม่ออกค่ะ พิมพ์วันที่และเวลา {SEND_TIME_EXAMPLES}")
    return check_send_time(send_at, now, tz)


def read_time(text: str | None, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """A typed or picked date and time (the forms `parse_send_time` reads) as a UTC instant, relative to `now`;
    None when it cannot be read. No window is checked: each caller checks its own."""
    raw = thai_digit_to_arabic_digit(unicodedata.normalize("NFC", text or "")).strip().lower()
    raw = " ".join(raw.replace("วันที่", " ").split())
    if raw in _NOW_WORDS:
        return now
    local = _read_local(raw, now.astimezone(tz), tz)
    return local.astimezone(dt.UTC) if local is not None else None


def check_send_time(send_at: dt.datetime, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """`send_at` if it is neither gone by (more than a minute ago) nor more than a year ahead."""
    if send_at.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware send time")
    if send_at < now - LATE_GRACE:
        raise Refused(f"เวลา {thai_datetime(send_at, tz)} ผ่านไปแล้วค่ะ เลือกเวลาที่ยังไม่ถึงนะคะ")
    if send_at > now + FURTHEST_AHEAD:
        raise Refused(f"ตั้งเวลาส่งล่วงหน้าได้ไม่เกิน 1 ปีค่ะ ({thai_datetime(send_at, tz)} ไกลเกินไป)")
    return send_at


def _read_local(raw: str, local_now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    for pattern in (_ISO, _NUMERIC, _NAMED, _RELATIVE):
        match = pattern.fullmatch(raw)
        if match:
            return _to_datetime(match.groupdict(), local_now, tz)
    return None


def _to_datetime(parts: dict, local_now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    hour, minute = int(parts["hour"]), int(parts["minute"])
    if hour > 23 or minute > 59:
        raise Refused(f"เวลา {hour}:{minute:02d} ไม่มีจริงค่ะ ใช้แบบ 24 ชั่วโมง เช่น 09:00 หรือ 18:30")
    if "relative" in parts:
        day = local_now.date() + dt.timedelta(days=_RELATIVE_DAYS.get(parts["relative"] or "วันนี้"))
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)
    month = int(parts["month"]) if parts.get("month") else _MONTHS[re.sub(r"[.\s]", "", parts["month_name"])]
    day_number, year_text = int(parts["day"]), parts.get("year")
    years = [_ce_year(year_text)] if year_text else [local_now.year, local_now.year + 1]
    for year in years:
        try:
            value = dt.datetime(year, month, day_number, hour, minute, tzinfo=tz)
        except ValueError:
            raise Refused(f"ไม่มีวันที่ {day_number}/{month} ในปฏิทินค่ะ ลองตรวจวันที่อีกครั้งนะคะ") from None
        if year_text or value >= local_now - LATE_GRACE:
            return value
    return value


def _ce_year(text: str) -> int:
    """A written year in the common era: 2569 -> 2026, 69 -> 2026 (Buddhist era), 2026 -> 2026."""
    year = int(text)
    if len(text) == 2:
        return 2500 + year - BE_OFFSET
    return year - BE_OFFSET if year > 2400 else year
