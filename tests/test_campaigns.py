"""Campaigns through LINE: a coordinator or mentor composes one in the chat, sees the recipients' preview
and the counts, confirms; the dispatch job sends it; youth share it, mute its tag, find it again; the
sender follows figures and cancels a scheduled one. Signed events and the sandbox, on both databases."""

from __future__ import annotations

from bot import campaigns, postback
from bot.services import services
from models import Campaign, CampaignStatus
from tests.chat import Chat, texts
from tests.test_onboarding import group_code, register, staff


def dispatch(app, db, clock) -> int:
    with db.transaction() as session:
        return campaigns.dispatch_due(session, clock(), services(app).settings)


def compose(chat: Chat, title="ชวนร่วมรณรงค์ต้านยาเสพติด", body="เสาร์นี้ 9 โมง ที่ลานวัด มาช่วยกันแจกใบปลิวนะ",
            link="https://example.org/drugs", tag="ยาเสพติด", audience: str | None = "อพม.น้อย ในจังหวัด",
            when="ส่งเลย") -> list[dict]:
    chat.say("ส่งข่าว")
    chat.say(title)
    chat.say(body)
    chat.say(link) if link else chat.tap("ไม่มีลิงก์")
    chat.tap("ไม่มีรูป")
    chat.say(tag) if tag else chat.tap("ไม่ระบุแท็ก")
    if audience:
        chat.tap(audience)
    return chat.say(when) if when != "ส่งเลย" else chat.tap("ส่งเลย")


def campaign_cards(messages):
    return [m for m in messages if m["type"] == "flex" and m["altText"].startswith("📣")]


def test_a_coordinator_sends_to_their_province_and_youth_share_and_mute(app, runner, sandbox, worker, db, clock):
    coordinator = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    here = Chat(sandbox, worker, sandbox.user())
    register(here, nickname="ฟ้า")
    elsewhere = Chat(sandbox, worker, sandbox.user())
    register(elsewhere, nickname="ดิน", province="ลำพูน")
    for chat in (here, elsewhere, coordinator):
        chat.inbox()

    preview = compose(coordinator)
    assert campaign_cards(preview), "the preview is the card recipients get"
    summary = texts(preview)
    assert "จำนวน 1 คน" in summary and "1 คำขอส่ง" in summary and "โควตา" in summary
    coordinator.tap("ยืนยันส่ง")
    assert "ภายใน 1 นาที" in coordinator.last_text()
    assert dispatch(app, db, clock) == 1

    got = here.inbox()
    card = campaign_cards(got)
    assert len(card) == 1 and "ต้านยาเสพติด" in card[0]["altText"]
    assert elsewhere.inbox() == [], "another province gets nothing"
    buttons = {b["action"]["label"]: b["action"] for b in card[0]["contents"]["footer"]["contents"]}
    assert buttons["แชร์ให้เพื่อน"]["uri"].startswith("https://line.me/R/share?text=")

    assert "นับในบันทึกอาสา" in texts(here.tap("บอกต่อแล้ว ✓"))
    here.person.tap_postback(buttons["บอกต่อแล้ว ✓"]["data"])
    assert "นับไปแล้ว" in texts(here.inbox())
    latest = here.say("ข่าวล่าสุด")
    assert latest and latest[0]["type"] == "flex" and "ต้านยาเสพติด" in str(latest[0]["contents"])
    here.tap("ไม่ใช่เรื่องที่สนใจ")
    assert "#ยาเสพติด" in here.last_text()

    again = texts(compose(coordinator, title="รณรงค์ยาเสพติดครั้งที่ 2", audience="ทุกคน ในจังหวัด"))
    assert "ยังไม่มีผู้รับ" in again, "the only youth muted the tag, the coordinator is the only other one"

    mine = texts(coordinator.say("แคมเปญของฉัน"))
    assert "ต้านยาเสพติด" in mine and "บอกต่อ 1" in mine


def test_a_mentor_sends_to_their_own_group_only(app, runner, sandbox, worker, db, clock):
    mentor = staff(runner, sandbox, worker, "mentor_invite", "เชียงใหม่", "สมชาย")
    member = Chat(sandbox, worker, sandbox.user())
    register(member, code=group_code(mentor))
    outsider = Chat(sandbox, worker, sandbox.user())
    register(outsider)
    for chat in (member, outsider, mentor):
        chat.inbox()
    preview = texts(compose(mentor, tag=None, audience=None, link=None))
    assert "กลุ่มของสมชาย" in preview and "จำนวน 1 คน" in preview
    mentor.tap("ยืนยันส่ง")
    dispatch(app, db, clock)
    assert campaign_cards(member.inbox()) and outsider.inbox() == []


