"""Rich menus per role: the `rich-menus` command against the sandbox, per-user links through the outbox,
and images whose Thai labels are shaped and readable."""

from __future__ import annotations

import io
import logging
import unicodedata

import pytest
from PIL import Image, ImageDraw, ImageFont, features
from sqlalchemy import select

from bot import richmenu_images
from bot.richmenu_cli import write_images
from bot.richmenus import (
    CHAT_BAR_TEXT,
    GUEST,
    LAYOUT_VERSION,
    LAYOUTS,
    TILES,
    audience_of,
    cells,
    menu_size,
    queue_link,
    queue_unlink,
    rich_menu_request,
)
from models import OutboxKind, OutboxMessage, OutboxStatus, RichMenu, Role, User, UserStatus
from tests.openapi_check import assert_valid_request, assert_valid_schema

COMMANDS = {
    "guest": ["สมัคร อพม.น้อย", "ฉันมีรหัส", "เบอร์ฉุกเฉิน", "อพม.น้อยคืออะไร"],
    "youth": ["แจ้งปัญหา", "กิจกรรมของฉัน", "ข่าวล่าสุด", "เรื่องที่แจ้ง", "เบอร์ฉุกเฉิน", "ช่วยเหลือ"],
    "mentor": ["เรื่องที่ต้องดูแล", "กลุ่มของฉัน", "กิจกรรมของกลุ่ม", "ส่งข่าว", "รหัสกลุ่ม", "ช่วยเหลือ"],
    "coordinator": ["เรื่องที่ต้องดูแล", "ส่งข่าว", "กิจกรรมของกลุ่ม", "พี่เลี้ยงในจังหวัด", "เยาวชนรอพี่เลี้ยง",
                    "ช่วยเหลือ"],
}
NOT_IN_FONT = "\ue000"  # a private-use code point: drawn as the font's .notdef glyph (tofu)


# -- helpers -------------------------------------------------------------------------------------------
def set_up(runner, *args: str) -> str:
    result = runner.invoke(args=["rich-menus", *args])
    assert result.exit_code == 0, result.output
    return result.output


def stored(db) -> dict[str, RichMenu]:
    with db.sessions() as session:
        return {row.audience: row for row in session.scalars(select(RichMenu))}


def add_user(db, sandbox, clock, role: str | None = None, **fields) -> str:
    line_user_id = sandbox.user().user_id
    with db.transaction() as session:
        session.add(User(line_user_id=line_user_id, role=role, created_at=clock(), **fields))
    return line_user_id


def change(db, clock, line_user_id: str, **fields) -> dict | None:
    """Change a user as onboarding would, queueing the menu link in the same transaction; returns the
    queued row's kind and messages."""
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.line_user_id == line_user_id)).one()
        for name, value in fields.items():
            setattr(user, name, value)
        row = queue_link(session, user, clock())
        return None if row is None else {"kind": row.kind, "messages": row.messages}


def link_rows(db) -> list[OutboxMessage]:
    with db.sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.LINK_RICH_MENU)
                                    .order_by(OutboxMessage.id)))


def assert_calls_match_spec(sandbox) -> None:
    for call in sandbox.calls():
        if call["status"] < 300:
            assert_valid_request(call)


def ink(font: ImageFont.FreeTypeFont, text: str) -> bytes:
    image = Image.new("L", (font.size * 12, font.size * 3))
    ImageDraw.Draw(image).text((font.size, font.size * 2), text, font=font, fill=255, anchor="ls")
    return image.tobytes()


# -- layouts as data -----------------------------------------------------------------------------------
def test_each_audience_has_exactly_its_commands_as_message_actions():
    assert len(CHAT_BAR_TEXT) <= 14
    for audience, commands in COMMANDS.items():
        request = rich_menu_request(LAYOUTS[audience])
        assert_valid_schema("messaging-api.yml", "RichMenuRequest", request)
        actions = [area["action"] for area in request["areas"]]
        assert [action["text"] for action in actions] == commands
        assert all(action["type"] == "message" and len(action["label"]) <= 20 for action in actions)


def test_areas_tile_the_menu_without_overlap():
    for layout in LAYOUTS.values():
        width, height = menu_size(layout)
        assert sum(cell.width * cell.height for cell in cells(layout)) == width * height
        assert all(cell.x + cell.width <= width and cell.y + cell.height <= height for cell in cells(layout))


