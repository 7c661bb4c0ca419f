"""Tests for bot.thai: Buddhist-era dates in Bangkok time, Thai digits, number input, provinces."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.thai import (
    ALIASES,
    PROVINCES,
    PROVINCES_BY_CODE,
    QUICK_REPLY_MAX,
    find_provinces,
    parse_number,
    thai_date,
    thai_datetime,
    to_thai_digits,
)

UTC = dt.UTC

# ------------------------------------------------------------------------------------------------ dates


def test_thai_date_uses_buddhist_era_and_thai_month_abbreviation():
    assert thai_date(dt.date(2019, 3, 3)) == "3 มี.ค. 2562"


@pytest.mark.parametrize(
    ("month", "abbr"),
    [
        (1, "ม.ค."),
        (2, "ก.พ."),
        (4, "เม.ย."),
        (5, "พ.ค."),
        (6, "มิ.ย."),
        (7, "ก.ค."),
        (8, "ส.ค."),
        (9, "ก.ย."),
        (10, "ต.ค."),
        (11, "พ.ย."),
        (12, "ธ.ค."),
    ],
)
def test_thai_date_month_abbreviations(month, abbr):
    assert thai_date(dt.date(2026, month, 15)) == f"15 {abbr} 2569"


def test_thai_date_in_thai_digits():
    assert thai_date(dt.date(2019, 3, 3), thai_digits=True) == "๓ มี.ค. ๒๕๖๒"


def test_thai_datetime_converts_utc_to_bangkok():
    assert thai_datetime(dt.datetime(2019, 3, 3, 7, 5, tzinfo=UTC)) == "3 มี.ค. 2562 14:05 น."


def test_thai_datetime_crosses_midnight_and_year_end():
    late_utc = dt.datetime(2025, 12, 31, 18, 30, tzinfo=UTC)  # 01:30 on 1 Jan 2026 in Bangkok
    assert thai_datetime(late_utc) == "1 ม.ค. 2569 01:30 น."
    assert thai_date(late_utc) == "1 ม.ค. 2569"


def test_thai_date_of_plain_date_is_not_shifted():
    assert thai_date(dt.date(2025, 12, 31)) == "31 ธ.ค. 2568"


def test_thai_datetime_in_thai_digits():
    assert thai_datetime(dt.datetime(2019, 3, 3, 7, 5, tzinfo=UTC), thai_digits=True) == "๓ มี.ค. ๒๕๖๒ ๑๔:๐๕ น."


def test_other_timezone_can_be_chosen():
    assert thai_datetime(dt.datetime(2019, 3, 3, 7, 5, tzinfo=UTC), tz=UTC) == "3 มี.ค. 2562 07:05 น."


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        thai_datetime(dt.datetime(2019, 3, 3, 7, 5))
    with pytest.raises(ValueError):
        thai_date(dt.datetime(2019, 3, 3, 7, 5))


def test_to_thai_digits():
    assert to_thai_digits("โทร 1300") == "โทร ๑๓๐๐"


# ---------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("๑๒", 12), ("  3 ", 3), ("\u3000๗\n", 7), ("１２", 12), ("0", 0), ("999", 999), ("๐๐๗", 7)],
)
def test_parse_number_accepts_digits(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "หนึ่ง", "one", "-1", "+1", "1.5", "1,000", "1000", "12a", "1 2", "٣", "²", None],
)
def test_parse_number_rejects_everything_else(text):
    assert parse_number(text) is None


# -------------------------------------------------------------------------------------------- provinces


def test_all_77_provinces_with_unique_codes_and_names():
    assert len(PROVINCES) == 77
    assert len({p.code for p in PROVINCES}) == 77
    assert len({p.name_th for p in PROVINCES}) == 77
    assert len({p.name_en.casefold() for p in PROVINCES}) == 77
    assert PROVINCES_BY_CODE["BKK"].name_th == "กรุงเทพมหานคร"


@pytest.mark.parametrize("province", PROVINCES, ids=lambda p: p.code)
def test_every_province_is_first_for_its_own_names(province):
    assert find_provinces(province.name_th)[0] == province
    assert find_provinces(province.name_en)[0] == province
    assert find_provinces(f"จังหวัด{province.name_th}")[0] == province
    assert find_provinces(f"จ. {province.name_th}")[0] == province


def _names(query):
    return [p.name_th for p in find_provinces(query)]


def test_prefix_finds_every_province_starting_with_it():
    assert set(_names("เชียง")) == {"เชียงใหม่", "เชียงราย"}
    assert _names("สุราษ") == ["สุราษฎร์ธานี"]


def test_english_names_ignore_case_and_spacing():
    assert _names("chiang mai") == ["เชียงใหม่"]
    assert _names("BANGKOK") == ["กรุงเทพมหานคร"]
    assert _names("chonburi") == ["ชลบุรี"]


def test_short_forms_and_aliases():
    assert _names("กทม")[0] == "กรุงเทพมหานคร"
    assert _names("กทม.")[0] == "กรุงเทพมหานคร"
    assert _names("กรุงเทพฯ")[0] == "กรุงเทพมหานคร"
    assert _names("โคราช")[0] == "นครราชสีมา"
    assert _names("อยุธยา")[0] == "พระนครศรีอยุธยา"
    assert all(find_provinces(alias)[0].code == code for alias, code in ALIASES.items())


def test_exact_beats_prefix():
    # "ตร" is the corpus abbreviation of ตราด (exact), and also the start of ตรัง (prefix)
    assert _names("ตร") == ["ตราด", "ตรัง"]
    assert _names("ตราด") == ["ตราด"]
    assert _names("ลำ") == ["ลำปาง", "ลำพูน"]


def test_typos_are_tolerated():
    assert _names("เชียงใม่")[0] == "เชียงใหม่"
    assert find_provinces("chaing mai")[0].name_en == "Chiang Mai"
    assert _names("ขอนแกน")[0] == "ขอนแก่น"


@pytest.mark.parametrize("garbage", ["", "   ", "asdfgh", "ฮฮฮฮ", "12345", "😀", "x"])
def test_garbage_matches_nothing(garbage):
    assert find_provinces(garbage) == []


def test_limit_is_respected():
    assert len(find_provinces("ส")) == QUICK_REPLY_MAX == 13
    assert len(find_provinces("ส", limit=3)) == 3
    assert find_provinces("ส", limit=0) == []
