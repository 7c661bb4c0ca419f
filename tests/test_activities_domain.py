"""Activities, the domain: creating and inviting, input checks, answers with a waiting list, reminders
(planning, quiet hours for minors, the job run twice or at once, downtime, a change just before one fires),
change and cancel, repeating activities, check-in, hours and the volunteer record, and a server whose own
time zone is not Bangkok's. People are created directly in the database and time is passed explicitly;
what LINE would receive is read from the outbox (and once through the delivery worker and the sandbox,
checked against LINE's schema). The LINE conversation on top is tested in tests/test_activities.py."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pytest
from sqlalchemy import func, select

from bot import activities, activity_cards, activity_reminders, scheduler
from bot.activities import Draft, Refused
from bot.campaign_audience import Audience
from bot.thai import BANGKOK
from models import (
    Activity,
    ActivityReminder,
    ActivityResponse,
    ActivityStatus,
    Answer,
    Campaign,
    CampaignShare,
    HeldPush,
    OutboxKind,
    OutboxMessage,
    ReminderStatus,
    Repeat,
    Report,
    Role,
    User,
    UserStatus,
)
from tests.openapi_check import assert_valid_request

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=BANGKOK)  # Saturday 09:00 in Bangkok; the clock starts 22 Nov 10:00


def bkk(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BANGKOK).astimezone(dt.UTC)


class People:
    """Makes users directly in the database."""

    def __init__(self, db, clock):
        self.db, self.clock, self.count = db, clock, 0

    def add(self, role: str | None = Role.YOUTH, province: str | None = "CMI", *, mentor: int | None = None,
            age: int | None = 20, following: bool = True, notify: bool = True, status: str = UserStatus.ACTIVE,
            line_id: str | None = None) -> int:
        self.count += 1
        with self.db.transaction() as session:
            user = User(line_user_id=line_id or f"U{self.count:032x}", role=role, province_code=province,
                        mentor_id=mentor, age_years=age, age_recorded_at=self.clock() if age is not None else None,
                        is_following=following, notify_activities=notify, status=status, created_at=self.clock(),
                        registered_at=self.clock())
            session.add(user)
            session.flush()
            return user.id

    def line_id(self, user_id: int) -> str:
        with self.db.transaction() as session:
            return session.get(User, user_id).line_user_id


@pytest.fixture
def folks(db, clock) -> People:
    return People(db, clock)


@pytest.fixture
def group(folks) -> dict:
    """A mentor in Chiang Mai with two adult youth and a 15-year-old, and a national coordinator."""
    mentor = folks.add(Role.MENTOR, age=35)
    return {"mentor": mentor, "fah": folks.add(mentor=mentor), "nam": folks.add(mentor=mentor),
            "minor": folks.add(mentor=mentor, age=15), "national": folks.add(Role.COORDINATOR, None, age=None)}


def draft(audience: Audience, **changes) -> Draft:
    values = dict(title="เก็บขยะริมคลอง", description="เตรียมถุงมือและขวดน้ำ", place_text="ศาลาประชาคม หมู่ 3",
                  latitude=18.7883, longitude=98.9853, starts_at=START.astimezone(dt.UTC),
                  ends_at=(START + dt.timedelta(hours=3)).astimezone(dt.UTC), audience=audience)
    values.update(changes)
    return Draft(**values)


def create(db, clock, settings, creator: int, audience: Audience | None = None, **changes) -> int:
    with db.transaction() as session:
        actor = session.get(User, creator)
        audience = audience or Audience.of_group(creator)
        return activities.create(session, actor, draft(audience, **changes), clock(), settings).id


def respond(db, clock, settings, activity_id: int, user_id: int, answer: str, now=None) -> activities.Responded:
    with db.transaction() as session:
        return activities.respond(session, session.get(Activity, activity_id), session.get(User, user_id), answer,
                                  now or clock(), settings)


def send_due(db, settings, now: dt.datetime) -> int:
    with db.transaction() as session:
        return activity_reminders.send_due(session, now, settings)


def reminders(db, activity_id: int, user_id: int | None = None, status: str = ReminderStatus.PENDING) -> list:
    with db.transaction() as session:
        query = select(ActivityReminder.user_id, ActivityReminder.minutes_before, ActivityReminder.due_at).where(
            ActivityReminder.activity_id == activity_id, ActivityReminder.status == status)
        if user_id is not None:
            query = query.where(ActivityReminder.user_id == user_id)
        return sorted(session.execute(query).all())


def pushes(db, line_id: str) -> list[dict]:
    """Every message queued for one person, by push or in a multicast, in order."""
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [message for row in rows if row.to_id == line_id or line_id in (row.recipients or [])
                for message in row.messages]


def alt_texts(db, line_id: str) -> list[str]:
    return [m.get("altText") or m.get("text") for m in pushes(db, line_id)]


def invitees(db) -> set[str]:
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.MULTICAST)).all()
        return {line_id for row in rows for line_id in row.recipients}


def outbox_count(db) -> int:
    """How many people the outbox holds messages for (a multicast counts each of its recipients)."""
    with db.transaction() as session:
        return session.scalar(select(func.coalesce(func.sum(OutboxMessage.recipient_count), 0)))


# -------------------------------------------------------------------------------------------- create, invite


def test_a_mentor_invites_their_own_group_and_nobody_else(db, clock, settings, folks, group):
    folks.add(mentor=group["mentor"], following=False)  # blocked the bot
    folks.add(mentor=group["mentor"], notify=False)  # turned activity news off
    folks.add(mentor=group["mentor"], status=UserStatus.DELETED)
    other_mentor = folks.add(Role.MENTOR, age=40)
    folks.add(mentor=other_mentor)  # another group, same province
    folks.add()  # no mentor yet, same province
    activity_id = create(db, clock, settings, group["mentor"], capacity=20)
    expected = {folks.line_id(group[name]) for name in ("fah", "nam", "minor")}
    assert invitees(db) == expected  # not the mentor, not the excluded ones
    with db.transaction() as session:
        activity = session.get(Activity, activity_id)
        assert activity.invited_count == 3 and activity.province_code == "CMI" and activity.version == 1
        assert activity.reminder_minutes == [1440, 120] and activity.status == ActivityStatus.SCHEDULED
    card = pushes(db, folks.line_id(group["fah"]))[0]
    assert card["altText"] == "📅 ชวนร่วมกิจกรรม: เก็บขยะริมคลอง"
    text = str(card)
    assert "วันเสาร์ 28 พ.ย. 2569 · 09:00-12:00 น." in text and "รับ 20 คน" in text
    assert "https://www.google.com/maps/search/?api=1&query=18.788300,98.985300" in text
    assert {f"a=ac.ans&id={activity_id}&v={v}" for v in ("going", "maybe", "no")} <= set(
        button["action"]["data"] for button in card["contents"]["footer"]["contents"]
        if button["action"]["type"] == "postback")


def test_a_province_activity_reaches_its_youth_and_only_staff_of_that_province_may_create_it(
        db, clock, settings, folks, group):
    bangkok_youth = folks.add(province="BKK")
    no_group = folks.add()
    cmi_coordinator = folks.add(Role.COORDINATOR, "CMI", age=None)
    create(db, clock, settings, cmi_coordinator, Audience.of_provinces(["CMI"]))
    expected = {folks.line_id(user) for user in (group["fah"], group["nam"], group["minor"], no_group)}
    assert invitees(db) == expected and folks.line_id(bangkok_youth) not in invitees(db)
    with pytest.raises(Refused, match="สร้างกิจกรรมได้เฉพาะในจังหวัดเชียงใหม่"):
        create(db, clock, settings, cmi_coordinator, Audience.of_provinces(["BKK"]))
    with pytest.raises(Refused, match="พี่เลี้ยงสร้างกิจกรรมได้เฉพาะ"):
        create(db, clock, settings, group["mentor"], Audience.of_provinces(["CMI"]))
    with pytest.raises(Refused, match="สร้างกิจกรรมได้เฉพาะผู้ประสานงานและพี่เลี้ยง"):
        create(db, clock, settings, group["fah"], Audience.of_group(group["mentor"]))


def test_confirming_the_same_activity_twice_makes_one(db, clock, settings, group):
    first = create(db, clock, settings, group["mentor"])
    assert create(db, clock, settings, group["mentor"]) == first
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Activity)) == 1


def test_at_night_adults_are_invited_at_once_and_minors_when_the_quiet_hours_end(db, clock, settings, group, folks):
    clock.advance(hours=12)  # 22:00 in Bangkok
    create(db, clock, settings, group["mentor"])
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        when = {line_id: row.next_attempt_at for row in rows for line_id in row.recipients}
    assert when[folks.line_id(group["fah"])] == clock()
    assert when[folks.line_id(group["minor"])] == bkk(11, 23, 7)


def test_invitations_waiting_for_the_morning_follow_a_change_and_are_dropped_by_a_cancel(
        db, clock, settings, group, folks):
    clock.advance(hours=12)  # 22:00 in Bangkok
    changed = create(db, clock, settings, group["mentor"], title="เลื่อนเวลา")
    cancelled = create(db, clock, settings, group["mentor"], title="ยกเลิก")
    with db.transaction() as session:
        mentor = session.get(User, group["mentor"])
        activities.change(session, session.get(Activity, changed), mentor, clock(), settings, starts_at=bkk(11, 29, 9))
        activities.cancel(session, session.get(Activity, cancelled), mentor, clock(), settings)
    minor = [m for m in pushes(db, folks.line_id(group["minor"])) if m.get("altText", "").startswith("📅")]
    assert len(minor) == 1 and "วันอาทิตย์ 29 พ.ย. 2569" in str(minor[0]) and "เลื่อนเวลา" in minor[0]["altText"]
    adult = [m["altText"] for m in pushes(db, folks.line_id(group["fah"])) if m.get("altText", "").startswith("📅")]
    assert adult == ["📅 ชวนร่วมกิจกรรม: เลื่อนเวลา", "📅 ชวนร่วมกิจกรรม: ยกเลิก"], "already on their way"


# ------------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("text", "reason"), [
    ("21/11/2569 09:00", "ผ่านไปแล้ว"),  # yesterday
    ("22/11/2569 09:58", "ผ่านไปแล้ว"),  # two minutes ago
    ("1/12/2570 09:00", "ไม่เกิน 1 ปี"),
    ("ตอนนี้", "พิมพ์วันที่และเวลาของกิจกรรม"),
    ("วันเสาร์หน้า", "อ่านวันเวลานี้ไม่ออก"),
    ("31/11/2569 09:00", "ไม่มีวันที่ 31/11"),
])
def test_a_start_that_is_gone_by_too_far_or_unreadable_is_refused(clock, text, reason):
    with pytest.raises(Refused, match=reason):
        activities.parse_start(text, clock(), BANGKOK)


@pytest.mark.parametrize("text", ["28/11/2569 09:00", "28/11/69 9.00", "28 พ.ย. 69 9.00", "๒๘/๑๑/๒๕๖๙ ๐๙:๐๐",
                                  "2026-11-28T09:00", "28/11/2026 09:00", "28 พฤศจิกายน 2569 เวลา 09.00 น."])
def test_a_start_is_read_with_buddhist_era_years_thai_digits_and_the_date_picker(clock, text):
    assert activities.parse_start(text, clock(), BANGKOK) == START.astimezone(dt.UTC)


def test_an_end_is_a_time_on_the_same_day_or_across_midnight_and_never_before_the_start():
    start = START.astimezone(dt.UTC)
    assert activities.parse_end("12:00", start, BANGKOK) == bkk(11, 28, 12)
    assert activities.parse_end("16.30 น.", start, BANGKOK) == bkk(11, 28, 16, 30)
    assert activities.parse_end("28/11/2569 18:00", start, BANGKOK) == bkk(11, 28, 18)
    late = bkk(11, 28, 22)
    assert activities.parse_end("02:00", late, BANGKOK) == bkk(11, 29, 2), "an activity across midnight"
    assert activities.parse_end("พรุ่งนี้ 02:00", late, BANGKOK) == bkk(11, 29, 2)
    with pytest.raises(Refused, match="เวลาจบต้องหลังเวลาเริ่ม"):
        activities.parse_end("27/11/2569 12:00", start, BANGKOK)
    with pytest.raises(Refused, match="เวลาจบต้องหลังเวลาเริ่ม"):
        activities.parse_end("28/11/2569 08:00", start, BANGKOK)
    with pytest.raises(Refused, match="ไม่เกิน 24 ชั่วโมง"):
        activities.parse_end("29/11/2569 10:00", start, BANGKOK)
    with pytest.raises(Refused, match="ไม่เกิน 24 ชั่วโมง"):
        activities.parse_end("28/12/2570 10:00", start, BANGKOK)
    with pytest.raises(Refused, match="ไม่มีจริง"):
        activities.parse_end("25:00", start, BANGKOK)
    with pytest.raises(Refused, match="อ่านวันเวลานี้ไม่ออก"):
        activities.parse_end("บ่ายสาม", start, BANGKOK)


@pytest.mark.parametrize(("text", "expected"), [("20", 20), ("๒๐", 20), ("20 คน", 20), ("1,000", 1000),
                                                 ("ไม่จำกัด", None), ("", None), ("1", 1)])
def test_capacity_accepts_thai_digits_and_no_limit(text, expected):
    assert activities.parse_capacity(text) == expected


@pytest.mark.parametrize(("text", "reason"), [("0", "อย่างน้อย 1 คน"), ("10,000", "ไม่เกิน 1,000 คน"),
                                              ("10000", "ไม่เกิน 1,000 คน"), ("-5", "ตัวเลข"), ("เยอะ", "ตัวเลข")])
def test_capacity_of_0_or_10000_is_refused_with_a_reason(text, reason):
    with pytest.raises(Refused, match=reason):
        activities.parse_capacity(text)


def test_titles_places_and_descriptions_are_checked():
    assert activities.clean_title("  เก็บขยะ   ริมคลอง ") == "เก็บขยะ ริมคลอง"
    assert activities.clean_place("ศาลา" + "ก" * 296) == "ศาลา" + "ก" * 296
    with pytest.raises(Refused, match="3,000 ตัวอักษร เกิน 300"):
        activities.clean_place("ก" * 3000)
    with pytest.raises(Refused, match="เกิน 100"):
        activities.clean_title("ก" * 101)
    for bad in ("", "   ", "<script>", "12345"):
        with pytest.raises(Refused):
            activities.clean_place(bad) if bad != "<script>" else activities.clean_title(bad)
    assert activities.clean_description(" ทำอะไร\n\n  เตรียม   อะไร ") == "ทำอะไร\n\nเตรียม อะไร"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"ends_at": START.astimezone(dt.UTC) - dt.timedelta(hours=1)}, "เวลาจบต้องหลังเวลาเริ่ม"),
    ({"starts_at": bkk(11, 21, 9), "ends_at": bkk(11, 21, 12)}, "ผ่านไปแล้ว"),
    ({"capacity": 0}, "อย่างน้อย 1 คน"),
    ({"capacity": 10_000}, "ไม่เกิน 1,000 คน"),
    ({"place_text": "ก" * 3000}, "เกิน 300"),
    ({"repeat": "daily"}, "ทุกสัปดาห์ ทุกเดือน"),
    ({"reminder_minutes": (0,)}, "ตั้งเตือนได้ไม่เกิน"),
    ({"latitude": 18.7, "longitude": None}, "ละติจูดและลองจิจูด"),
])
def test_a_bad_draft_is_refused_and_nothing_is_stored(db, clock, settings, group, changes, reason):
    with pytest.raises(Refused, match=reason):
        create(db, clock, settings, group["mentor"], **changes)
    assert outbox_count(db) == 0


def test_an_activity_across_midnight_is_stored(db, clock, settings, group):
    activity_id = create(db, clock, settings, group["mentor"], starts_at=bkk(11, 28, 22), ends_at=bkk(11, 29, 2))
    with db.transaction() as session:
        activity = session.get(Activity, activity_id)
        assert activity.ends_at - activity.starts_at == dt.timedelta(hours=4)
        assert "22:00 น. ถึง 29 พ.ย. 2569 02:00 น." in activity_cards.when_text(activity, BANGKOK)


# --------------------------------------------------------------------------------------------------- answers


def test_two_people_taking_the_last_seat_at_once_get_one_seat_and_one_place_in_the_queue(
        db, clock, settings, group):
    activity_id = create(db, clock, settings, group["mentor"], capacity=1)
    barrier, answers, errors = threading.Barrier(2), [], []

    def join(user_id):
        try:
            barrier.wait(timeout=10)
            answers.append(respond(db, clock, settings, activity_id, user_id, Answer.GOING).answer)
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=join, args=(group[name],)) for name in ("fah", "nam")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sorted(answers) == [Answer.GOING, Answer.WAITLIST]


def test_still_coming_is_noted_for_people_going_or_maybe_only(db, clock, settings, group):
    activity_id = create(db, clock, settings, group["mentor"])
    respond(db, clock, settings, activity_id, group["fah"], Answer.MAYBE)
    respond(db, clock, settings, activity_id, group["nam"], Answer.NO)
    with db.transaction() as session:
        activity = session.get(Activity, activity_id)
        assert activities.confirm_coming(session, activity, session.get(User, group["fah"]), bkk(11, 27, 9, 1))
        assert not activities.confirm_coming(session, activity, session.get(User, group["nam"]), bkk(11, 27, 9, 1))
        assert activities.response_of(session, activity, session.get(User, group["fah"])).confirmed_at == bkk(
            11, 27, 9, 1)


def test_join_maybe_and_cant_and_joining_twice_changes_nothing(db, clock, settings, group):
    activity_id = create(db, clock, settings, group["mentor"])
    assert respond(db, clock, settings, activity_id, group["fah"], Answer.GOING) == activities.Responded(
        Answer.GOING, True)
    assert respond(db, clock, settings, activity_id, group["fah"], Answer.GOING) == activities.Responded(
        Answer.GOING, False)
    assert respond(db, clock, settings, activity_id, group["nam"], Answer.MAYBE).answer == Answer.MAYBE
    assert respond(db, clock, settings, activity_id, group["minor"], Answer.NO).answer == Answer.NO
    with db.transaction() as session:
        activity = session.get(Activity, activity_id)
        assert activities.counts(session, activity) == activities.Counts(going=1, maybe=1, no=1, waitlist=0)
        fah = activities.response_of(session, activity, session.get(User, group["fah"]))
        assert fah.answer == Answer.GOING and fah.answered_at == clock()
        assert session.scalar(select(func.count()).select_from(ActivityResponse)) == 3


def test_a_full_activity_puts_people_on_a_waiting_list_and_moves_the_first_up(db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"], capacity=1)
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    clock.advance(minutes=1)
    waiting = respond(db, clock, settings, activity_id, group["nam"], Answer.GOING)
    assert waiting == activities.Responded(Answer.WAITLIST, True)
    clock.advance(minutes=1)
    assert respond(db, clock, settings, activity_id, group["minor"], Answer.GOING).answer == Answer.WAITLIST
    assert respond(db, clock, settings, activity_id, group["nam"], Answer.GOING).changed is False, "still full"
    assert reminders(db, activity_id, group["nam"]) == []
    with db.transaction() as session:
        card = activity_cards.invite_json(session.get(Activity, activity_id), settings,
                                          activities.counts(session, session.get(Activity, activity_id)))
        assert "ต่อคิวรอ" in str(card) and "เต็มแล้ว" in str(card)

    freed = respond(db, clock, settings, activity_id, group["fah"], Answer.NO)
    assert freed.answer == Answer.NO and freed.promoted is not None and freed.promoted.id == group["nam"]
    assert alt_texts(db, folks.line_id(group["nam"]))[-1] == "🎉 ได้ที่แล้ว: เก็บขยะริมคลอง"
    assert [minutes for _, minutes, _ in reminders(db, activity_id, group["nam"])] == [120, 1440]
    assert reminders(db, activity_id, group["fah"]) == []
    with db.transaction() as session:
        counted = activities.counts(session, session.get(Activity, activity_id))
        assert counted == activities.Counts(going=1, maybe=0, no=1, waitlist=1)


def test_joining_a_cancelled_or_past_activity_or_after_leaving_the_group_is_refused(
        db, clock, settings, folks, group):
    past = create(db, clock, settings, group["mentor"], title="ผ่านไปแล้ว")
    cancelled = create(db, clock, settings, group["mentor"], title="ยกเลิกแล้ว")
    with db.transaction() as session:
        activities.cancel(session, session.get(Activity, cancelled), session.get(User, group["mentor"]), clock(),
                          settings)
    with pytest.raises(Refused, match="ถูกยกเลิก"):
        respond(db, clock, settings, cancelled, group["fah"], Answer.GOING)
    with pytest.raises(Refused, match="จบไปแล้ว"):
        respond(db, clock, settings, past, group["fah"], Answer.GOING, now=bkk(11, 28, 12))
    assert respond(db, clock, settings, past, group["fah"], Answer.GOING,
                   now=START.astimezone(dt.UTC) + dt.timedelta(hours=1)).answer == Answer.GOING, "during it: fine"

    open_one = create(db, clock, settings, group["mentor"], title="ยังเปิดอยู่")
    other_mentor = folks.add(Role.MENTOR, age=30)
    with db.transaction() as session:
        session.get(User, group["nam"]).mentor_id = other_mentor  # moved to another group
    with pytest.raises(Refused, match="สำหรับน้อง ๆ ในกลุ่ม"):
        respond(db, clock, settings, open_one, group["nam"], Answer.GOING)
    with pytest.raises(Refused):
        respond(db, clock, settings, open_one, group["mentor"], Answer.GOING)  # not a youth


# ------------------------------------------------------------------------------------------------- reminders


def test_reminders_are_planned_a_day_and_two_hours_before_for_going_and_maybe_only(db, clock, settings, group):
    activity_id = create(db, clock, settings, group["mentor"])
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    respond(db, clock, settings, activity_id, group["nam"], Answer.MAYBE)
    respond(db, clock, settings, activity_id, group["minor"], Answer.NO)
    start = START.astimezone(dt.UTC)
    assert reminders(db, activity_id) == sorted([
        (group["fah"], 120, start - dt.timedelta(hours=2)), (group["fah"], 1440, start - dt.timedelta(days=1)),
        (group["nam"], 120, start - dt.timedelta(hours=2)), (group["nam"], 1440, start - dt.timedelta(days=1))])
    respond(db, clock, settings, activity_id, group["nam"], Answer.NO)
    assert {user for user, _, _ in reminders(db, activity_id)} == {group["fah"]}
    respond(db, clock, settings, activity_id, group["nam"], Answer.GOING)  # back again: revived, not doubled
    assert len(reminders(db, activity_id, group["nam"])) == 2


def test_joining_after_the_reminder_times_plans_only_the_nearest_one_at_once(db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"])
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING, now=bkk(11, 27, 10))  # 23 h before
    assert [m for _, m, _ in reminders(db, activity_id, group["fah"])] == [120], "the day-before one is gone by"
    respond(db, clock, settings, activity_id, group["nam"], Answer.GOING, now=bkk(11, 28, 8))  # an hour before
    assert [(m, due) for _, m, due in reminders(db, activity_id, group["nam"])] == [(120, bkk(11, 28, 8))]
    assert send_due(db, settings, bkk(11, 28, 8)) == 2  # and fah's, due at 07:00
    assert alt_texts(db, folks.line_id(group["nam"]))[-1] == "⏰ อีก 1 ชั่วโมง ถึงกิจกรรม: เก็บขยะริมคลอง"


def test_reminders_follow_the_activitys_choice_then_the_persons_own(db, clock, settings, group):
    activity_id = create(db, clock, settings, group["mentor"], reminder_minutes=(2880, 60))
    with db.transaction() as session:
        session.get(User, group["nam"]).activity_reminder_minutes = [30]
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    respond(db, clock, settings, activity_id, group["nam"], Answer.GOING)
    assert [m for _, m, _ in reminders(db, activity_id, group["fah"])] == [60, 2880]
    assert [m for _, m, _ in reminders(db, activity_id, group["nam"])] == [30]
    with db.transaction() as session:
        activity, fah = session.get(Activity, activity_id), session.get(User, group["fah"])
        assert activities.set_reminder_choice(session, fah, [180], clock(), settings, activity=activity) == 1
    assert [m for _, m, _ in reminders(db, activity_id, group["fah"])] == [180]
    assert [m for _, m, _ in reminders(db, activity_id, group["fah"], ReminderStatus.CANCELLED)] == [60, 2880]
    with db.transaction() as session:
        activities.set_reminder_choice(session, session.get(User, group["nam"]), [], clock(), settings)
    assert reminders(db, activity_id, group["nam"]) == [], "an empty choice: no reminders"


def test_a_minors_reminder_in_the_quiet_hours_moves_earlier_never_later(db, clock, settings, group):
    start, end = bkk(11, 28, 7, 30), bkk(11, 28, 10)
    activity_id = create(db, clock, settings, group["mentor"], starts_at=start, ends_at=end)
    respond(db, clock, settings, activity_id, group["minor"], Answer.GOING)
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    assert [(m, due) for _, m, due in reminders(db, activity_id, group["minor"])] == [
        (120, bkk(11, 27, 20, 45)),  # 05:30 is in the quiet hours: the evening before, before 21:00
        (1440, bkk(11, 27, 7, 30))]
    assert [(m, due) for _, m, due in reminders(db, activity_id, group["fah"])] == [
        (120, bkk(11, 28, 5, 30)), (1440, bkk(11, 27, 7, 30))]


def test_the_job_sends_each_due_reminder_once_with_the_right_buttons(db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"])
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    respond(db, clock, settings, activity_id, group["nam"], Answer.MAYBE)
    fah = folks.line_id(group["fah"])
    day_before = bkk(11, 27, 9)
    assert send_due(db, settings, day_before - dt.timedelta(seconds=1)) == 0
    assert send_due(db, settings, day_before) == 2
    assert send_due(db, settings, day_before) == 0, "run twice: nothing twice"
    card = pushes(db, fah)[-1]
    assert card["altText"] == "⏰ อีก 1 วัน ถึงกิจกรรม: เก็บขยะริมคลอง"
    datas = [b["action"]["data"] for b in card["contents"]["footer"]["contents"]]
    assert datas == [f"a=ac.ok&id={activity_id}", f"a=ac.ans&id={activity_id}&v=no"]
    assert send_due(db, settings, bkk(11, 28, 7) + dt.timedelta(seconds=20)) == 2
    card = pushes(db, fah)[-1]
    assert card["altText"] == "⏰ อีก 2 ชั่วโมง ถึงกิจกรรม: เก็บขยะริมคลอง" and "เช็กอิน" in str(card)
    assert [b["action"]["data"] for b in card["contents"]["footer"]["contents"]] == [f"a=ac.here&id={activity_id}"]
    assert reminders(db, activity_id) == [] and len(reminders(db, activity_id, status=ReminderStatus.SENT)) == 4


def test_two_job_runs_at_once_send_each_reminder_once(db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"])
    for _ in range(30):
        respond(db, clock, settings, activity_id, folks.add(mentor=group["mentor"]), Answer.GOING)
    before = outbox_count(db)
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(send_due(db, settings, bkk(11, 27, 9)))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sum(results) == 30
    assert outbox_count(db) - before == 30
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "multicast",
                                                           OutboxMessage.bulk_send_id.is_(None))).all()
    assert len(rows) == 1 and len(set(rows[0].recipients)) == 30, "the same reminder to 30 people: one multicast"


def test_the_job_works_through_many_batches_in_one_run(db, clock, settings, folks, group, monkeypatch):
    monkeypatch.setattr(activity_reminders, "BATCH", 3)
    activity_id = create(db, clock, settings, group["mentor"])
    for _ in range(7):
        respond(db, clock, settings, activity_id, folks.add(mentor=group["mentor"]), Answer.GOING)
    assert send_due(db, settings, bkk(11, 27, 9)) == 7
    assert len(reminders(db, activity_id, status=ReminderStatus.SENT)) == 7


def test_a_reminder_due_while_the_system_was_down_is_sent_if_still_useful_and_never_after_the_start(
        db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"])
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    # down from before the day-before reminder until an hour before the start: both are due, the nearest goes
    assert send_due(db, settings, bkk(11, 28, 8)) == 1
    assert alt_texts(db, folks.line_id(group["fah"]))[-1] == "⏰ อีก 1 ชั่วโมง ถึงกิจกรรม: เก็บขยะริมคลอง"
    assert [m for _, m, _ in reminders(db, activity_id, status=ReminderStatus.SKIPPED)] == [1440]

    later = create(db, clock, settings, group["mentor"], title="อีกงาน")
    respond(db, clock, settings, later, group["fah"], Answer.GOING)
    assert send_due(db, settings, bkk(11, 28, 9, 1)) == 0, "after the start: too late for either"
    assert len(reminders(db, later, status=ReminderStatus.SKIPPED)) == 2


def test_reminders_skip_people_who_stopped_going_blocked_the_bot_or_were_erased(db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"])
    for name in ("fah", "nam", "minor"):
        respond(db, clock, settings, activity_id, group[name], Answer.GOING)
    with db.transaction() as session:
        session.get(User, group["nam"]).is_following = False
        session.get(User, group["minor"]).status = UserStatus.DELETED
    assert send_due(db, settings, bkk(11, 27, 9)) == 1
    skipped = {user for user, _, _ in reminders(db, activity_id, status=ReminderStatus.SKIPPED)}
    assert skipped == {group["nam"], group["minor"]}


def test_a_minors_overdue_reminder_in_the_night_waits_for_the_morning_only_if_that_is_before_the_start(
        db, clock, settings, folks, group):
    morning = create(db, clock, settings, group["mentor"], starts_at=bkk(11, 28, 9), ends_at=bkk(11, 28, 12),
                     reminder_minutes=(1440,))
    early = create(db, clock, settings, group["mentor"], title="ตักบาตร", starts_at=bkk(11, 28, 6),
                   ends_at=bkk(11, 28, 8))
    respond(db, clock, settings, morning, group["minor"], Answer.GOING)
    respond(db, clock, settings, early, group["minor"], Answer.GOING)
    respond(db, clock, settings, early, group["fah"], Answer.GOING)
    # the system was down from the morning until 23:00: the minor's reminders are overdue in the quiet hours
    assert send_due(db, settings, bkk(11, 27, 23)) == 2  # fah's at once; the minor's for 09:00 held until 07:00
    with db.transaction() as session:
        held = session.scalars(select(HeldPush)).all()
        assert [(h.user_id, h.due_at) for h in held] == [(group["minor"], bkk(11, 28, 7))]
        assert "อีก 2 ชั่วโมง" in held[0].messages[0]["altText"], "said as at 07:00"
    assert {m for _, m, _ in reminders(db, early, group["minor"], ReminderStatus.SKIPPED)} == {1440, 120}, \
        "06:00 starts before the quiet hours end"
    assert pushes(db, folks.line_id(group["minor"]))[-1]["altText"].startswith("📅"), "only the invitation"


def test_changing_the_time_five_minutes_before_a_reminder_fires_moves_it_and_tells_people(
        db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"])
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    respond(db, clock, settings, activity_id, group["nam"], Answer.NO)
    respond(db, clock, settings, activity_id, group["minor"], Answer.MAYBE)
    now = bkk(11, 27, 8, 55)  # the day-before reminder fires at 09:00
    with db.transaction() as session:
        told = activities.change(session, session.get(Activity, activity_id), session.get(User, group["mentor"]),
                                 now, settings, starts_at=bkk(11, 29, 9))
    assert told == 2
    assert alt_texts(db, folks.line_id(group["fah"]))[-1] == "📢 เปลี่ยนเวลา: เก็บขยะริมคลอง"
    assert "วันอาทิตย์ 29 พ.ย. 2569 · 09:00-12:00 น." in str(pushes(db, folks.line_id(group["fah"]))[-1])
    assert len(pushes(db, folks.line_id(group["nam"]))) == 1, "only the invitation: said can't"
    assert send_due(db, settings, bkk(11, 27, 9)) == 0, "the old time sends nothing"
    assert {(m, due) for _, m, due in reminders(db, activity_id, group["fah"])} == {
        (1440, bkk(11, 28, 9)), (120, bkk(11, 29, 7))}
    with db.transaction() as session:
        assert session.get(Activity, activity_id).version == 2
    assert send_due(db, settings, bkk(11, 28, 9)) == 2


def test_a_change_of_place_only_or_of_nothing(db, clock, settings, group):
    activity_id = create(db, clock, settings, group["mentor"])
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    with db.transaction() as session:
        activity, mentor = session.get(Activity, activity_id), session.get(User, group["mentor"])
        assert activities.change(session, activity, mentor, clock(), settings, place_text="ศาลาประชาคม หมู่ 3") == 0
        assert activities.change(session, activity, mentor, clock(), settings, place_text="วัดสวนดอก",
                                 latitude=18.78, longitude=98.97) == 1
        assert activity.version == 2 and activity.starts_at == START.astimezone(dt.UTC)
        with pytest.raises(Refused, match="จัดการได้เฉพาะ"):
            activities.change(session, activity, session.get(User, group["fah"]), clock(), settings,
                              place_text="บ้าน")
        with pytest.raises(Refused, match="ผ่านไปแล้ว"):
            activities.change(session, activity, mentor, clock(), settings, starts_at=clock() - dt.timedelta(hours=1))


def test_cancelling_removes_reminders_and_tells_everyone_who_answered_yes_maybe_or_waiting(
        db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"], capacity=1)
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    respond(db, clock, settings, activity_id, group["nam"], Answer.GOING)  # waiting
    respond(db, clock, settings, activity_id, group["minor"], Answer.NO)
    with db.transaction() as session:
        activity, mentor = session.get(Activity, activity_id), session.get(User, group["mentor"])
        assert activities.cancel(session, activity, mentor, clock(), settings) == 2
        assert activities.cancel(session, activity, mentor, clock(), settings) == 0
    assert reminders(db, activity_id) == []
    for name, told in (("fah", True), ("nam", True), ("minor", False)):
        assert any("ยกเลิกกิจกรรม" in (text or "") for text in alt_texts(db, folks.line_id(group[name]))) is told
    assert send_due(db, settings, bkk(11, 28, 8)) == 0


# ---------------------------------------------------------------------------------------------------- repeat


def test_a_weekly_activity_makes_its_next_occurrence_once_with_invitations(db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"], repeat=Repeat.WEEKLY)
    invited = len(invitees(db))

    def run(now):
        with db.transaction() as session:
            return activities.create_next_occurrences(session, now, settings)

    assert run(bkk(11, 28, 8, 59)) == 0, "not started yet"
    assert run(bkk(11, 28, 9)) == 1
    assert run(bkk(11, 28, 9, 5)) == 0
    with db.transaction() as session:
        series = session.scalars(select(Activity).order_by(Activity.id)).all()
        assert [a.starts_at for a in series] == [bkk(11, 28, 9), bkk(12, 5, 9)]
        assert series[1].series_id == activity_id and series[1].ends_at == bkk(12, 5, 12)
        assert series[0].next_created and not series[1].next_created and series[1].invited_count == 3
    assert len(pushes(db, folks.line_id(group["fah"]))) == 2 and invited == 3


def test_the_next_occurrence_keeps_who_was_coming_with_their_reminders_and_the_capacity(
        db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"], repeat=Repeat.WEEKLY, capacity=1)
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    respond(db, clock, settings, activity_id, group["nam"], Answer.GOING)  # full: the waiting list
    respond(db, clock, settings, activity_id, group["minor"], Answer.MAYBE)
    left = folks.add(mentor=group["mentor"])
    respond(db, clock, settings, activity_id, left, Answer.MAYBE)
    with db.transaction() as session:
        session.get(User, left).mentor_id = None  # left the group before the next week
        assert activities.create_next_occurrences(session, bkk(11, 28, 9), settings) == 1
        following = session.scalars(select(Activity).where(Activity.series_id == activity_id)).one()
        answers = dict(session.execute(select(ActivityResponse.user_id, ActivityResponse.answer)
                                       .where(ActivityResponse.activity_id == following.id)).all())
    assert answers == {group["fah"]: Answer.GOING, group["nam"]: Answer.WAITLIST, group["minor"]: Answer.MAYBE}
    planned = {user for user, _, _ in reminders(db, following.id)}
    assert planned == {group["fah"], group["minor"]}, "reminders for the next one, by themselves"


def test_a_monthly_activity_keeps_its_day_and_clock_time_and_two_runs_at_once_make_one(db, clock, settings, group):
    clock.advance(days=60)  # 21 Jan 2027
    activity_id = create(db, clock, settings, group["mentor"], repeat=Repeat.MONTHLY,
                         starts_at=bkk(1, 31, 18, year=2027), ends_at=bkk(1, 31, 20, year=2027))
    barrier, results = threading.Barrier(2), []

    def run():
        barrier.wait(timeout=10)
        with db.transaction() as session:
            results.append(activities.create_next_occurrences(session, bkk(1, 31, 18, 30, year=2027), settings))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 1]
    with db.transaction() as session:
        second = session.scalars(select(Activity).where(Activity.series_id == activity_id)).one()
        assert second.starts_at == bkk(2, 28, 18, year=2027)
        assert activities.create_next_occurrences(session, bkk(2, 28, 18, year=2027), settings) == 1
        third = session.scalars(select(Activity).where(Activity.series_id == activity_id,
                                                       Activity.id != second.id)).one()
        assert third.starts_at == bkk(3, 31, 18, year=2027), "the 31st again, not the 28th"


def test_a_cancelled_occurrence_still_leads_to_the_next_unless_the_whole_series_is_stopped(
        db, clock, settings, group):
    weekly = create(db, clock, settings, group["mentor"], repeat=Repeat.WEEKLY)
    stopped = create(db, clock, settings, group["mentor"], repeat=Repeat.WEEKLY, title="หยุดซีรีส์")
    with db.transaction() as session:
        mentor = session.get(User, group["mentor"])
        activities.cancel(session, session.get(Activity, weekly), mentor, clock(), settings)
        activities.cancel(session, session.get(Activity, stopped), mentor, clock(), settings, whole_series=True)
        assert activities.create_next_occurrences(session, bkk(11, 28, 9), settings) == 1
        assert session.scalars(select(Activity.series_id).where(Activity.series_id.is_not(None))).all() == [weekly]


# ------------------------------------------------------------------------------------ check-in, hours, record


def test_check_in_from_half_an_hour_before_to_the_end_once(db, clock, settings, group):
    activity_id = create(db, clock, settings, group["mentor"])
    respond(db, clock, settings, activity_id, group["fah"], Answer.GOING)
    respond(db, clock, settings, activity_id, group["nam"], Answer.NO)
    with db.transaction() as session:
        activity, fah = session.get(Activity, activity_id), session.get(User, group["fah"])
        with pytest.raises(Refused, match="ตั้งแต่ 28 พ.ย. 2569 08:30"):
            activities.check_in(session, activity, fah, bkk(11, 28, 8, 29))
        assert activities.check_in(session, activity, fah, bkk(11, 28, 8, 30), 18.79, 98.98) is True
        assert activities.check_in(session, activity, fah, bkk(11, 28, 9)) is False, "already"
        with pytest.raises(Refused, match="ตอบรับ"):
            activities.check_in(session, activity, session.get(User, group["nam"]), bkk(11, 28, 9))
        with pytest.raises(Refused, match="จบไปแล้ว"):
            activities.check_in(session, activity, fah, bkk(11, 28, 12, 1))
        response = activities.response_of(session, activity, fah)
        assert (response.checked_in_at, response.check_in_latitude) == (bkk(11, 28, 8, 30), 18.79)


def test_hours_are_credited_once_to_those_checked_in_or_marked_present(db, clock, settings, folks, group):
    activity_id = create(db, clock, settings, group["mentor"])
    for name in ("fah", "nam", "minor"):
        respond(db, clock, settings, activity_id, group[name], Answer.GOING)
    walk_in = folks.add(mentor=group["mentor"])
    outsider = folks.add()  # a youth of nobody's group: the activity was not for them
    with db.transaction() as session:
        activity, mentor = session.get(Activity, activity_id), session.get(User, group["mentor"])
        with pytest.raises(Refused, match="ไม่ได้อยู่ในกลุ่มหรือพื้นที่"):
            activities.mark_attendance(session, activity, mentor, session.get(User, outsider), True, bkk(11, 28, 12))
        activities.check_in(session, activity, session.get(User, group["fah"]), bkk(11, 28, 9))
        activities.check_in(session, activity, session.get(User, group["minor"]), bkk(11, 28, 9))
        activities.mark_attendance(session, activity, mentor, session.get(User, group["minor"]), False, bkk(11, 28, 12))
        activities.mark_attendance(session, activity, mentor, session.get(User, walk_in), True, bkk(11, 28, 12))
        with pytest.raises(Refused, match="หลังเริ่ม"):
            activities.confirm_hours(session, activity, mentor, bkk(11, 28, 8), settings)
        with pytest.raises(Refused, match="จัดการได้เฉพาะ"):
            activities.confirm_hours(session, activity, session.get(User, group["fah"]), bkk(11, 28, 12), settings)
        assert activities.confirm_hours(session, activity, mentor, bkk(11, 28, 12, 5), settings) == 2
        assert activities.confirm_hours(session, activity, mentor, bkk(11, 28, 12, 6), settings) == 0, "once"
        credited = dict(session.execute(select(ActivityResponse.user_id, ActivityResponse.minutes_credited)).all())
    assert credited == {group["fah"]: 180, group["nam"]: 0, group["minor"]: 0, walk_in: 180}
    assert "ได้ชั่วโมงจิตอาสา 3 ชั่วโมง" in pushes(db, folks.line_id(group["fah"]))[-1]["text"]


def test_the_record_counts_activities_hours_shares_and_reports(db, clock, settings, group):
    first = create(db, clock, settings, group["mentor"], title="งานแรก")
    second = create(db, clock, settings, group["mentor"], title="งานสอง", starts_at=bkk(11, 29, 9),
                    ends_at=bkk(11, 29, 10, 30))
    with db.transaction() as session:
        mentor, fah = session.get(User, group["mentor"]), session.get(User, group["fah"])
        for activity_id, minutes in ((first, 150), (second, None)):
            activity = session.get(Activity, activity_id)
            activities.mark_attendance(session, activity, mentor, fah, True, activity.ends_at)
            activities.confirm_hours(session, activity, mentor, activity.ends_at, settings, minutes=minutes)
        session.add(CampaignShare(campaign_id=_campaign(session, clock), user_id=fah.id, at=clock()))
        session.add(Report(reporter_id=fah.id, **_report_fields(session, clock, submitted=True)))
        session.add(Report(reporter_id=fah.id, **_report_fields(session, clock, submitted=False)))
    with db.transaction() as session:
        record = activities.record_of(session, session.get(User, group["fah"]))
        assert (record.activities, record.minutes, record.campaigns_shared, record.reports) == (2, 240, 1, 1)
        assert [(item.title, item.minutes) for item in record.recent] == [("งานสอง", 90), ("งานแรก", 150)]
        empty = activities.record_of(session, session.get(User, group["nam"]))
        assert (empty.activities, empty.minutes, empty.recent) == (0, 0, [])


def _campaign(session, clock) -> int:
    campaign = Campaign(title="t", body="b", audience={}, send_at=clock(), link_token="tok-record",
                        created_at=clock(), updated_at=clock())
    session.add(campaign)
    session.flush()
    return campaign.id


def _report_fields(session, clock, submitted: bool) -> dict:
    number = session.scalar(select(func.count()).select_from(Report)) + 1
    return {"ref": f"R-TEST{number}", "category": "other", "created_at": clock(), "updated_at": clock(),
            "submitted_at": clock() if submitted else None}


# ------------------------------------------------------------------------------------------- lists and jobs


def test_upcoming_and_managed_lists(db, clock, settings, folks, group):
    soon = create(db, clock, settings, group["mentor"], title="เร็ว ๆ นี้")
    later = create(db, clock, settings, group["mentor"], title="ทีหลัง", starts_at=bkk(12, 5, 9), ends_at=bkk(12, 5, 10))
    bangkok = create(db, clock, settings, group["national"], Audience.of_provinces(["BKK"]), title="กรุงเทพ")
    respond(db, clock, settings, later, group["fah"], Answer.MAYBE)
    with db.transaction() as session:
        fah = session.get(User, group["fah"])
        listed = activities.upcoming_for(session, fah, clock())
        assert [(a.id, r.answer if r else None) for a, r in listed] == [(soon, None), (later, Answer.MAYBE)]
        assert [a.id for a in activities.managed_upcoming(session, session.get(User, group["mentor"]), clock())] == [
            soon, later]
        national = session.get(User, group["national"])
        assert [a.id for a in activities.managed_upcoming(session, national, clock())] == [soon, bangkok, later]
        assert [a.id for a in activities.managed_recent(session, national, bkk(11, 28, 13))] == [bangkok, soon]
        assert activities.may_manage(national, session.get(Activity, soon))
        assert not activities.may_manage(session.get(User, group["fah"]), session.get(Activity, soon))
        assert activities.get(session, str(soon)).id == soon and activities.get(session, "x") is None


def test_the_jobs_are_registered():
    jobs = {job.name: job for job in scheduler.JOBS}
    assert jobs["activity-reminders"].every == dt.timedelta(seconds=20) and jobs["activity-reminders"].needs_settings
    assert jobs["activity-reminders"].run is activity_reminders.send_due
    assert jobs["activity-repeat"].every == dt.timedelta(minutes=5) and jobs["activity-repeat"].needs_settings
    assert jobs["activity-repeat"].run is activities.create_next_occurrences


# --------------------------------------------------------------------------------------- time zone, delivery


@pytest.fixture
def new_york_server():
    """The server's own time zone is New York's for the test (TZ and time.tzset), then restored."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_a_server_outside_bangkok_still_reads_shows_and_reminds_in_bangkok_time(
        new_york_server, db, clock, settings, folks, group):
    assert time.strftime("%Z") in ("EST", "EDT")
    starts_at = activities.parse_start("28/11/2569 09:00", clock(), settings.tz)
    assert starts_at == START.astimezone(dt.UTC)
    assert activities.parse_end("12:00", starts_at, settings.tz) == bkk(11, 28, 12)
    activity_id = create(db, clock, settings, group["mentor"], starts_at=bkk(11, 28, 7, 30), ends_at=bkk(11, 28, 9))
    respond(db, clock, settings, activity_id, group["minor"], Answer.GOING)
    assert min(due for _, _, due in reminders(db, activity_id)) == bkk(11, 27, 7, 30)
    assert max(due for _, _, due in reminders(db, activity_id)) == bkk(11, 27, 20, 45)
    assert "วันเสาร์ 28 พ.ย. 2569 · 07:30-09:00 น." in str(pushes(db, folks.line_id(group["fah"]))[0])


