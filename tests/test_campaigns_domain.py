"""Campaigns, the domain: audiences, permissions, estimates, input checks, scheduling and cancelling, the
dispatch job with quiet hours for minors (through the delivery worker and the LINE sandbox), two dispatch
runs at once, the counting redirect, shares, tags and figures. People are created directly in the database;
the LINE conversation on top of this is tested with signed events in the campaign handler's tests."""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections import Counter

import pytest
from PIL import Image
from sqlalchemy import func, insert, inspect, select

from bot import campaign_cards, campaigns, people, replies, scheduler
from bot.campaigns import Audience, Refused
from bot.config import Settings
from bot.thai import BANGKOK
from models import AuditEvent, BulkSend, Campaign, CampaignClick, CampaignStatus, OutboxMessage, Role, User, UserStatus
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET
from tests.openapi_check import assert_valid_request

PUBLIC = "http://127.0.0.1:8000"
DRUGS = "ยาเสพติด"
MULTICAST = "/v2/bot/message/multicast"


@pytest.fixture
def settings(db, sandbox, tmp_path) -> Settings:
    """The suite's settings plus a public address (loopback: the sandbox) and a media folder of its own."""
    return Settings(channel_secret=CHANNEL_SECRET, channel_access_token=ACCESS_TOKEN,
                    line_api_base_url=sandbox.base_url, database_url=db.url, environment="test",
                    public_base_url=PUBLIC, line_bot_basic_id="@aphmnoi", media_dir=str(tmp_path / "media")).validated()


class People:
    """Makes users directly; `line=True` also makes them known to the sandbox (so messages reach them)."""

    def __init__(self, db, clock, sandbox):
        self.db, self.clock, self.sandbox, self.count = db, clock, sandbox, 0

    def add(self, role: str | None = Role.YOUTH, province: str | None = "CMI", *, mentor: int | None = None,
            age: int | None = 20, told_days_ago: int = 0, following: bool = True, notify: bool = True,
            status: str = UserStatus.ACTIVE, line: bool = False) -> int:
        self.count += 1
        line_id = self.sandbox.user(display_name=f"คน{self.count}").user_id if line else f"U{self.count:032x}"
        now = self.clock()
        with self.db.transaction() as session:
            user = User(line_user_id=line_id, role=role, province_code=province, mentor_id=mentor, age_years=age,
                        age_recorded_at=now - dt.timedelta(days=told_days_ago) if age is not None else None,
                        is_following=following, notify_campaigns=notify, status=status, created_at=now,
                        registered_at=now)
            session.add(user)
            session.flush()
            return user.id

    def line_id(self, user_id: int) -> str:
        with self.db.transaction() as session:
            return session.get(User, user_id).line_user_id


@pytest.fixture
def folks(db, clock, sandbox) -> People:
    return People(db, clock, sandbox)


def selected(db, clock, audience: Audience, tags=(), minors=None) -> list[int]:
    with db.transaction() as session:
        ids = session.scalars(campaigns.audience_select(audience, list(tags), clock(), minors)).all()
        by_line = dict(session.execute(select(User.line_user_id, User.id)).all())
    return [by_line[line_id] for line_id in ids]


def mute(db, clock, user_id: int, *tags: str) -> None:
    with db.transaction() as session:
        campaigns.mute_tags(session, session.get(User, user_id), tags, clock())


def interest(db, clock, user_id: int, tag: str) -> None:
    with db.transaction() as session:
        campaigns.set_interest(session, session.get(User, user_id), tag, clock())


def schedule(db, clock, sender_id: int, audience: Audience, settings=None, **fields) -> Campaign:
    values = {"title": "รู้ทันยาเสพติด", "body": "ชวนน้อง ๆ ร่วมกิจกรรมรณรงค์วันต่อต้านยาเสพติด",
              "link_url": "https://www.m-society.go.th/drugs", "tags": [DRUGS], "send_at": clock(), **fields}
    with db.transaction() as session:
        return campaigns.schedule(session, session.get(User, sender_id), audience=audience, now=clock(),
                                  settings=settings, **values)


def dispatch(db, clock, settings) -> int:
    with db.transaction() as session:
        return campaigns.dispatch_due(session, clock(), settings)


