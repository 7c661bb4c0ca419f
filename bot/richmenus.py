"""The rich menus: one layout per audience (guest, youth, mentor, coordinator), declared as data, and the
outbox row that links a user to their audience's menu.

Every tap sends a Thai text command (a MessageAction), so the menu works exactly like typing. Guests
(not registered) see the default menu; everyone else is linked to their role's menu, which is why a role
change calls `queue_link` in the transaction that changes the role. The menus themselves are made at LINE
by `flask --app app rich-menus` (bot/richmenu_cli.py), which stores their ids in `rich_menus`.

    audience_of(user) -> "guest" | "youth" | "mentor" | "coordinator" | None (deleted: unlink)
    queue_link(session, user, now) -> OutboxMessage | None
    queue_unlink(session, line_user_id, now) -> OutboxMessage | None   (a person being erased)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.logs import pseudonym
from models import OutboxKind, OutboxMessage, RichMenu, Role, User, UserStatus

log = logging.getLogger("bot.richmenus")

GUEST = "guest"
MENU_WIDTH = 2500
ROW_HEIGHT = 843  # two rows: 2500 x 1686, LINE's large size
CHAT_BAR_TEXT = "เมนู อพม.น้อย"  # at most 14 characters
ACTION_LABEL_MAX = 20
DESIGN_REVISION = 1  # bump when bot/richmenu_images.py draws differently: the menus are rebuilt


@dataclass(frozen=True)
class Tile:
    """How one command looks on a menu: the Thai label ("\\n" where it breaks), an English line, a colour."""

    label: str
    caption: str
    colour: str  # "#rrggbb", dark enough for white text


# One look per command, the same in every menu that has it.
TILES = {
    "สมัคร อพม.น้อย": Tile("สมัคร\nอพม.น้อย", "Register", "#1b7f4b"),
    "ฉันมีรหัส": Tile("ฉันมีรหัส", "I have a code", "#1f5fa8"),
    "เบอร์ฉุกเฉิน": Tile("เบอร์ฉุกเฉิน", "Emergency numbers", "#b3261e"),
    "อพม.น้อยคืออะไร": Tile("อพม.น้อย\nคืออะไร", "About the programme", "#0e6f78"),
    "ข้อมูลของฉัน": Tile("ข้อมูลของฉัน", "My profile", "#1f5fa8"),
    "ข้อมูลส่วนบุคคล": Tile("ข้อมูล\nส่วนบุคคล", "Personal data", "#5b3fa0"),
    "ช่วยเหลือ": Tile("ช่วยเหลือ", "Help", "#8a4b08"),
    "กลุ่มของฉัน": Tile("กลุ่มของฉัน", "My group", "#1b7f4b"),
    "รหัสกลุ่ม": Tile("รหัสกลุ่ม", "Group code", "#0e6f78"),
    "พี่เลี้ยงในจังหวัด": Tile("พี่เลี้ยง\nในจังหวัด", "Mentors in the province", "#1b7f4b"),
    "เยาวชนรอพี่เลี้ยง": Tile("เยาวชน\nรอพี่เลี้ยง", "Youth without a mentor", "#0e6f78"),
    "ออกรหัสพี่เลี้ยง": Tile("ออกรหัส\nพี่เลี้ยง", "Issue a mentor code", "#5b3fa0"),
    "แจ้งปัญหา": Tile("แจ้งปัญหา", "Report a problem", "#b3261e"),
    "เรื่องที่แจ้ง": Tile("เรื่องที่แจ้ง", "My reports", "#8a4b08"),
    "เรื่องที่ต้องดูแล": Tile("เรื่องที่\nต้องดูแล", "Reports to act on", "#b3261e"),
    "ข่าวล่าสุด": Tile("ข่าวล่าสุด", "Latest campaigns", "#1b7f4b"),
    "ส่งข่าว": Tile("ส่งข่าว", "Send a campaign", "#1b7f4b"),
    "กิจกรรมของฉัน": Tile("กิจกรรม\nของฉัน", "My activities", "#0e6f78"),
    "กิจกรรมของกลุ่ม": Tile("กิจกรรม", "Activities", "#0e6f78"),
}


@dataclass(frozen=True)
class Layout:
    """One audience's menu: rows of commands, each row split evenly across the menu's width."""

    audience: str
    rows: tuple[tuple[str, ...], ...]


LAYOUTS = {
    layout.audience: layout for layout in (
        Layout(GUEST, (("สมัคร อพม.น้อย", "ฉันมีรหัส"), ("เบอร์ฉุกเฉิน", "อพม.น้อยคืออะไร"))),
        Layout(Role.YOUTH, (("แจ้งปัญหา", "กิจกรรมของฉัน", "ข่าวล่าสุด"),
                            ("เรื่องที่แจ้ง", "เบอร์ฉุกเฉิน", "ช่วยเหลือ"))),
        Layout(Role.MENTOR, (("เรื่องที่ต้องดูแล", "กลุ่มของฉัน", "กิจกรรมของกลุ่ม"),
                             ("ส่งข่าว", "รหัสกลุ่ม", "ช่วยเหลือ"))),
        Layout(Role.COORDINATOR, (("เรื่องที่ต้องดูแล", "ส่งข่าว", "กิจกรรมของกลุ่ม"),
                                  ("พี่เลี้ยงในจังหวัด", "เยาวชนรอพี่เลี้ยง", "ช่วยเหลือ"))),
    )
}


def _layout_version() -> str:
    """A short hash of everything that shapes the menus: change any of it and the command rebuilds them."""
    design = {"layouts": [dataclasses.asdict(layout) for layout in LAYOUTS.values()],
              "tiles": {command: dataclasses.asdict(tile) for command, tile in TILES.items()},
              "chat_bar": CHAT_BAR_TEXT, "size": [MENU_WIDTH, ROW_HEIGHT], "revision": DESIGN_REVISION}
    return hashlib.sha256(json.dumps(design, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]


LAYOUT_VERSION = _layout_version()


@dataclass(frozen=True)
class Cell:
    """Where one command sits on the menu image, in pixels."""

    command: str
    tile: Tile
    x: int
    y: int
    width: int
    height: int


def menu_size(layout: Layout) -> tuple[int, int]:
    return MENU_WIDTH, ROW_HEIGHT * len(layout.rows)


def cells(layout: Layout) -> list[Cell]:
    """The layout's cells, row by row; a row's cells share its width (the last takes the rounding)."""
    placed = []
    for row_index, row in enumerate(layout.rows):
        edges = [MENU_WIDTH * index // len(row) for index in range(len(row) + 1)]
        for index, command in enumerate(row):
            placed.append(Cell(command, TILES[command], edges[index], row_index * ROW_HEIGHT,
                               edges[index + 1] - edges[index], ROW_HEIGHT))
    return placed


def rich_menu_request(layout: Layout) -> dict:
    """The body of `POST /v2/bot/richmenu` for `layout` (a RichMenuRequest as JSON)."""
    width, height = menu_size(layout)
    return {
        "size": {"width": width, "height": height},
        "selected": True,
        "name": f"aphm-{layout.audience}-{LAYOUT_VERSION}",
        "chatBarText": CHAT_BAR_TEXT,
        "areas": [
            {"bounds": {"x": cell.x, "y": cell.y, "width": cell.width, "height": cell.height},
             "action": {"type": "message", "label": cell.command[:ACTION_LABEL_MAX], "text": cell.command}}
            for cell in cells(layout)
        ],
    }


def audience_of(user: User) -> str | None:
    """Which menu `user` should see: "guest" before registering, their role's menu after (admins get the
    coordinator's), None once their data is deleted (unlinked: they see the default)."""
    if user.status == UserStatus.DELETED:
        return None
    if user.role is None:
        return GUEST
    return Role.COORDINATOR if user.role == Role.ADMIN else user.role