def test_cards_and_reminders_reach_line_in_a_valid_shape(db, clock, settings, folks, worker, sandbox):
    mentor = folks.add(Role.MENTOR, age=35)
    youth = folks.add(mentor=mentor, line_id=sandbox.user(display_name="น้องฟ้า").user_id)
    activity_id = create(db, clock, settings, mentor, capacity=5, description="ก" * 400)
    respond(db, clock, settings, activity_id, youth, Answer.GOING)

    def at(moment: dt.datetime) -> dt.datetime:
        clock.advance(seconds=(moment - clock()).total_seconds())
        return moment

    worker.run_until_idle()
    for moment in (bkk(11, 27, 9), bkk(11, 28, 7)):
        send_due(db, settings, at(moment))
        worker.run_until_idle()
    with db.transaction() as session:
        activity, manager = session.get(Activity, activity_id), session.get(User, mentor)
        activities.change(session, activity, manager, at(bkk(11, 28, 7, 5)), settings, starts_at=bkk(11, 28, 10))
    worker.run_until_idle()
    with db.transaction() as session:
        activity, manager = session.get(Activity, activity_id), session.get(User, mentor)
        assert activities.confirm_hours(session, activity, manager, at(bkk(11, 28, 13)), settings) == 0
        activities.mark_attendance(session, activity, manager, session.get(User, youth), True, clock())
        assert activities.confirm_hours(session, activity, manager, clock(), settings) == 1
    worker.run_until_idle()
    delivered = [m.get("altText") or m.get("text") for m in sandbox.messages_for(folks.line_id(youth))]
    assert delivered[:4] == ["📅 ชวนร่วมกิจกรรม: เก็บขยะริมคลอง", "⏰ อีก 1 วัน ถึงกิจกรรม: เก็บขยะริมคลอง",
                             "⏰ อีก 2 ชั่วโมง ถึงกิจกรรม: เก็บขยะริมคลอง", "📢 เปลี่ยนเวลา: เก็บขยะริมคลอง"]
    assert len(delivered) == 5 and "ชั่วโมงจิตอาสา 3 ชั่วโมง" in delivered[4]
    calls = [call for call in sandbox.calls() if call["path"].startswith("/v2/bot/message/")]
    assert len(calls) == 5 and all(call["status"] == 200 for call in calls)
    for call in calls:
        assert_valid_request(call)
