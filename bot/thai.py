"""Thai presentation and input helpers: Buddhist-era dates, Thai digits, the 77 provinces.

Data comes from pythainlp wherever it has it: month abbreviations and the Buddhist era from
`pythainlp.util.thai_strftime`, digit conversion from `pythainlp.util`, and the provinces (Thai and
English names, Thai abbreviation, English code) from `pythainlp.corpus.provinces(details=True)`,
all bundled with the package (no network). The only hand-written data is `ALIASES`, a deliberately
tiny table of well-known nicknames that the corpus does not carry.

Dates are shown in Bangkok time. Naive datetimes are refused: every instant in this project is a
timezone-aware UTC datetime (see `bot.clock`), so a naive one is a bug we want to hear about.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pythainlp.corpus import provinces as _pythainlp_provinces
from pythainlp.util import arabic_digit_to_thai_digit, normalize, thai_digit_to_arabic_digit, thai_strftime

try:
    BANGKOK: dt.tzinfo = ZoneInfo("Asia/Bangkok")
except ZoneInfoNotFoundError:  # no system tz database: Thailand has kept UTC+7 without DST since 1920
    BANGKOK = dt.timezone(dt.timedelta(hours=7), "Asia/Bangkok")

QUICK_REPLY_MAX = 13  # LINE's limit on quick-reply buttons per message
PROVINCE_COUNT = 77
FUZZY_CUTOFF = 0.75  # difflib similarity ratio a typo must reach to be suggested


# ---------------------------------------------------------------------------------------------- dates


def _to_local(value: dt.date | dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A datetime in `tz` for formatting; a plain date stays on its calendar day; naive datetimes raise."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: pass a timezone-aware datetime (UTC)")
        return value.astimezone(tz)
    return dt.datetime(value.year, value.month, value.day)


def thai_date(value: dt.date | dt.datetime, tz: dt.tzinfo = BANGKOK, thai_digits: bool = False) -> str:
    """'3 มี.ค. 2562' (or '๓ มี.ค. ๒๕๖๒'): day, Thai month abbreviation, Buddhist-era year.

    An aware datetime is first converted to `tz` (Bangkok by default), so its Thai calendar day is shown.
    """
    return thai_strftime(_to_local(value, tz), "%-d %b %Y", thaidigit=thai_digits)


def thai_datetime(value: dt.datetime, tz: dt.tzinfo = BANGKOK, thai_digits: bool = False) -> str:
    """'3 มี.ค. 2562 14:05 น.': an aware datetime shown in `tz` (Bangkok), Buddhist era, 24-hour clock."""
    if not isinstance(value, dt.datetime):
        raise TypeError("thai_datetime needs a datetime; use thai_date for a date")
    return thai_strftime(_to_local(value, tz), "%-d %b %Y %H:%M น.", thaidigit=thai_digits)


def to_thai_digits(text: str) -> str:
    """Replace Arabic digits with Thai digits ('12' -> '๑๒'), leaving everything else alone."""
    return arabic_digit_to_thai_digit(text)


# -------------------------------------------------------------------------------------------- numbers

_SMALL_NUMBER = re.compile(r"[0-9]{1,3}")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")  # what some phone keyboards type


def parse_number(text: str | None) -> int | None:
    """A typed choice number (0-999) in Arabic, Thai ('๑๒') or full-width digits; None for anything else.

    Surrounding spaces are ignored. Words, signs, decimals, separators, empty text and more than three
    digits all give None, so a handler can simply re-ask.
    """
    if not isinstance(text, str):
        return None
    ascii_digits = thai_digit_to_arabic_digit(text).translate(_FULL_WIDTH_DIGITS).strip()
    if not _SMALL_NUMBER.fullmatch(ascii_digits):
        return None
    return int(ascii_digits)


# ------------------------------------------------------------------------------------------ provinces


@dataclass(frozen=True)
class Province:
    """One of Thailand's 77 provinces (Bangkok included). `code` is pythainlp's English abbreviation."""

    code: str
    name_th: str
    name_en: str
    abbr_th: str


# Well-known nicknames the corpus lacks (kept small on purpose): nickname -> province code.
ALIASES: dict[str, str] = {
    "โคราช": "NMA",
    "korat": "NMA",
    "อยุธยา": "AYA",
    "ayutthaya": "AYA",
    "แปดริ้ว": "CCO",
    "ปากน้ำ": "SPK",
}

_PREFIXES = ("จังหวัด", "จ.", "changwat ")
_SUFFIXES = (" province",)
_IGNORED = re.compile(r"[\s.\-ฯ]+")


def _key(text: str) -> str:
    """Comparison form: Thai-normalised, case-folded, without 'จังหวัด'/'จ.' and spaces, dots, hyphens, ฯ."""
    text = normalize(text).strip().casefold()
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
    for suffix in _SUFFIXES:
        text = text.removesuffix(suffix)
    return _IGNORED.sub("", text)


def _load_provinces() -> tuple[Province, ...]:
    """The provinces from pythainlp's bundled corpus, checked: 77 of them, unique codes, Bangkok present."""
    rows = _pythainlp_provinces(details=True)
    loaded = tuple(Province(r["abbr_en"], r["name_th"], r["name_en"], r["abbr_th"]) for r in rows)
    assert len(loaded) == PROVINCE_COUNT, f"pythainlp gave {len(loaded)} provinces, expected {PROVINCE_COUNT}"
    assert len({p.code for p in loaded}) == PROVINCE_COUNT, "province codes are not unique"
    assert any(p.name_th == "กรุงเทพมหานคร" for p in loaded), "Bangkok is missing"
    return loaded


