"""Report photos: fetched from LINE at once, kept in a private folder, shown to mentors through signed links.

LINE keeps what a user sends only briefly, so every image message of a report becomes a `ReportPhoto` row
(PENDING) that the photo fetcher, a background loop beside the delivery worker, claims under a lease and
downloads through the gateway into the `PhotoStore` (bot/photo_store.py: checked, re-encoded, private).
A mentor sees a photo through a link signed with a key derived from the channel secret that expires after
`photo_link_minutes` (bot/media_web.py checks it and serves the file).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer
from linebot.v3.messaging import ImageMessage
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import until_idle
from bot.messaging import LineGateway, SendOutcome, SendResult
from bot.photo_store import (  # noqa: F401 (re-exported)
    MAX_PHOTO_BYTES,
    VARIANT_SUFFIXES,
    PhotoRejected,
    PhotoStore,
    StoredPhoto,
    encode_photo,
)
from models import PhotoStatus, ReportPhoto
from models.db import Database

log = logging.getLogger("bot.report_media")

MAX_ATTEMPTS = 8
BACKOFF = [dt.timedelta(seconds=s) for s in (5, 30, 120, 600, 1800, 3600, 7200)]  # after attempt 1, 2, ...
DEFAULT_LEASE = dt.timedelta(minutes=5)
MAX_PHOTO_MESSAGES = 4  # a reply holds 5 messages: one for the text, four photos
LINK_KEY_LABEL = b"aphm-bot/report-photo-links/v1"


@dataclass
class PhotoFetcher:
    """Downloads PENDING photos from LINE and stores them; any number may run at once (rows are leased)."""

    db: Database
    gateway: LineGateway
    clock: Clock
    store: PhotoStore
    batch_size: int = 20
    lease: dt.timedelta = DEFAULT_LEASE  # longer than a batch of downloads, each bounded by the gateway timeout

    def claim(self) -> list[ReportPhoto]:
        """Lease the due photos (a leased row's next attempt is its lease's end, so a lost fetcher's rows
        come back by themselves); each claim counts as an attempt."""
        now = self.clock()
        with self.db.transaction() as session:
            due = (select(ReportPhoto.id)
                   .where(ReportPhoto.status == PhotoStatus.PENDING,
                          or_(ReportPhoto.next_attempt_at.is_(None), ReportPhoto.next_attempt_at <= now))
                   .order_by(ReportPhoto.id).limit(self.batch_size))
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            statement = (update(ReportPhoto).where(ReportPhoto.id.in_(due.scalar_subquery()))
                         .values(lease_until=now + self.lease, next_attempt_at=now + self.lease,
                                 attempts=ReportPhoto.attempts + 1)
                         .returning(ReportPhoto).execution_options(synchronize_session=False))
            photos = list(session.scalars(statement))
        return sorted(photos, key=lambda photo: photo.id)

    def run_once(self) -> int:
        """Claim and fetch what is due now; returns how many photos were claimed."""
        photos = self.claim()
        for photo in photos:
            if self.clock() >= photo.lease_until:  # slow downloads ate the lease: leave it to its next claim
                continue
            try:
                self.fetch(photo)
            except Exception:  # the row comes back when its lease ends
                log.exception("photo fetch failed", extra={"photo_id": photo.id})
        return len(photos)

    def run_until_idle(self, max_rounds: int = 100) -> int:
        """Fetch until nothing is due now; returns how many photos were handled."""
        return until_idle(self.run_once, max_rounds)

    def run_forever(self, stop: threading.Event, wakeup: threading.Event, idle_seconds: float = 1.0) -> None:
        """Loop until `stop`; `wakeup` is set when this process stored new events (other processes' photos
        are found by polling every `idle_seconds`)."""
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:  # the database restarting, say: log, wait, try again
                log.exception("photo fetch round failed")
                handled = 0
            if handled == 0:
                wakeup.wait(idle_seconds)
                wakeup.clear()

    def fetch(self, photo: ReportPhoto) -> str | None:
        """Download and store one claimed photo; returns its new status (None: the row went meanwhile)."""
        result = self.gateway.get_message_content(photo.line_message_id)
        if result.outcome is SendOutcome.SENT:
            status = self._store(photo, result.data[0])
        elif result.outcome is SendOutcome.RETRY:
            status = self._retry_later(photo, _describe(result))
        else:
            status = self._finish(photo, status=PhotoStatus.FAILED, error=_describe(result))
        log.info("photo fetch", extra={"photo_id": photo.id, "outcome": status, "http_status": result.status,
                                       "attempt": photo.attempts, "seconds": round(result.seconds, 3)})
        return status

    def _store(self, photo: ReportPhoto, data: bytes) -> str | None:
        try:
            stored = self.store.save(photo.id, data)
        except PhotoRejected as rejected:
            return self._finish(photo, status=PhotoStatus.FAILED, error=str(rejected))
        except OSError as exc:  # a full or unwritable disk: keep trying while LINE still has the photo
            return self._retry_later(photo, f"cannot write the file: {type(exc).__name__}")
        status = self._finish(photo, status=PhotoStatus.STORED, storage_name=stored.storage_name,
                              media_type=stored.media_type, size_bytes=stored.size_bytes,
                              fetched_at=self.clock(), error=None)
        if status is None:  # the row was deleted, or another fetcher took it over meanwhile
            self.store.delete(stored.storage_name)
        return status

    def _retry_later(self, photo: ReportPhoto, reason: str) -> str | None:
        if photo.attempts >= MAX_ATTEMPTS:
            reason = f"gave up after {photo.attempts} tries: {reason}"
            return self._finish(photo, status=PhotoStatus.FAILED, error=reason)
        delay = BACKOFF[min(photo.attempts, len(BACKOFF)) - 1]
        return self._finish(photo, status=PhotoStatus.PENDING, next_attempt_at=self.clock() + delay, error=reason)

    def _finish(self, photo: ReportPhoto, **values) -> str | None:
        """Record the outcome of this claim; None when the row is gone or was claimed again since."""
        if values.get("error"):
            values["error"] = values["error"][:120]
        with self.db.connection() as connection:
            updated = connection.execute(update(ReportPhoto).where(
                ReportPhoto.id == photo.id, ReportPhoto.status == PhotoStatus.PENDING,
                ReportPhoto.attempts == photo.attempts).values(lease_until=None, **values))
        return values["status"] if updated.rowcount == 1 else None


def _describe(result: SendResult) -> str:
    """A short reason from LINE's answer (its error message names no user content)."""
    if result.status is None:
        return result.error or "no answer"
    return f"LINE {result.status}: {result.error or 'error'}"