def reload(db, campaign_id: int) -> Campaign:
    with db.transaction() as session:
        return session.get(Campaign, campaign_id)


def cards(sandbox, line_id: str) -> list[dict]:
    return [m for m in sandbox.messages_for(line_id) if m["type"] == "flex" and m["altText"].startswith("📣")]


# ------------------------------------------------------------------------------------------------ audiences


def test_each_audience_kind_selects_its_people_by_province_then_id(db, clock, folks):
    mentor = folks.add(Role.MENTOR, "CMI", age=40)
    in_group = folks.add(mentor=mentor)
    bangkok = folks.add(province="BKK")
    chiang_mai = folks.add()
    bkk_mentor = folks.add(Role.MENTOR, "BKK", age=35)
    folks.add(following=False)  # blocked the bot
    folks.add(notify=False)  # turned campaign news off
    folks.add(status=UserStatus.DELETED)
    folks.add(status=UserStatus.PENDING_GUARDIAN, age=8)
    folks.add(Role.COORDINATOR, None)
    muted = folks.add()
    mute(db, clock, muted, DRUGS)

    everyone = Audience.everyone()
    assert selected(db, clock, everyone) == [bangkok, bkk_mentor, mentor, in_group, chiang_mai, muted]
    assert selected(db, clock, everyone, tags=[DRUGS]) == [bangkok, bkk_mentor, mentor, in_group, chiang_mai]
    assert selected(db, clock, Audience.of_provinces(["CMI"]), tags=[DRUGS]) == [in_group, chiang_mai]
    assert selected(db, clock, Audience.of_provinces(["CMI", "BKK"], roles=[Role.MENTOR])) == [bkk_mentor, mentor]
    assert selected(db, clock, Audience.of_group(mentor)) == [in_group]
    assert selected(db, clock, Audience(roles=(Role.YOUTH,))) == [bangkok, in_group, chiang_mai, muted]

    interest(db, clock, chiang_mai, "สิ่งแวดล้อม")
    interest(db, clock, muted, "สิ่งแวดล้อม")
    assert selected(db, clock, Audience(interest_tags=("สิ่งแวดล้อม",))) == [chiang_mai, muted]
    assert selected(db, clock, Audience(interest_tags=("สิ่งแวดล้อม",)), tags=[DRUGS]) == [chiang_mai]


def test_minors_are_youth_under_18_or_of_unknown_age_as_the_model_says(db, clock, folks):
    just_17 = folks.add(age=17)
    turned_18 = folks.add(age=17, told_days_ago=365)  # told "17" a year ago: 18 now
    still_17 = folks.add(age=17, told_days_ago=364)
    unknown = folks.add(age=None)
    young = folks.add(age=10, told_days_ago=365 * 7)  # 17 now
    grown = folks.add(age=10, told_days_ago=365 * 8)  # 18 now
    adult = folks.add(age=22)
    mentor = folks.add(Role.MENTOR, age=None)  # mentors are adults
    everyone = Audience.everyone()
    minors = selected(db, clock, everyone, minors=True)
    assert minors == [just_17, still_17, unknown, young]
    assert selected(db, clock, everyone, minors=False) == [turned_18, grown, adult, mentor]
    with db.transaction() as session:
        for user in session.scalars(select(User).where(User.role == Role.YOUTH)):
            assert user.is_minor(clock()) == (user.id in minors)


def test_audience_round_trips_through_json_and_refuses_unknown_provinces_and_roles():
    audience = Audience(provinces=("LPN", "CMI", "CMI"), roles=("mentor", "youth"), interest_tags=("a", "a"))
    assert audience.provinces == ("CMI", "LPN") and audience.roles == ("youth", "mentor")
    assert Audience.from_dict(audience.to_dict()) == audience
    assert Audience.of_group(7) == Audience(mentor_id=7, provinces=("CMI",), roles=("youth", "mentor"))
    with pytest.raises(Refused, match="จังหวัด"):
        Audience(provinces=("XXX",))
    with pytest.raises(Refused):
        Audience(roles=("coordinator",))
    assert "ทุกจังหวัด" in campaigns.describe(Audience.everyone())