PROVINCES: tuple[Province, ...] = _load_provinces()
PROVINCES_BY_CODE: dict[str, Province] = {p.code: p for p in PROVINCES}
assert set(ALIASES.values()) <= PROVINCES_BY_CODE.keys(), "an alias points at an unknown province code"


def _names(province: Province) -> tuple[str, ...]:
    """The keys a person may type in full or start typing: Thai name, English name, nicknames."""
    nicknames = tuple(_key(alias) for alias, code in ALIASES.items() if code == province.code)
    return (_key(province.name_th), _key(province.name_en), *nicknames)


_NAMES: dict[str, tuple[str, ...]] = {p.code: _names(p) for p in PROVINCES}
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {p.code: (_key(p.abbr_th), _key(p.code)) for p in PROVINCES}


def _tier(province: Province, query: str) -> int | None:
    """How `query` matches by text: 0 exact name, 1 exact abbreviation, 2 name prefix, None not at all."""
    names = _NAMES[province.code]
    if query in names:
        return 0
    if query in _ABBREVIATIONS[province.code]:
        return 1
    if any(name.startswith(query) for name in names):
        return 2
    return None


def _similarity(province: Province, query: str) -> float:
    """The best difflib ratio between `query` and any of the province's names (1.0 = identical)."""
    return max(difflib.SequenceMatcher(None, query, name).ratio() for name in _NAMES[province.code])


def find_provinces(query: str, limit: int = QUICK_REPLY_MAX) -> list[Province]:
    """Provinces matching what a person typed, best first: exact, then prefix, then close typos.

    Accepts Thai names with or without 'จังหวัด'/'จ.', English names in any case and spacing, the
    corpus abbreviations ('กทม', 'BKK'), the nicknames in `ALIASES`, and the first letters of a name.
    Typo suggestions (difflib ratio >= FUZZY_CUTOFF) are made only when nothing matches exactly or by
    prefix. At most `limit` results (13 = LINE's quick-reply maximum); ties keep the corpus order.
    """
    key = _key(query) if isinstance(query, str) else ""
    if not key or limit <= 0:
        return []
    tiers = [(tier, i, p) for i, p in enumerate(PROVINCES) if (tier := _tier(p, key)) is not None]
    if tiers:
        return [p for _, _, p in sorted(tiers, key=lambda t: (t[0], t[1]))[:limit]]
    scored = [(score, i, p) for i, p in enumerate(PROVINCES) if (score := _similarity(p, key)) >= FUZZY_CUTOFF]
    return [p for _, _, p in sorted(scored, key=lambda s: (-s[0], s[1]))[:limit]]


def province_by_exact_name(query: str) -> Province | None:
    """The one province whose full name (Thai or English), abbreviation or nickname was typed, else None."""
    key = _key(query) if isinstance(query, str) else ""
    exact = [p for p in PROVINCES if key and _tier(p, key) in (0, 1)]
    return exact[0] if len(exact) == 1 else None