@dataclass(frozen=True)
class PhotoLink:
    photo_id: int
    variant: str
    expires_at: dt.datetime


def _link_serializer(settings: Settings) -> URLSafeSerializer | None:
    """Signs photo links with a key derived from the channel secret (never the secret itself)."""
    if not settings.channel_secret:
        return None
    key = hmac.new(settings.channel_secret.encode(), LINK_KEY_LABEL, hashlib.sha256).digest()
    return URLSafeSerializer(key, salt="report-photo", signer_kwargs={"digest_method": hashlib.sha256})


def signed_photo_url(settings: Settings, photo_id: int, variant: str, now: dt.datetime) -> str | None:
    """An address of photo `photo_id`'s `variant` that works for `photo_link_minutes`; None when the bot has
    no public address (PUBLIC_BASE_URL) or no channel secret to sign with."""
    if variant not in VARIANT_SUFFIXES:
        raise ValueError(f"unknown photo variant {variant!r}")
    serializer = _link_serializer(settings)
    if not settings.public_base_url or serializer is None:
        return None
    expires = int((now + dt.timedelta(minutes=settings.photo_link_minutes)).timestamp())
    token = serializer.dumps([photo_id, variant[0], expires])
    return f"{settings.public_base_url}/media/photos/{token}.jpg"


def read_photo_link(settings: Settings, token: str, now: dt.datetime) -> PhotoLink | None:
    """The photo and variant a link's token names, or None when it is forged, tampered with or expired."""
    serializer = _link_serializer(settings)
    if serializer is None or len(token) > 400:
        return None
    try:
        photo_id, code, expires = serializer.loads(token)
    except (BadData, TypeError, ValueError):
        return None
    variant = {"o": "original", "p": "preview"}.get(code) if isinstance(code, str) else None
    if not (type(photo_id) is int and type(expires) is int and variant) or now.timestamp() >= expires:
        return None
    return PhotoLink(photo_id, variant, dt.datetime.fromtimestamp(expires, dt.UTC))


def photo_messages(settings: Settings, photos: Iterable[ReportPhoto], now: dt.datetime) -> list[ImageMessage]:
    """Image messages for the stored photos among `photos` (in their order, at most 4); [] without links."""
    messages = []
    for photo in [p for p in photos if p.status == PhotoStatus.STORED and p.storage_name][:MAX_PHOTO_MESSAGES]:
        original = signed_photo_url(settings, photo.id, "original", now)
        preview = signed_photo_url(settings, photo.id, "preview", now)
        if original is None or preview is None:
            return []
        messages.append(ImageMessage(original_content_url=original, preview_image_url=preview))
    return messages


def delete_photo_files(store: PhotoStore, photos: Iterable[ReportPhoto]) -> int:
    """Remove the files of `photos` (for the purge job); returns how many photos had files."""
    names = [photo.storage_name for photo in photos if photo.storage_name]
    for name in names:
        store.delete(name)
    return len(names)


def forget_orphans(session: Session, store: PhotoStore, now: dt.datetime,
                   older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete photos never attached to a report (a report not sent) older than `older_than`, rows and files;
    returns how many. Files go at once: if the caller's transaction then fails, the rows stay, fileless."""
    statement = (delete(ReportPhoto)
                 .where(ReportPhoto.report_id.is_(None), ReportPhoto.created_at < now - older_than)
                 .returning(ReportPhoto.storage_name))
    names = list(session.scalars(statement))
    for name in names:
        if name:
            store.delete(name)
    return len(names)
