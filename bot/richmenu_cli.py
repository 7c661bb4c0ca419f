"""Setting the rich menus up at LINE: `flask --app app rich-menus`, and `set_up_rich_menus`, which the
command and the embedded mode (on the sandbox) share.

A run rebuilds each menu whose stored layout version is not LAYOUT_VERSION (every menu with `force`):
it creates the menu at LINE with its image, makes the guest menu the default, stores the ids, queues a
relink for every following registered user whose menu changed, then deletes the menus it replaced (their
users see the default until their relink is sent). With nothing to rebuild it makes no LINE call; with
`verify` it first asks LINE which menus exist and rebuilds those LINE no longer has. If a step fails, the
menus this run made are deleted again and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from bot import leases
from bot.messaging import LineGateway, SendOutcome, SendResult
from bot.richmenu_images import render
from bot.richmenus import GUEST, LAYOUT_VERSION, LAYOUTS, link_row, rich_menu_request, roles_of, stored_menu_ids
from bot.services import Services, services
from models import RichMenu, User, UserStatus

log = logging.getLogger("bot.richmenus")

LEASE_NAME = "rich-menus"
LEASE_TTL = dt.timedelta(minutes=10)


class RichMenuSetupError(RuntimeError):
    """LINE refused a step, or another run holds the lease; nothing was stored."""


@dataclass
class SetupResult:
    """What a run did: audience -> new menu id, audiences kept as they were, old ids deleted at LINE,
    old ids LINE would not delete (left for an operator), and how many users' relinks were queued."""

    built: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    not_deleted: list[str] = field(default_factory=list)
    relinks: int = 0


def set_up_rich_menus(app_services: Services, force: bool = False, verify: bool = False) -> SetupResult:
    """Bring LINE's menus up to LAYOUT_VERSION (see the module docstring); raises RichMenuSetupError."""
    holder = f"rich-menus:{uuid.uuid4().hex[:8]}"
    if not leases.try_acquire(app_services.db, LEASE_NAME, holder, app_services.clock(), LEASE_TTL):
        raise RichMenuSetupError("another rich-menus run is in progress")
    try:
        return _set_up(app_services, force, verify)
    finally:
        leases.release(app_services.db, LEASE_NAME, holder)


def _set_up(app_services: Services, force: bool, verify: bool) -> SetupResult:
    gateway = app_services.gateway
    with app_services.db.sessions() as session:
        stored = {row.audience: row for row in session.scalars(select(RichMenu))}
    at_line = set(_required(gateway.list_rich_menus(), "list the rich menus").data) if verify else None
    stale = [audience for audience in LAYOUTS
             if force or _is_stale(stored.get(audience), at_line)]
    result = SetupResult(kept=[audience for audience in LAYOUTS if audience not in stale])
    if not stale:
        return result
    result.built = _build(gateway, stale)
    try:
        with app_services.db.transaction() as session:
            result.relinks = _store(session, result.built, app_services.clock())
    except Exception:
        _discard(gateway, result.built.values())
        raise
    app_services.wake_delivery()
    replaced = [stored[audience].line_rich_menu_id for audience in stale if audience in stored]
    _delete_replaced(gateway, [menu_id for menu_id in replaced if at_line is None or menu_id in at_line], result)
    log.info("rich menus set up", extra={"built": sorted(result.built), "kept": result.kept,
                                         "relinks": result.relinks, "layout_version": LAYOUT_VERSION})
    return result


def _is_stale(row: RichMenu | None, at_line: set[str] | None) -> bool:
    if row is None or row.layout_version != LAYOUT_VERSION:
        return True
    return at_line is not None and row.line_rich_menu_id not in at_line


def _required(result: SendResult, what: str) -> SendResult:
    if result.outcome is not SendOutcome.SENT:
        raise RichMenuSetupError(f"could not {what}: {result.status or ''} {result.error or result.outcome.value}")
    return result


