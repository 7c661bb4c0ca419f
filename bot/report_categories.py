"""What a problem report is about: the ten kinds of case the ministry's 1300 centre takes, plus other
hardship, and a suggestion from the words of what the youth wrote (tokenised with pythainlp).

The suggestion only helps: the youth always confirms or picks another category.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from pythainlp.corpus import thai_words
from pythainlp.tokenize import word_tokenize
from pythainlp.util import dict_trie


@dataclass(frozen=True)
class Category:
    code: str
    label: str  # a quick-reply chip: at most 20 characters
    keywords: tuple[str, ...] = ()


CATEGORIES = (
    Category("child_risk", "เด็กและเยาวชนเสี่ยง", ("เด็ก", "ถูกทิ้ง", "ทอดทิ้ง", "ไม่ได้ไปโรงเรียน", "ออกจากโรงเรียน",
                                                 "ถูกรังแก", "ไม่มีคนดูแล", "หิว", "กำพร้า", "ละเลย", "ขังไว้")),
    Category("domestic_violence", "ความรุนแรงในครอบครัว", ("ตี", "ทุบตี", "ทำร้าย", "ตบ", "เตะ", "ชก", "ความรุนแรง",
                                                         "ทะเลาะ", "ขู่", "เมา", "บาดเจ็บ", "ช้ำ", "ล่วงละเมิด")),
    Category("elderly", "ผู้สูงอายุ", ("ผู้สูงอายุ", "คนแก่", "ยาย", "ปู่", "ย่า", "ตายาย", "คนชรา", "อยู่คนเดียว",
                                   "ติดเตียง", "ชรา")),
    Category("disability", "คนพิการ", ("พิการ", "คนพิการ", "วีลแชร์", "รถเข็น", "ตาบอด", "หูหนวก", "เป็นใบ้",
                                     "ออทิสติก", "ขาขาด")),
    Category("homeless", "คนไร้ที่พึ่ง", ("ไร้บ้าน", "ไร้ที่พึ่ง", "คนเร่ร่อน", "เร่ร่อน", "นอนข้างถนน",
                                      "ไม่มีที่อยู่", "ไม่มีที่นอน", "ใต้สะพาน")),
    Category("begging", "ขอทาน", ("ขอทาน", "ขอเงิน", "นั่งขอ", "ขายพวงมาลัย", "ขอเศษเงิน")),
    Category("drugs", "ยาเสพติด", ("ยาเสพติด", "ยาบ้า", "ไอซ์", "เฮโรอีน", "กัญชา", "กระท่อม", "เสพ", "ค้ายา",
                                 "ยาไอซ์", "สี่คูณร้อย")),
    Category("teen_pregnancy", "ท้องไม่พร้อม", ("ท้อง", "ตั้งครรภ์", "ท้องไม่พร้อม", "ทำแท้ง", "แท้ง", "คุมกำเนิด")),
    Category("trafficking", "ค้ามนุษย์", ("ค้ามนุษย์", "บังคับทำงาน", "ขายตัว", "หลอกไปทำงาน", "ค้าประเวณี",
                                     "ยึดบัตร", "กักขัง", "ใช้แรงงานเด็ก")),
    Category("missing", "คนหาย", ("หาย", "หายตัว", "คนหาย", "เด็กหาย", "ตามหา", "ไม่กลับบ้าน", "ติดต่อไม่ได้")),
    Category("other", "เดือดร้อนอื่น ๆ"),
)
CATEGORY_BY_CODE = {category.code: category for category in CATEGORIES}
WEAK_WORDS = frozenset({"เด็ก", "เมา", "ทะเลาะ", "หิว", "หาย"})  # common in any story: half a point
UNSPECIFIED = "unspecified"  # an urgent report sent before the youth chose a category
UNSPECIFIED_LABEL = "ยังไม่ระบุประเภท"


def label_of(code: str) -> str:
    category = CATEGORY_BY_CODE.get(code)
    return category.label if category else UNSPECIFIED_LABEL


def find(text: str | None) -> Category | None:
    """The category whose label (or code) is exactly `text`, for a tapped or typed choice."""
    key = " ".join(unicodedata.normalize("NFC", text or "").split())
    return next((c for c in CATEGORIES if key in (c.label, c.code)), None)


@lru_cache(maxsize=1)
def _dictionary():
    keywords = {word for category in CATEGORIES for word in category.keywords}
    return dict_trie(set(thai_words()) | keywords)


def suggest(description: str) -> Category | None:
    """The category most of the description's words point to, or None when no word does (or a tie)."""
    words = word_tokenize(unicodedata.normalize("NFC", description), custom_dict=_dictionary(), keep_whitespace=False)
    scores: Counter[str] = Counter()
    for word in words:
        for category in CATEGORIES:
            if word in category.keywords:
                scores[category.code] += 0.5 if word in WEAK_WORDS else 1
    ranked = scores.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return CATEGORY_BY_CODE[ranked[0][0]]