# ---------------------------------------------------------------------------------------------- permissions


def test_who_may_send_to_whom(db, clock, folks):
    national = folks.add(Role.COORDINATOR, None, age=None)
    provincial = folks.add(Role.COORDINATOR, "CMI", age=None)
    mentor = folks.add(Role.MENTOR, "CMI", age=40)
    other_mentor = folks.add(Role.MENTOR, "BKK", age=40)
    youth = folks.add(mentor=mentor)
    with db.transaction() as session:
        user = {uid: session.get(User, uid) for uid in (national, provincial, mentor, other_mentor, youth)}
        for audience in (Audience.everyone(), Audience.of_provinces(["BKK"]), Audience.of_group(other_mentor)):
            assert campaigns.may_send(user[national], audience) is None
        assert campaigns.may_send(user[provincial], Audience.of_provinces(["CMI"])) is None
        assert campaigns.may_send(user[provincial], Audience.of_group(mentor)) is None
        refusal = campaigns.may_send(user[provincial], Audience.of_provinces(["BKK"]))
        assert refusal == "ผู้ประสานงานจังหวัดส่งแคมเปญได้เฉพาะในจังหวัดเชียงใหม่ค่ะ"
        assert campaigns.may_send(user[provincial], Audience.of_provinces(["CMI", "BKK"])) == refusal
        assert campaigns.may_send(user[provincial], Audience.everyone()) == refusal
        assert campaigns.may_send(user[provincial], Audience.of_group(other_mentor)) == refusal
        assert campaigns.may_send(user[mentor], Audience.of_group(mentor)) is None
        assert "กลุ่มของตัวเอง" in campaigns.may_send(user[mentor], Audience.of_group(other_mentor))
        assert "กลุ่มของตัวเอง" in campaigns.may_send(user[mentor], Audience.of_provinces(["CMI"]))
        assert "เฉพาะผู้ประสานงานและพี่เลี้ยง" in campaigns.may_send(user[youth], Audience.of_group(mentor))
    with pytest.raises(Refused, match="เฉพาะในจังหวัดเชียงใหม่"):
        schedule(db, clock, provincial, Audience.of_provinces(["BKK"]))


# ---------------------------------------------------------------------------------------------- estimates


def test_estimate_counts_a_multicast_request_per_500_in_each_province(db, clock, folks, settings):
    now = clock()
    provinces = ["CMI"] * 600 + ["BKK"] * 500 + ["KKN"] * 134
    rows = [{"line_user_id": f"Ub{index:031x}", "role": Role.YOUTH, "province_code": province, "is_following": True,
             "age_years": 15, "age_recorded_at": now, "created_at": now} for index, province in enumerate(provinces)]
    with db.transaction() as session:
        session.execute(insert(User), rows)
    national = folks.add(Role.COORDINATOR, None)
    with db.transaction() as session:
        plan = campaigns.estimate(session, Audience.everyone(), [DRUGS], now)
    assert plan == campaigns.Estimate(recipients=1234, requests=2 + 1 + 1, quota=1234)
    campaign = schedule(db, clock, national, Audience.everyone())
    assert (campaign.recipient_count, campaign.request_count, campaign.quota_cost) == (1234, 4, 1234)

    dispatch(db, clock, settings)
    with db.transaction() as session:
        sends = session.scalars(select(BulkSend).where(BulkSend.campaign_id == campaign.id).order_by(BulkSend.id))
        totals = {send.title.rsplit("[", 1)[1].rstrip("]"): (send.recipient_total, send.batch_count) for send in sends}
        rows = session.scalars(select(OutboxMessage)).all()
    assert totals == {"CMI": (600, 2), "BKK": (500, 1), "KKN": (134, 1)}
    assert sorted(row.recipient_count for row in rows) == [100, 134, 500, 500]
    assert len({line_id for row in rows for line_id in row.recipients}) == 1234
    assert reload(db, campaign.id).request_count == 4


# --------------------------------------------------------------------------------------------- bad input


@pytest.fixture
def national(folks) -> int:
    folks.add()  # somebody to send to
    return folks.add(Role.COORDINATOR, None, age=None)