def test_audience_follows_role_and_status():
    def user(role, status=UserStatus.ACTIVE):
        return User(line_user_id="U1", role=role, status=status)

    assert audience_of(user(None)) == GUEST
    assert [audience_of(user(role)) for role in (Role.YOUTH, Role.MENTOR, Role.COORDINATOR, Role.ADMIN)] == [
        "youth", "mentor", "coordinator", "coordinator"]
    assert audience_of(user(Role.YOUTH, UserStatus.PENDING_GUARDIAN)) == "youth"
    assert audience_of(user(Role.YOUTH, UserStatus.DELETED)) is None


# -- the command ---------------------------------------------------------------------------------------
def test_command_creates_four_menus_with_images_and_sets_the_guest_default(runner, sandbox, db):
    output = set_up(runner)
    assert "guest is the default" in output
    menus = stored(db)
    assert sorted(menus) == sorted(COMMANDS)
    assert {row.layout_version for row in menus.values()} == {LAYOUT_VERSION}
    store = sandbox.rich_menus
    assert sorted(store.menus) == sorted(row.line_rich_menu_id for row in menus.values())
    assert store.default_id == menus[GUEST].line_rich_menu_id
    for audience, row in menus.items():
        menu = store.menus[row.line_rich_menu_id]
        assert [area["action"]["text"] for area in menu["areas"]] == COMMANDS[audience]
        data, media_type = store.images[row.line_rich_menu_id]
        assert media_type == "image/png" and len(data) <= 1024 * 1024
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG"
            width, height = image.size
        assert (width, height) == (menu["size"]["width"], menu["size"]["height"])
        assert 800 <= width <= 2500 and height >= 250 and width / height >= 1.45
    assert_calls_match_spec(sandbox)


def test_command_is_idempotent_unless_forced(runner, sandbox, db):
    set_up(runner)
    first = {audience: row.line_rich_menu_id for audience, row in stored(db).items()}
    sandbox.clear_calls()
    assert "up to date" in set_up(runner)
    assert sandbox.calls() == [], "nothing sent to LINE on a second run"

    set_up(runner, "--force")
    second = {audience: row.line_rich_menu_id for audience, row in stored(db).items()}
    assert set(first.values()).isdisjoint(second.values())
    assert sorted(sandbox.rich_menus.menus) == sorted(second.values()), "the replaced menus are deleted"
    assert sandbox.rich_menus.default_id == second[GUEST]
    assert_calls_match_spec(sandbox)


def test_a_changed_layout_rebuilds_that_menu_and_relinks_its_users(runner, sandbox, db, clock, worker):
    set_up(runner)
    mentor = add_user(db, sandbox, clock, Role.MENTOR)
    youth = add_user(db, sandbox, clock, Role.YOUTH)
    with db.transaction() as session:
        session.get(RichMenu, "mentor").layout_version = "older-design"
    old_mentor_menu = stored(db)["mentor"].line_rich_menu_id
    sandbox.clear_calls()

    output = set_up(runner)
    assert "built mentor" in output and "relinks queued for 1 user(s)" in output
    assert [call["path"] for call in sandbox.calls()][-1] == f"/v2/bot/richmenu/{old_mentor_menu}"
    worker.run_until_idle()
    assert sandbox.rich_menus.links == {mentor: stored(db)["mentor"].line_rich_menu_id}
    assert sandbox.rich_menus.menu_for(youth)["richMenuId"] == stored(db)[GUEST].line_rich_menu_id
    assert_calls_match_spec(sandbox)


def test_force_relinks_every_following_registered_user(runner, sandbox, db, clock, worker):
    set_up(runner)
    admin = add_user(db, sandbox, clock, Role.ADMIN)
    youth = add_user(db, sandbox, clock, Role.YOUTH, status=UserStatus.PENDING_GUARDIAN)
    add_user(db, sandbox, clock, Role.YOUTH, is_following=False)
    add_user(db, sandbox, clock, Role.MENTOR, status=UserStatus.DELETED)
    add_user(db, sandbox, clock)  # a guest: the default covers them

    assert "relinks queued for 2 user(s)" in set_up(runner, "--force")
    worker.run_until_idle()
    menus = stored(db)
    assert sandbox.rich_menus.links == {admin: menus["coordinator"].line_rich_menu_id,
                                        youth: menus["youth"].line_rich_menu_id}