def roles_of(audience: str) -> tuple[str, ...]:
    """The roles whose users see `audience`'s menu (none for guest: they see the default)."""
    if audience == GUEST:
        return ()
    return (Role.COORDINATOR, Role.ADMIN) if audience == Role.COORDINATOR else (audience,)


def stored_menu_ids(session: Session) -> dict[str, str]:
    """audience -> LINE rich menu id, as the `rich-menus` command stored them."""
    return dict(session.execute(select(RichMenu.audience, RichMenu.line_rich_menu_id)).all())


def queue_link(session: Session, user: User, now: dt.datetime) -> OutboxMessage | None:
    """Queue the call that shows `user` their audience's menu (call it in the transaction that changes
    the role). Guests and deleted users are unlinked so the default shows. Nothing is queued for a user
    who is not following, or while the menus are not set up."""
    return link_row(session, user, stored_menu_ids(session), now)


def link_row(session: Session, user: User, menu_ids: dict[str, str], now: dt.datetime) -> OutboxMessage | None:
    """`queue_link` with the stored menu ids already read (the command relinks many users at once)."""
    if not user.is_following:
        return None
    audience = audience_of(user)
    unlink = audience in (None, GUEST)  # the default (guest) menu shows once the user's link is gone
    if not menu_ids or not (unlink or audience in menu_ids):
        log.info("rich menu not set up", extra={"audience": audience, "user": pseudonym(user.line_user_id)})
        return None
    return _queue(session, user.line_user_id, [] if unlink else [{"richMenuId": menu_ids[audience]}], now)


def queue_unlink(session: Session, line_user_id: str, now: dt.datetime) -> OutboxMessage | None:
    """Queue the removal of a user's own menu, by LINE user id: for a person whose row is being erased
    (it no longer holds the id). Nothing while the menus are not set up."""
    if not stored_menu_ids(session):
        log.info("rich menu not set up", extra={"audience": None, "user": pseudonym(line_user_id)})
        return None
    return _queue(session, line_user_id, [], now)


def _queue(session: Session, line_user_id: str, messages: list[dict], now: dt.datetime) -> OutboxMessage:
    row = OutboxMessage(kind=OutboxKind.LINK_RICH_MENU, to_id=line_user_id, messages=messages,
                        created_at=now, next_attempt_at=now)
    session.add(row)
    return row