@pytest.mark.parametrize("fields, reason", [
    ({"body": "   "}, "ว่าง"),
    ({"body": "ก" * 6000}, "6,000"),
    ({"body": "😀" * 2600}, "5,200"),  # len() is 2,600; LINE counts 5,200 UTF-16 units
    ({"title": ""}, "ชื่อแคมเปญ"),
    ({"title": "ก" * 101}, "101"),
    ({"link_url": "ftp://files.example.org/a.pdf"}, "http"),
    ({"link_url": "javascript:alert(1)"}, "http"),
    ({"link_url": "https://example.org/" + "a" * 1000}, "1,000"),
    ({"image_url": "http://example.org/a.jpg"}, "https"),
    ({"send_at": dt.datetime(2026, 11, 22, 2, 58, tzinfo=dt.UTC)}, "ผ่านไปแล้ว"),
    ({"send_at": dt.datetime(2027, 11, 23, 3, 0, tzinfo=dt.UTC)}, "1 ปี"),
    ({"tags": ["ก" * 41]}, "แท็ก"),
])
def test_bad_input_is_refused_with_a_thai_reason(db, clock, national, fields, reason):
    with pytest.raises(Refused) as refused:
        schedule(db, clock, national, Audience.everyone(), **fields)
    assert reason in str(refused.value)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_a_body_of_exactly_5000_utf16_units_is_accepted(db, clock, national):
    assert len(schedule(db, clock, national, Audience.everyone(), body="😀" * 2500).body) == 2500


def test_an_audience_that_selects_nobody_is_refused(db, clock, national):
    with pytest.raises(Refused, match="ยังไม่มีผู้รับ"):
        schedule(db, clock, national, Audience.of_provinces(["NAN"]))


def test_send_times_typed_or_picked_with_buddhist_era_years(clock):
    now = clock()  # 2026-11-22 10:00 in Bangkok
    nine_tomorrow = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    for text in ("2026-11-23T09:00", "23/11/2569 09:00", "23 พ.ย. 69 9.00", "๒๓ พฤศจิกายน ๒๕๖๙ ๐๙:๐๐ น.",
                 "พรุ่งนี้ 9:00", "23/11/2026 09:00", "วันที่ 23/11/69 เวลา 9.00 น."):
        assert campaigns.parse_send_time(text, now, BANGKOK) == nine_tomorrow, text
    assert campaigns.parse_send_time("ตอนนี้", now, BANGKOK) == now
    assert campaigns.parse_send_time("5 ม.ค. 9:00", now, BANGKOK) == dt.datetime(2027, 1, 5, 2, tzinfo=dt.UTC)
    for text, reason in (("22/11/2569 09:00", "ผ่านไปแล้ว"), ("23/11/2570 09:00", "1 ปี"),
                         ("31/02/2570 09:00", "ไม่มีวันที่"), ("พรุ่งนี้ 25:00", "ไม่มีจริง"), ("เร็ว ๆ นี้", "อ่าน")):
        with pytest.raises(Refused, match=reason):
            campaigns.parse_send_time(text, now, BANGKOK)


def test_the_same_confirm_twice_makes_one_campaign(db, clock, national):
    at = clock() + dt.timedelta(hours=1)
    first = schedule(db, clock, national, Audience.everyone(), send_at=at)
    clock.advance(seconds=5)
    again = schedule(db, clock, national, Audience.everyone(), send_at=at)
    other = schedule(db, clock, national, Audience.everyone(), send_at=at, title="อีกเรื่อง")
    assert again.id == first.id and other.id != first.id
    now = schedule(db, clock, national, Audience.everyone(), title="ส่งเลย")
    clock.advance(seconds=20)
    assert schedule(db, clock, national, Audience.everyone(), title="ส่งเลย").id == now.id, "send now, twice"


# ------------------------------------------------------------------------------------------------- images


def picture(width=2000, height=1500, fmt="JPEG") -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    image.save(out, fmt, **({"exif": exif.tobytes()} if fmt == "JPEG" else {}))
    return out.getvalue()