def test_a_provincial_coordinator_cannot_reach_other_provinces(runner, sandbox, worker, db):
    coordinator = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    coordinator.say("ส่งข่าว")
    coordinator.say("หัวข้อ")
    coordinator.say("เนื้อหา")
    coordinator.tap("ไม่มีลิงก์")
    coordinator.tap("ไม่มีรูป")
    coordinator.tap("ไม่ระบุแท็ก")
    assert "ทุกคน ทั่วประเทศ" not in coordinator.chips(), "not offered"
    answer = texts(coordinator.say("ทุกคน ทั่วประเทศ"))
    assert "เลือกผู้รับ" in answer or "จังหวัด" in answer
    with db.transaction() as session:
        assert session.query(Campaign).count() == 0


def test_scheduled_campaigns_wait_and_can_be_cancelled_until_they_start(app, runner, sandbox, worker, db, clock):
    coordinator = staff(runner, sandbox, worker, "coordinator", None, "ส่วนกลาง")
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth)
    youth.inbox()
    coordinator.say("ส่งข่าว")
    for answer in ("วันอาสาแห่งชาติ", "มาร่วมกิจกรรมกันนะ"):
        coordinator.say(answer)
    coordinator.tap("ไม่มีลิงก์")
    coordinator.tap("ไม่มีรูป")
    coordinator.tap("ไม่ระบุแท็ก")
    coordinator.tap("อพม.น้อย ทั่วประเทศ")
    assert "เวลาส่งผ่านไปแล้ว" in texts(coordinator.say("1/1/2569 09:00")) or "ผ่าน" in coordinator.last_text()
    picker = coordinator.actions()["ตั้งเวลาส่ง"]
    assert picker["type"] == "datetimepicker"
    coordinator.person.tap_postback(picker["data"], params={"datetime": "2026-11-23T09:00"})
    assert "ตัวอย่าง" in texts(coordinator.inbox())
    coordinator.tap("ยืนยันส่ง")
    assert "23 พ.ย. 2569" in coordinator.last_text()
    assert dispatch(app, db, clock) == 0 and youth.inbox() == []

    listing = coordinator.say("แคมเปญของฉัน")
    assert "ตั้งเวลา" in texts(listing)
    later = coordinator.actions()["เลื่อน วันอาสาแห่งชาติ"[:20]]
    coordinator.person.tap_postback(later["data"], params={"datetime": "2026-11-24T08:30"})
    assert "24 พ.ย. 2569" in texts(coordinator.inbox())
    coordinator.person.tap_postback(later["data"], params={"datetime": "2025-01-01T08:30"})
    assert "ผ่าน" in texts(coordinator.inbox()), "a time in the past is refused"
    coordinator.say("แคมเปญของฉัน")
    assert "ยกเลิกแคมเปญ" in texts(coordinator.tap("ยกเลิก วันอาสาแห่งชาติ"[:20]))
    clock.advance(days=1)
    assert dispatch(app, db, clock) == 0 and youth.inbox() == []
    with db.transaction() as session:
        campaign = session.query(Campaign).one()
        assert campaign.status == CampaignStatus.CANCELLED
    coordinator.person.tap_postback(postback.encode("cmp.cancel", k=campaign.id))
    assert "ยกเลิกไปแล้ว" in texts(coordinator.inbox())


def test_the_same_confirm_tapped_twice_schedules_one_campaign(runner, sandbox, worker, db):
    coordinator = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth)
    compose(coordinator)
    data = coordinator.actions()["ยืนยันส่ง"]["data"]
    coordinator.person.tap_postback(data)
    coordinator.person.tap_postback(data)
    answers = texts(coordinator.inbox())
    assert answers.count("ภายใน 1 นาที") == 1 and "หมดอายุ" in answers
    with db.transaction() as session:
        assert session.query(Campaign).count() == 1


def test_youth_cannot_send_and_a_forged_cancel_changes_nothing(app, runner, sandbox, worker, db, clock):
    coordinator = staff(runner, sandbox, worker, "coordinator", "เชียงใหม่", "วิภา")
    youth = Chat(sandbox, worker, sandbox.user())
    register(youth)
    assert "สำหรับพี่เลี้ยงและผู้ประสานงาน" in texts(youth.say("ส่งข่าว"))
    compose(coordinator, when="25/12/2569 10:00")
    coordinator.tap("ยืนยันส่ง")
    with db.transaction() as session:
        campaign_id = session.query(Campaign).one().id
    youth.person.tap_postback(postback.encode("cmp.cancel", k=campaign_id))
    assert "ใช้กับแคมเปญนี้ไม่ได้" in texts(youth.inbox())
    with db.transaction() as session:
        assert session.get(Campaign, campaign_id).status == CampaignStatus.SCHEDULED
