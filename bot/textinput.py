"""What people type for their profile, checked: ages, nicknames, places, guardians' names.

Each `clean_*` returns the value to store, or raises `Refused` with the Thai reason to show. Text is
stored as the person wrote it (NFC, spaces collapsed) and always shown as plain text, so markup is not a
danger in LINE; it is refused anyway because no real name or place contains it and the console shows
these fields too.
"""

from __future__ import annotations

import unicodedata

from bot.thai import parse_number

MIN_AGE, MAX_AGE = 5, 25  # the programme: children and young people up to 25
GUARDIAN_AGE = 10  # under this, a parent or guardian consents (PDPA)
NICKNAME_MAX = 20
PLACE_MAX = 100
PERSON_NAME_MAX = 60
FORBIDDEN = set("<>{}[]\\|`$")


class Refused(ValueError):
    """Input that cannot be stored; `str(error)` is the Thai reason."""


def normalised(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def clean_age(text: str | None) -> int:
    age = parse_number(_strip_unit(normalised(text)))
    if age is None:
        raise Refused("พิมพ์อายุเป็นตัวเลขนะคะ เช่น 12 หรือ ๑๒")
    if age < MIN_AGE:
        raise Refused(f"อายุ {age} ปี ดูไม่ถูกต้องค่ะ พิมพ์อายุอีกครั้ง เช่น 12")
    return age


def _strip_unit(text: str) -> str:
    return text.removesuffix("ปี").removesuffix("ขวบ").strip()


def clean_nickname(text: str | None) -> str:
    return _clean_words(text, NICKNAME_MAX, "ชื่อเล่น", example="ฟ้า")


def clean_place(text: str | None, what: str = "ชื่อชุมชน") -> str:
    return _clean_words(text, PLACE_MAX, what, example="ชุมชนบ้านหนองบัว ต.ในเมือง")


def clean_person_name(text: str | None) -> str:
    return _clean_words(text, PERSON_NAME_MAX, "ชื่อ", example="สมศรี ใจดี")


def _clean_words(text: str | None, limit: int, what: str, example: str) -> str:
    value = normalised(text)
    if not any(unicodedata.category(ch).startswith("L") for ch in value):
        raise Refused(f"ขอ{what}เป็นตัวอักษรนะคะ เช่น {example}")
    if len(value) > limit:
        raise Refused(f"{what}ยาวเกินไปค่ะ ไม่เกิน {limit} ตัวอักษร เช่น {example}")
    if FORBIDDEN & set(value) or any(unicodedata.category(ch) in ("Cc", "Cf", "Co") for ch in value):
        raise Refused(f"{what}ใช้ได้แค่ตัวอักษร ตัวเลข และเว้นวรรคค่ะ เช่น {example}")
    return value