def test_an_uploaded_image_is_reencoded_small_without_metadata_and_served_publicly(settings, client):
    url = campaigns.store_campaign_image(settings, picture())
    assert url.startswith(f"{PUBLIC}/campaign-images/") and url.endswith(".jpg")
    response = client.get(url.removeprefix(PUBLIC))
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    served = Image.open(io.BytesIO(response.data))
    assert max(served.size) == 1024 and not served.getexif()
    assert campaigns.clean_image_url(url, settings) == url  # the bot's own loopback address, with the sandbox
    assert client.get("/campaign-images/nothing-here-0123456789ab.jpg").status_code == 404
    assert client.get("/campaign-images/..%2F..%2Fetc.jpg").status_code == 404


def test_an_upload_that_is_not_an_image_or_is_20_mb_is_refused(settings):
    with pytest.raises(Refused, match="ไม่ใช่รูปภาพ"):
        campaigns.store_campaign_image(settings, b"%PDF-1.7 not a picture")
    with pytest.raises(Refused, match="10 MB"):
        campaigns.store_campaign_image(settings, picture(64, 64) + b"\0" * (20 * 1024 * 1024))


# ------------------------------------------------------------------------------------- editing, cancelling


def test_cancel_before_the_start_and_not_after(db, clock, folks, settings, national):
    early = schedule(db, clock, national, Audience.everyone(), send_at=clock() + dt.timedelta(hours=2))
    with db.transaction() as session:
        sender = session.get(User, national)
        edited = campaigns.edit(session, session.get(Campaign, early.id), sender, clock(), title="ชื่อใหม่")
        assert edited.title == "ชื่อใหม่"
        assert campaigns.cancel(session, edited, sender, clock()) is True
        assert campaigns.cancel(session, edited, sender, clock()) is False
    assert reload(db, early.id).status == CampaignStatus.CANCELLED

    started = schedule(db, clock, national, Audience.everyone(), title="ส่งแล้ว")
    dispatch(db, clock, settings)
    with db.transaction() as session:
        sender, campaign = session.get(User, national), session.get(Campaign, started.id)
        with pytest.raises(Refused, match="^แคมเปญเริ่มส่งแล้ว ยกเลิกไม่ได้$"):
            campaigns.cancel(session, campaign, sender, clock())
        with pytest.raises(Refused, match="แก้ไขไม่ได้"):
            campaigns.edit(session, campaign, sender, clock(), body="ข้อความใหม่")
    assert reload(db, early.id).status == CampaignStatus.CANCELLED
    assert reload(db, started.id).status == CampaignStatus.SENT


def test_an_edit_is_checked_like_a_new_campaign(db, clock, folks):
    provincial = folks.add(Role.COORDINATOR, "CMI", age=None)
    folks.add(province="CMI")
    campaign = schedule(db, clock, provincial, Audience.of_provinces(["CMI"]), send_at=clock() + dt.timedelta(days=1))
    with db.transaction() as session, pytest.raises(Refused, match="เชียงใหม่"):
        campaigns.edit(session, session.get(Campaign, campaign.id), session.get(User, provincial), clock(),
                       audience=Audience.of_provinces(["BKK"]))
    with db.transaction() as session, pytest.raises(Refused, match="5,001"):
        campaigns.edit(session, session.get(Campaign, campaign.id), session.get(User, provincial), clock(),
                       body="ก" * 5001)


# ----------------------------------------------------------------------------------------------- dispatch


@pytest.fixture
def cast(folks):
    """A national coordinator, a mentor, a minor and an adult youth in Chiang Mai, a minor in Bangkok."""
    return {"national": folks.add(Role.COORDINATOR, None, age=None, line=True),
            "mentor": folks.add(Role.MENTOR, "CMI", age=40, line=True),
            "minor": folks.add(age=15, line=True), "adult": folks.add(age=19, line=True),
            "bkk_minor": folks.add(province="BKK", age=None, line=True)}