def _build(gateway: LineGateway, audiences: list[str]) -> dict[str, str]:
    """Create the audiences' menus with their images and make the guest one the default; on a failure,
    delete what was made and raise."""
    built: dict[str, str] = {}
    try:
        for audience in audiences:
            layout = LAYOUTS[audience]
            built[audience] = _required(gateway.create_rich_menu(rich_menu_request(layout)),
                                        f"create the {audience} menu").data
            _required(gateway.upload_rich_menu_image(built[audience], render(layout)),
                      f"upload the {audience} menu's image")
        if GUEST in built:
            _required(gateway.set_default_rich_menu(built[GUEST]), "make the guest menu the default")
    except RichMenuSetupError:
        _discard(gateway, built.values())
        raise
    return built


def _discard(gateway: LineGateway, menu_ids) -> None:
    """Delete menus this run made but could not finish (best effort: an orphan costs nothing but a slot)."""
    for menu_id in menu_ids:
        gateway.delete_rich_menu(menu_id)


def _store(session, built: dict[str, str], now: dt.datetime) -> int:
    """Record the new ids and queue relinks for the users they concern; returns how many were queued."""
    for audience, menu_id in built.items():
        row = session.get(RichMenu, audience) or RichMenu(audience=audience)
        row.line_rich_menu_id, row.layout_version, row.created_at = menu_id, LAYOUT_VERSION, now
        session.add(row)
    session.flush()
    roles = [role for audience in built for role in roles_of(audience)]
    users = session.scalars(select(User).where(User.role.in_(roles), User.is_following.is_(True),
                                               User.status != UserStatus.DELETED).order_by(User.id))
    menu_ids = stored_menu_ids(session)
    return sum(link_row(session, user, menu_ids, now) is not None for user in users)


def _delete_replaced(gateway: LineGateway, menu_ids: list[str], result: SetupResult) -> None:
    for menu_id in menu_ids:
        answer = gateway.delete_rich_menu(menu_id)
        if answer.outcome is SendOutcome.SENT or answer.status == 404:
            result.deleted.append(menu_id)
        else:
            log.warning("old rich menu not deleted", extra={"rich_menu_id": menu_id, "status": answer.status})
            result.not_deleted.append(menu_id)


def write_images(directory: Path) -> list[Path]:
    """Write every layout's PNG to `directory` (created if needed), for review."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for audience, layout in LAYOUTS.items():
        path = directory / f"richmenu-{audience}.png"
        path.write_bytes(render(layout))
        paths.append(path)
    return paths


def register_rich_menu_commands(app: Flask) -> None:
    """`rich-menus`: build the menus at LINE (or only write their images)."""

    @app.cli.command("rich-menus")
    @click.option("--force", is_flag=True, help="rebuild every menu even if its layout has not changed")
    @click.option("--verify", is_flag=True, help="also ask LINE which menus exist and rebuild the missing")
    @click.option("--images", "images_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="write the menu images (PNG) to this folder for review")
    @click.option("--images-only", is_flag=True, help="with --images: write the images, leave LINE alone")
    def rich_menus(force, verify, images_dir, images_only):
        """Create the rich menus (guest default, youth, mentor, coordinator) at LINE and relink users."""
        if images_only and images_dir is None:
            raise click.UsageError("--images-only needs --images DIR")
        if images_dir is not None:
            for path in write_images(images_dir):
                click.echo(f"wrote {path} ({path.stat().st_size} bytes)")
        if images_only:
            return
        try:
            result = set_up_rich_menus(services(app), force=force, verify=verify)
        except RichMenuSetupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(_summary(result))


def _summary(result: SetupResult) -> str:
    if not result.built:
        return f"rich menus are up to date (layout {LAYOUT_VERSION}); nothing sent to LINE"
    lines = [f"built {', '.join(result.built)} (layout {LAYOUT_VERSION}); guest is the default"
             if GUEST in result.built else f"built {', '.join(result.built)} (layout {LAYOUT_VERSION})",
             f"kept: {', '.join(result.kept) or 'none'}; deleted {len(result.deleted)} old menu(s); "
             f"relinks queued for {result.relinks} user(s)"]
    if result.not_deleted:
        lines.append(f"LINE did not delete: {', '.join(result.not_deleted)}")
    return "\n".join(lines)