def test_verify_rebuilds_menus_line_no_longer_has(runner, sandbox, db):
    set_up(runner)
    youth_menu = stored(db)["youth"].line_rich_menu_id
    del sandbox.rich_menus.menus[youth_menu]  # as if deleted by hand in the LINE console
    assert "up to date" in set_up(runner)
    output = set_up(runner, "--verify")
    assert "built youth" in output and "kept: guest, mentor, coordinator" in output
    assert stored(db)["youth"].line_rich_menu_id in sandbox.rich_menus.menus


def test_a_refused_image_leaves_nothing_behind(runner, sandbox, db):
    sandbox.faults.add(path="/v2/bot/richmenu/*/content", status=400, times=1, message="invalid image")
    result = runner.invoke(args=["rich-menus"])
    assert result.exit_code == 1 and "upload the guest menu's image" in result.output
    assert stored(db) == {}
    assert sandbox.rich_menus.menus == {} and sandbox.rich_menus.default_id is None


def test_images_option_writes_pngs_and_images_only_leaves_line_alone(runner, sandbox, tmp_path):
    output = set_up(runner, "--images", str(tmp_path), "--images-only")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"richmenu-{a}.png" for a in COMMANDS)
    assert "bytes" in output and sandbox.calls() == []


# -- linking users through the outbox ------------------------------------------------------------------
def test_a_role_change_links_the_users_menu(runner, sandbox, db, clock, worker):
    set_up(runner)
    user = add_user(db, sandbox, clock)
    assert change(db, clock, user, role=Role.YOUTH) == {
        "kind": OutboxKind.LINK_RICH_MENU, "messages": [{"richMenuId": stored(db)["youth"].line_rich_menu_id}]}
    worker.run_until_idle()
    assert sandbox.rich_menus.menu_for(user)["richMenuId"] == stored(db)["youth"].line_rich_menu_id

    change(db, clock, user, role=Role.ADMIN)
    worker.run_until_idle()
    assert sandbox.rich_menus.links[user] == stored(db)["coordinator"].line_rich_menu_id
    assert [row.status for row in link_rows(db)] == [OutboxStatus.SENT] * 2
    assert_calls_match_spec(sandbox)


def test_a_deleted_user_is_unlinked_and_sees_the_default(runner, sandbox, db, clock, worker):
    set_up(runner)
    user = add_user(db, sandbox, clock)
    change(db, clock, user, role=Role.MENTOR)
    worker.run_until_idle()
    assert change(db, clock, user, status=UserStatus.DELETED)["messages"] == []
    worker.run_until_idle()
    assert user not in sandbox.rich_menus.links
    assert sandbox.rich_menus.menu_for(user)["richMenuId"] == stored(db)[GUEST].line_rich_menu_id
    assert sandbox.calls()[-1]["method"] == "DELETE" and sandbox.calls()[-1]["path"] == f"/v2/bot/user/{user}/richmenu"
    assert_calls_match_spec(sandbox)


def test_an_erased_person_is_unlinked_by_line_user_id(runner, sandbox, db, clock, worker):
    user = add_user(db, sandbox, clock, Role.YOUTH)
    with db.transaction() as session:
        assert queue_unlink(session, user, clock()) is None, "no menus yet: nothing to unlink"
    set_up(runner, "--force")
    worker.run_until_idle()
    assert user in sandbox.rich_menus.links
    with db.transaction() as session:
        assert queue_unlink(session, user, clock()).messages == []
    worker.run_until_idle()
    assert user not in sandbox.rich_menus.links


def test_nothing_is_queued_without_menus_or_for_a_user_not_following(runner, sandbox, db, clock, caplog):
    user = add_user(db, sandbox, clock)
    with caplog.at_level(logging.INFO, logger="bot.richmenus"):
        assert change(db, clock, user, role=Role.YOUTH) is None
    assert any(record.message == "rich menu not set up" for record in caplog.records)
    assert user not in caplog.text, "logs carry a pseudonym, never the LINE user id"
    set_up(runner)
    relinked = len(link_rows(db))  # the command relinked the youth
    assert change(db, clock, user, is_following=False, role=Role.MENTOR) is None
    assert len(link_rows(db)) == relinked == 1