def test_at_10_in_bangkok_everyone_gets_the_card_at_once(db, clock, settings, folks, cast, worker, sandbox):
    campaign = schedule(db, clock, cast["national"], Audience.everyone(), send_at=clock() + dt.timedelta(minutes=5))
    assert dispatch(db, clock, settings) == 0, "not due yet"
    clock.advance(minutes=5)
    assert dispatch(db, clock, settings) == 1
    worker.run_until_idle()
    for name in ("mentor", "minor", "adult", "bkk_minor"):
        got = cards(sandbox, folks.line_id(cast[name]))
        assert len(got) == 1 and got[0]["altText"] == "📣 รู้ทันยาเสพติด", name
    assert cards(sandbox, folks.line_id(cast["national"])) == []
    links = {province: f"{PUBLIC}/c/{campaign.link_token}?p={province}" for province in ("CMI", "BKK")}
    assert links["BKK"] in str(cards(sandbox, folks.line_id(cast["bkk_minor"]))[0])
    assert links["CMI"] in str(cards(sandbox, folks.line_id(cast["minor"]))[0])
    for call in sandbox.calls(path=MULTICAST):
        assert_valid_request(call)
    sent = reload(db, campaign.id)
    assert sent.status == CampaignStatus.SENT and sent.started_at == clock() and sent.minors_due_at is None
    assert (sent.recipient_count, sent.request_count, sent.quota_cost) == (4, 2, 4)
    with db.transaction() as session:
        assert campaigns.progress(session, sent) == campaigns.Progress(queued=0, sent=4, failed=0)
        assert session.scalar(select(func.count()).select_from(BulkSend).where(BulkSend.campaign_id == sent.id)) == 2
    assert dispatch(db, clock, settings) == 0, "nothing left to do"


def test_at_22_adults_get_it_now_and_minors_at_7(db, clock, settings, folks, cast, worker, sandbox):
    clock.advance(hours=12)  # 22:00 in Bangkok
    campaign = schedule(db, clock, cast["national"], Audience.everyone())
    assert dispatch(db, clock, settings) == 1
    worker.run_until_idle()
    assert [len(cards(sandbox, folks.line_id(cast[name]))) for name in ("mentor", "adult", "minor", "bkk_minor")] == [
        1, 1, 0, 0]
    waiting = reload(db, campaign.id)
    assert waiting.status == CampaignStatus.SENDING
    assert waiting.minors_due_at.astimezone(BANGKOK) == dt.datetime(2026, 11, 23, 7, 0, tzinfo=BANGKOK)
    with db.transaction() as session:
        figures = campaigns.figures(session, waiting)
        assert figures.recipients == 2 and figures.minors_due_at == waiting.minors_due_at
        with pytest.raises(Refused, match="ยกเลิกไม่ได้"):
            campaigns.cancel(session, waiting, session.get(User, cast["national"]), clock())

    clock.advance(hours=8, minutes=59)  # 06:59
    assert dispatch(db, clock, settings) == 0
    clock.advance(minutes=1)  # 07:00
    assert dispatch(db, clock, settings) == 1
    worker.run_until_idle()
    assert [len(cards(sandbox, folks.line_id(cast[name]))) for name in ("mentor", "adult", "minor", "bkk_minor")] == [
        1, 1, 1, 1]
    done = reload(db, campaign.id)
    assert done.status == CampaignStatus.SENT and done.minors_due_at is None
    assert (done.recipient_count, done.request_count, done.quota_cost) == (4, 3, 4)
    assert dispatch(db, clock, settings) == 0


def test_a_campaign_without_minors_in_quiet_hours_is_sent_in_one_wave(db, clock, settings, cast):
    clock.advance(hours=13)  # 23:00
    campaign = schedule(db, clock, cast["national"], Audience(roles=(Role.MENTOR,)))
    dispatch(db, clock, settings)
    assert reload(db, campaign.id).status == CampaignStatus.SENT


