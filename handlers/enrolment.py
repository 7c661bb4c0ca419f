"""Enrolment: what registering a youth changes once they confirm — profile, consent record, the mentor's
group (the group code is used then, so a code revoked during registration is caught), the news to their
mentor or to the province's coordinators, their rich menu, and the welcome with the tutorial card.
"""

from __future__ import annotations

from linebot.v3.messaging import Message

from bot import access, cards, people, privacy, replies
from bot.access import ClaimResult
from bot.flows import Context
from bot.outbox import push_to
from bot.textinput import GUARDIAN_AGE
from bot.thai import PROVINCES_BY_CODE
from handlers import consent
from models import CodeKind, Role, User, UserStatus

DONE = "สมัครเรียบร้อย ยินดีต้อนรับน้อง{nickname} สู่ อพม.น้อย ค่ะ 🌱"
DONE_WITH_MENTOR = "พี่{mentor} พี่เลี้ยงของน้อง ได้รับแจ้งแล้วค่ะ"
DONE_NO_MENTOR = "เจ้าหน้าที่จังหวัด{province}ได้รับแจ้งแล้ว จะช่วยหาพี่เลี้ยงให้น้องนะคะ"
MENTOR_NEWS = "น้อง{nickname} ({community}) เข้ากลุ่มของพี่ทาง LINE แล้วค่ะ ดูได้ที่ \"กลุ่มของฉัน\""
MENTOR_NEWS_GUARDIAN = "\nน้องอายุต่ำกว่า 10 ปี รอผู้ปกครองยืนยัน ถ้าพี่คุยกับผู้ปกครองแล้ว ยืนยันแทนได้ใน \"กลุ่มของฉัน\""
COORDINATOR_NEWS = ("มี อพม.น้อย ใหม่ที่ยังไม่มีพี่เลี้ยง: น้อง{nickname} จังหวัด{province} ({community})\n"
                    "มอบหมายพี่เลี้ยงได้ที่ \"เยาวชนรอพี่เลี้ยง\"")




def enrol(ctx: Context, data: dict, audience: str) -> list[Message] | None:
    """Store a youth's registration from the flow's answers, tell their mentor (or the province's
    coordinators), link their menu; the welcome and tutorial to reply, or None if the group code given
    stopped working in the meantime (the caller asks again)."""
    user = ctx.user
    mentor = _mentor_to_join(ctx, data)
    if mentor is False:
        return None
    _store_profile(user, data, ctx)
    if data["age"] < GUARDIAN_AGE:
        privacy.record_guardian_consent(ctx.db, user, data["guardian_name"], data["guardian_relation"], ctx.now)
    else:
        privacy.record_own_consent(ctx.db, user, data["consent"], ctx.now)
    if mentor is not None:
        people.assign(ctx.db, user, mentor, ctx.now)
    people.audit(ctx.db, ctx.now, "youth.registered", user, user, province=user.province_code,
                 notice=privacy.notice_id(audience))
    _tell_mentor_or_coordinators(ctx, user, mentor)
    from bot import richmenus

    richmenus.queue_link(ctx.db, user, ctx.now)
    return _welcome(ctx, user, mentor)


def _mentor_to_join(ctx: Context, data: dict):
    """The mentor whose code was given (the code is used now), None without one, False if it stopped working."""
    if not data.get("mentor"):
        return None
    result, code = access.check(ctx.db, ctx.user, data["mentor"]["code"], ctx.now, frozenset({CodeKind.YOUTH_JOIN}))
    mentor = ctx.db.get(User, code.issued_by_user_id) if code is not None else None
    if result is not ClaimResult.OK or mentor is None or mentor.role != Role.MENTOR:
        return False
    access.use(code, ctx.user)
    return mentor


def _store_profile(user: User, data: dict, ctx: Context) -> None:
    user.role, user.status = Role.YOUTH, UserStatus.ACTIVE
    user.nickname, user.community, user.school = data["nickname"], data["community"], data.get("school")
    user.province_code, user.age_years, user.age_recorded_at = data["province"], data["age"], ctx.now
    user.registered_at = ctx.now


def _tell_mentor_or_coordinators(ctx: Context, youth: User, mentor: User | None) -> None:
    fields = {"nickname": youth.nickname, "community": youth.community,
              "province": PROVINCES_BY_CODE[youth.province_code].name_th}
    if mentor is not None:
        text = MENTOR_NEWS.format(**fields)
        if youth.status == UserStatus.PENDING_GUARDIAN:
            text += MENTOR_NEWS_GUARDIAN
        push_to(ctx.db, [mentor], [replies.text(text, [replies.say_chip("กลุ่มของฉัน")])], ctx.now)
        return
    news = replies.text(COORDINATOR_NEWS.format(**fields), [replies.say_chip("เยาวชนรอพี่เลี้ยง")])
    push_to(ctx.db, people.coordinators_of(ctx.db, youth.province_code), [news], ctx.now)


def _welcome(ctx: Context, youth: User, mentor: User | None) -> list[Message]:
    province = PROVINCES_BY_CODE[youth.province_code].name_th
    after = DONE_WITH_MENTOR.format(mentor=mentor.nickname or "") if mentor else DONE_NO_MENTOR.format(
        province=province)
    messages = [replies.text(DONE.format(nickname=youth.nickname) + "\n" + after), cards.tutorial(youth.nickname)]
    if youth.status == UserStatus.PENDING_GUARDIAN:
        messages.append(consent.ask_guardian_to_confirm(ctx, youth))
    return messages