def test_a_link_is_retried_after_a_server_error_and_failed_on_a_client_error(runner, sandbox, db, clock, worker):
    set_up(runner)
    user = add_user(db, sandbox, clock)
    sandbox.faults.add(path=f"/v2/bot/user/{user}/richmenu/*", status=500, times=1)
    change(db, clock, user, role=Role.YOUTH)
    worker.run_until_idle()
    (row,) = link_rows(db)
    assert (row.status, row.attempts, row.http_status) == (OutboxStatus.PENDING, 1, 500)
    clock.advance(seconds=5)
    worker.run_until_idle()
    assert link_rows(db)[0].status == OutboxStatus.SENT
    assert sandbox.rich_menus.links[user] == stored(db)["youth"].line_rich_menu_id

    with db.transaction() as session:
        session.add(OutboxMessage(kind=OutboxKind.LINK_RICH_MENU, to_id=user, created_at=clock(),
                                  messages=[{"richMenuId": "richmenu-gone"}], next_attempt_at=clock()))
    worker.run_until_idle()
    assert (link_rows(db)[-1].status, link_rows(db)[-1].http_status) == (OutboxStatus.FAILED, 404)


# -- the images ----------------------------------------------------------------------------------------
def test_images_are_deterministic_and_within_lines_rules():
    for layout in LAYOUTS.values():
        data = richmenu_images.render(layout)
        assert data == richmenu_images.render.__wrapped__(layout), "drawn again: the same bytes"
        assert len(data) <= 1024 * 1024
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == menu_size(layout)


def test_every_label_has_ink_inside_its_own_tile():
    for layout in LAYOUTS.values():
        with Image.open(io.BytesIO(richmenu_images.render(layout))) as image:
            pixels = image.convert("RGB")
        for tile in richmenu_images.plan(layout):
            left, top, right, bottom = tile.tile_box
            for ink_left, ink_top, ink_right, ink_bottom in (tile.label_box, tile.caption_box):
                assert left < ink_left and ink_right < right and top < ink_top and ink_bottom < bottom, tile
            label = pixels.crop(tile.label_box)
            white = sum(label.convert("L").histogram()[241:])
            assert white > 0.1 * label.width * label.height, (tile.cell.command, white)
            assert tile.label_size >= 100, "large enough to read on a phone"


def test_thai_labels_have_no_tofu_and_are_shaped():
    font = richmenu_images.label_font(100)
    tofu = ink(font, "ก" + NOT_IN_FONT)
    assert tofu != ink(font, "ก"), "the .notdef glyph draws something"
    characters = {character for tile in TILES.values() for character in tile.label if character != "\n"}
    missing = [character for character in characters if ink(font, "ก" + character) == tofu]
    assert missing == [], f"not in Sarabun: {missing}"
    for tile in TILES.values():
        for line in tile.label.split("\n"):  # no dotted circle (◌) inserted for a mark without its base
            spacing = sum(font.getlength(ch) for ch in line if unicodedata.category(ch) != "Mn")
            assert font.getlength(line) == pytest.approx(spacing, rel=0.02), line


@pytest.mark.skipif(not features.check("raqm"), reason="Pillow built without raqm")
def test_raqm_stacks_a_tone_mark_above_an_upper_vowel():
    assert richmenu_images.layout_engine() == ImageFont.Layout.RAQM
    shaped = richmenu_images.label_font(100)
    basic = ImageFont.truetype(str(richmenu_images.BOLD_FONT), 100, layout_engine=ImageFont.Layout.BASIC)
    assert ink(shaped, "พี่") != ink(basic, "พี่")


def test_without_raqm_the_basic_layout_is_used_with_a_warning(monkeypatch):
    richmenu_images.layout_engine.cache_clear()
    monkeypatch.setattr(features, "check", lambda name: False)
    try:
        with pytest.warns(RuntimeWarning, match="raqm"):
            assert richmenu_images.layout_engine() == ImageFont.Layout.BASIC
    finally:
        richmenu_images.layout_engine.cache_clear()


def test_write_images_for_review(tmp_path):
    paths = write_images(tmp_path / "menus")
    sizes = {path.name: path.stat().st_size for path in paths}
    assert len(sizes) == 4 and all(0 < size <= 1024 * 1024 for size in sizes.values())


def test_embedded_mode_sets_the_menus_up_in_a_fresh_sandbox(app, sandbox, db):
    from bot.embedded import set_up_sandbox_rich_menus

    set_up_sandbox_rich_menus(app)
    sandbox.rich_menus.__init__()  # the sandbox starts empty on every run; the database keeps its rows
    set_up_sandbox_rich_menus(app)
    menus = stored(db)
    assert sorted(sandbox.rich_menus.menus) == sorted(row.line_rich_menu_id for row in menus.values())
    assert sandbox.rich_menus.menu_for("U" + "0" * 32)["richMenuId"] == menus[GUEST].line_rich_menu_id