def test_a_coordinator_moved_to_another_province_before_the_send_time_sends_nothing(
        db, clock, settings, folks, worker, sandbox):
    coordinator = folks.add(Role.COORDINATOR, "CMI", age=None, line=True)
    youth = folks.add(province="CMI", line=True)
    campaign = schedule(db, clock, coordinator, Audience.of_provinces(["CMI"]), send_at=clock() + dt.timedelta(hours=1))
    with db.transaction() as session:
        people.set_role(session, session.get(User, coordinator), Role.COORDINATOR, "BKK", clock())
    clock.advance(hours=1)
    assert dispatch(db, clock, settings) == 0
    worker.run_until_idle()
    assert cards(sandbox, folks.line_id(youth)) == []
    assert reload(db, campaign.id).status == CampaignStatus.CANCELLED
    with db.transaction() as session:
        entry = session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.refused_at_send")).one()
        assert entry.detail["campaign_id"] == campaign.id and "เฉพาะในกรุงเทพมหานคร" in entry.detail["reason"]
    told = [m["text"] for m in sandbox.messages_for(folks.line_id(coordinator)) if m["type"] == "text"]
    assert any("ไม่ได้ส่ง" in text and "รู้ทันยาเสพติด" in text for text in told)


def test_two_dispatch_runs_at_once_send_once(db, clock, settings, folks, cast, worker, sandbox):
    campaign = schedule(db, clock, cast["national"], Audience.everyone())
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(dispatch(db, clock, settings))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and sorted(results) == [0, 1]
    worker.run_until_idle()
    delivered = Counter(user_id for call in sandbox.calls(path=MULTICAST) if call["status"] == 200
                        for user_id in call["body"]["to"])
    assert set(delivered.values()) == {1} and len(delivered) == 4
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    assert reload(db, campaign.id).status == CampaignStatus.SENT


def test_the_dispatch_job_is_registered_every_30_seconds():
    job = next(job for job in scheduler.JOBS if job.name == "campaign-dispatch")
    assert job.every == dt.timedelta(seconds=30) and job.needs_settings and job.run is campaigns.dispatch_due


# ------------------------------------------------------------------------------------ clicks, shares, figures


def sent_campaign(db, clock, settings, cast, **fields) -> Campaign:
    campaign = schedule(db, clock, cast["national"], Audience.everyone(), **fields)
    dispatch(db, clock, settings)
    return reload(db, campaign.id)


def test_clicks_are_counted_by_province_and_hour_and_never_say_who(db, clock, settings, cast, client):
    campaign = sent_campaign(db, clock, settings, cast)
    audit_before = _count(db, AuditEvent)
    for query in ("p=CMI", "p=CMI", "p=BKK", "p=share", "p=NOPE", ""):
        response = client.get(f"/c/{campaign.link_token}?{query}", headers={"X-Forwarded-For": "203.0.113.9"})
        assert response.status_code == 302 and response.headers["Location"] == "https://www.m-society.go.th/drugs"
        assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    clock.advance(hours=1)
    client.get(f"/c/{campaign.link_token}?p=CMI")
    with db.transaction() as session:
        rows = session.execute(select(CampaignClick.province_code, CampaignClick.hour, CampaignClick.clicks)
                               .order_by(CampaignClick.id)).all()
        figures = campaigns.figures(session, campaign)
    hour = dt.datetime(2026, 11, 22, 3, tzinfo=dt.UTC)
    assert rows == [("CMI", hour, 2), ("BKK", hour, 1), ("share", hour, 1), ("", hour, 2),
                    ("CMI", hour + dt.timedelta(hours=1), 1)]
    assert {column.key for column in inspect(CampaignClick).columns} == {"id", "campaign_id", "province_code", "hour",
                                                                          "clicks"}
    assert figures.clicks == 7 and figures.clicks_by_province == [("CMI", 3), ("", 2), ("BKK", 1), ("share", 1)]
    assert _count(db, AuditEvent) == audit_before, "a click is not an event about anybody"


def test_a_campaign_without_a_link_shows_its_text_and_unknown_links_get_a_thai_404(db, clock, settings, cast, client):
    campaign = sent_campaign(db, clock, settings, cast, link_url=None, title="<b>ข่าว</b>",
                             body="บรรทัดแรก <script>alert(1)</script>\nบรรทัดสอง")
    page = client.get(f"/c/{campaign.link_token}?p=CMI")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="th"' in html and "บรรทัดสอง" in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;ข่าว&lt;/b&gt;" in html
    missing = client.get("/c/doesnotexist123?p=CMI")
    assert missing.status_code == 404 and "ไม่พบแคมเปญนี้" in missing.get_data(as_text=True)
    assert client.get("/c/bad%20token!").status_code == 404
    with db.transaction() as session:
        assert campaigns.figures(session, campaign).clicks == 1


def test_a_share_counts_once_per_person_and_figures_add_up(db, clock, settings, folks, cast, worker, sandbox):
    sandbox.faults.add(path=MULTICAST, status=400, times=1, message="The request body has 1 error(s)")
    campaign = sent_campaign(db, clock, settings, cast)  # two batches: BKK first, and LINE refuses it
    worker.run_until_idle()
    with db.transaction() as session:
        youth, minor = session.get(User, cast["adult"]), session.get(User, cast["minor"])
        assert campaigns.record_share(session, campaign, youth, clock()) is True
        assert campaigns.record_share(session, campaign, youth, clock()) is False
        assert campaigns.record_share(session, campaign, minor, clock()) is True
    with db.transaction() as session:
        figures = campaigns.figures(session, campaign)
        assert campaigns.progress(session, campaign) == campaigns.Progress(queued=0, sent=3, failed=1)
    assert (figures.recipients, figures.batches_sent, figures.batches_failed, figures.batches_queued) == (4, 1, 1, 0)
    assert (figures.recipients_sent, figures.recipients_failed, figures.quota_cost) == (3, 1, 3)
    assert figures.shares == 2 and figures.shares_by_province == [("CMI", 2)]


def test_a_share_before_the_send_does_not_count(db, clock, cast):
    campaign = schedule(db, clock, cast["national"], Audience.everyone(), send_at=clock() + dt.timedelta(hours=1))
    with db.transaction() as session:
        assert campaigns.record_share(session, campaign, session.get(User, cast["adult"]), clock()) is False


# -------------------------------------------------------------------------------------- tags and "latest"


def test_muting_replaces_an_interest_and_the_other_way_round(db, clock, folks):
    youth = folks.add()
    interest(db, clock, youth, DRUGS)
    mute(db, clock, youth, DRUGS, "#การพนัน")
    with db.transaction() as session:
        assert campaigns.tags_of(session, session.get(User, youth)) == {DRUGS: "muted", "การพนัน": "muted"}
    interest(db, clock, youth, DRUGS)
    with db.transaction() as session:
        assert campaigns.tags_of(session, session.get(User, youth)) == {DRUGS: "interest", "การพนัน": "muted"}


def test_latest_campaigns_are_those_of_the_persons_area_from_the_last_30_days(db, clock, settings, folks, cast):
    mentor = cast["mentor"]
    in_group = folks.add(mentor=mentor, province="CMI")
    sent_campaign(db, clock, settings, cast, title="เก่า", tags=[])
    clock.advance(days=20)
    sent_campaign(db, clock, settings, cast, title="ทั่วประเทศ", tags=[])
    schedule(db, clock, cast["national"], Audience.of_provinces(["BKK"]), title="กรุงเทพ")
    schedule(db, clock, mentor, Audience.of_group(mentor), title="กลุ่มพี่", tags=[])
    schedule(db, clock, cast["national"], Audience.everyone(), title="ยา", tags=["ยาเสพติด"])
    mute(db, clock, in_group, DRUGS)
    clock.advance(minutes=1)
    dispatch(db, clock, settings)
    clock.advance(days=11)
    with db.transaction() as session:
        mine = [c.title for c in campaigns.latest_for(session, session.get(User, in_group), clock())]
        theirs = [c.title for c in campaigns.latest_for(session, session.get(User, cast["bkk_minor"]), clock())]
    assert mine == ["กลุ่มพี่", "ทั่วประเทศ"] and "เก่า" not in mine
    assert theirs == ["ยา", "กรุงเทพ", "ทั่วประเทศ"]


def _count(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_card_is_built_once_and_only_the_province_of_its_link_changes(db, clock, settings, national):
    campaign = schedule(db, clock, national, Audience.everyone())
    messages = campaigns.ProvinceMessages(campaign, settings)
    for code in ("CMI", "BKK", None, "NMA"):
        assert messages(code) == replies.as_dicts(campaign_cards.recipient_messages(campaign, settings, code))
    assert messages.trusted is True
