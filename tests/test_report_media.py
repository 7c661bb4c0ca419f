"""Report photos: fetched from the LINE sandbox's content API, kept privately, served through signed links."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import stat
import threading
import time
from urllib.parse import urlsplit

import pytest
from PIL import ExifTags, Image
from sqlalchemy import delete, select, update

from app import create_app
from bot import photo_store, report_media
from bot.messaging import LineGateway, SendOutcome
from bot.report_media import (
    MAX_ATTEMPTS,
    MAX_PHOTO_BYTES,
    PhotoFetcher,
    PhotoRejected,
    PhotoStore,
    encode_photo,
    forget_orphans,
    photo_messages,
    signed_photo_url,
)
from bot.sandbox.media import solid_png
from bot.services import services
from models import PhotoStatus, Report, ReportPhoto, User
from models.db import Database
from tests.conftest import ACCESS_TOKEN
from tests.polling import wait_until

CONTENT_PATHS = "/v2/bot/message/*/content"


# -- helpers -------------------------------------------------------------------------------------------

def jpeg_with_gps(size=(300, 200)) -> bytes:
    """A JPEG as a phone takes it: rotated by EXIF orientation 6, with GPS coordinates and a camera name."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (13.0, 45.0, 1.5),
                ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (100.0, 30.0, 2.5)})
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def noisy_png(side: int = 64) -> bytes:
    """A PNG that does not compress away (a few KB)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), bytes((i * 7919) % 251 for i in range(side * side * 3))).save(out, "PNG")
    return out.getvalue()


def send_image(sandbox, data: bytes) -> str:
    """A simulated user sends a photo; returns LINE's message id (the sandbox now serves its content)."""
    return sandbox.user().send_image(data).events[0]["message"]["id"]


def new_user(db: Database, now: dt.datetime) -> int:
    with db.transaction() as session:
        user = User(line_user_id=f"U{time.perf_counter_ns():032x}", role="youth", created_at=now)
        session.add(user)
        session.flush()
        return user.id


def new_report(db: Database, now: dt.datetime, reporter_id: int) -> int:
    with db.transaction() as session:
        report = Report(ref=f"R-{time.perf_counter_ns() % 10**6:06d}", reporter_id=reporter_id, category="other",
                        created_at=now, updated_at=now)
        session.add(report)
        session.flush()
        return report.id


def new_photo(db: Database, now: dt.datetime, message_id: str, uploader_id: int, report_id: int | None = None,
              created_at: dt.datetime | None = None) -> int:
    """A photo row as the report flow inserts it for an image message."""
    with db.transaction() as session:
        photo = ReportPhoto(line_message_id=message_id, uploader_id=uploader_id, report_id=report_id,
                            status=PhotoStatus.PENDING, next_attempt_at=now, created_at=created_at or now)
        session.add(photo)
        session.flush()
        return photo.id


def photo_row(db: Database, photo_id: int) -> ReportPhoto | None:
    with db.transaction() as session:
        return session.get(ReportPhoto, photo_id)


def content_calls(sandbox) -> list[dict]:
    return [call for call in sandbox.call_log.records() if call["path"].endswith("/content")]


def files_in(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# -- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture
def media_dir(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def store(media_dir) -> PhotoStore:
    return PhotoStore(media_dir)


@pytest.fixture
def gateway(sandbox) -> LineGateway:
    return LineGateway(sandbox.base_url, ACCESS_TOKEN)


@pytest.fixture
def fetcher(db, gateway, clock, store) -> PhotoFetcher:
    return PhotoFetcher(db, gateway, clock, store)


@pytest.fixture
def uploader(db, clock) -> int:
    return new_user(db, clock())


@pytest.fixture
def media_settings(settings, media_dir):
    return settings.with_(media_dir=str(media_dir), public_base_url="http://127.0.0.1:8000")


@pytest.fixture
def media_app(media_settings, clock):
    application = create_app(media_settings, clock=clock)
    application.config["TESTING"] = True
    yield application
    services(application).db.dispose()


@pytest.fixture
def stored_photo(sandbox, db, clock, fetcher, uploader) -> int:
    """A photo of a sent report, fetched and stored."""
    report_id = new_report(db, clock(), uploader)
    photo_id = new_photo(db, clock(), send_image(sandbox, jpeg_with_gps()), uploader, report_id)
    fetcher.run_until_idle()
    assert photo_row(db, photo_id).status == PhotoStatus.STORED
    return photo_id


def link_path(settings, photo_id: int, variant: str, now: dt.datetime) -> str:
    return urlsplit(signed_photo_url(settings, photo_id, variant, now)).path


# -- fetching and storing ------------------------------------------------------------------------------

def test_photo_is_fetched_and_kept_without_its_location_or_camera_data(sandbox, db, clock, fetcher, uploader,
                                                                        media_dir):
    photo_id = new_photo(db, clock(), send_image(sandbox, jpeg_with_gps()), uploader)

    assert fetcher.run_until_idle() == 1

    photo = photo_row(db, photo_id)
    assert (photo.status, photo.media_type, photo.fetched_at, photo.error) == (
        PhotoStatus.STORED, "image/jpeg", clock(), None)
    original = media_dir / f"{photo.storage_name}.jpg"
    preview = media_dir / f"{photo.storage_name}.preview.jpg"
    assert files_in(media_dir) == sorted([original.name, preview.name])
    assert photo.size_bytes == original.stat().st_size
    data = original.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (200, 300)  # the phone's orientation applied, then the tag dropped
        assert dict(image.getexif()) == {} and "comment" not in image.info
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"taken at home" not in data
    with Image.open(preview) as small:
        assert max(small.size) <= 240 and small.format == "JPEG"
    assert preview.stat().st_size < 1024 * 1024
    assert stat.S_IMODE(media_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(original.stat().st_mode) == 0o600
    assert photo.storage_name.startswith(f"{photo_id}-") and len(photo.storage_name) > 20  # not guessable


def test_large_photo_is_scaled_to_2048_pixels(store):
    out = io.BytesIO()
    Image.new("RGB", (4000, 1000), (10, 20, 30)).save(out, "JPEG")
    stored = store.save(7, out.getvalue())
    with Image.open(store.path(stored.storage_name, "original")) as image:
        assert image.size == (2048, 512)
    with Image.open(store.path(stored.storage_name, "preview")) as preview:
        assert preview.size == (240, 60)


def test_transparent_png_is_kept_as_a_jpeg_on_white(store):
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(out, "PNG")
    stored = store.save(8, out.getvalue())
    with Image.open(store.path(stored.storage_name)) as image:
        assert image.format == "JPEG" and image.getpixel((10, 10)) >= (250, 250, 250)


def test_server_error_is_retried_after_a_backoff(sandbox, db, clock, fetcher, uploader):
    photo_id = new_photo(db, clock(), send_image(sandbox, solid_png(16, 16)), uploader)
    sandbox.faults.add(path=CONTENT_PATHS, status=500, times=1)

    fetcher.run_until_idle()
    photo = photo_row(db, photo_id)
    assert (photo.status, photo.attempts) == (PhotoStatus.PENDING, 1)
    assert "500" in photo.error and photo.next_attempt_at == clock() + dt.timedelta(seconds=5)

    clock.advance(seconds=4)
    assert fetcher.run_until_idle() == 0  # not yet due
    clock.advance(seconds=1)
    assert fetcher.run_until_idle() == 1
    assert photo_row(db, photo_id).status == PhotoStatus.STORED
    assert [call["status"] for call in content_calls(sandbox)] == [500, 200]


@pytest.mark.parametrize("status", [202, 429, 503])
def test_content_not_ready_or_busy_is_retried(sandbox, db, clock, fetcher, uploader, status):
    photo_id = new_photo(db, clock(), send_image(sandbox, solid_png()), uploader)
    sandbox.faults.add(path=CONTENT_PATHS, status=status, times=1)

    fetcher.run_until_idle()
    assert photo_row(db, photo_id).status == PhotoStatus.PENDING
    clock.advance(seconds=5)
    fetcher.run_until_idle()
    assert photo_row(db, photo_id).status == PhotoStatus.STORED


@pytest.mark.parametrize("status", [404, 410, 403])
def test_content_gone_or_refused_fails_at_once(sandbox, db, clock, fetcher, uploader, status):
    message_id = send_image(sandbox, solid_png())
    photo_id = new_photo(db, clock(), message_id, uploader)
    sandbox.faults.add(path=CONTENT_PATHS, status=status)

    fetcher.run_until_idle()
    clock.advance(hours=6)
    fetcher.run_until_idle()

    photo = photo_row(db, photo_id)
    assert photo.status == PhotoStatus.FAILED and f"LINE {status}" in photo.error
    assert photo.storage_name is None and len(content_calls(sandbox)) == 1


def test_unknown_message_is_gone(db, clock, fetcher, uploader, media_dir):
    photo_id = new_photo(db, clock(), "999999999999", uploader)  # LINE no longer has (or never had) it

    fetcher.run_until_idle()

    photo = photo_row(db, photo_id)
    assert (photo.status, photo.error) == (PhotoStatus.FAILED, "LINE 404: Not found")
    assert files_in(media_dir) == []


def test_bytes_that_are_not_an_image_fail_and_store_nothing(sandbox, db, clock, fetcher, uploader, media_dir):
    photo_id = new_photo(db, clock(), send_image(sandbox, b"%PDF-1.4 not a photo at all"), uploader)

    fetcher.run_until_idle()

    photo = photo_row(db, photo_id)
    assert photo.status == PhotoStatus.FAILED and "not an image" in photo.error
    assert "PDF" not in photo.error  # the error never quotes the content
    assert files_in(media_dir) == []


def test_photo_over_the_size_limit_fails(sandbox, db, clock, fetcher, uploader, media_dir, monkeypatch):
    assert MAX_PHOTO_BYTES == 20 * 1024 * 1024
    data = noisy_png()
    monkeypatch.setattr(photo_store, "MAX_PHOTO_BYTES", len(data) - 1)
    photo_id = new_photo(db, clock(), send_image(sandbox, data), uploader)

    fetcher.run_until_idle()

    photo = photo_row(db, photo_id)
    assert photo.status == PhotoStatus.FAILED and photo.error.startswith("too large")
    assert files_in(media_dir) == []


def test_the_real_size_limit_is_20_mb():
    with pytest.raises(PhotoRejected, match="too large"):
        encode_photo(b"\xff\xd8" + bytes(MAX_PHOTO_BYTES - 1))
    with pytest.raises(PhotoRejected, match="not an image"):  # just under the limit: read, then refused
        encode_photo(b"\xff\xd8" + bytes(MAX_PHOTO_BYTES - 2))


def test_image_with_too_many_pixels_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(out, "PNG")  # 60 megapixels in a few KB
    with pytest.raises(PhotoRejected, match="too many pixels"):
        encode_photo(out.getvalue())


def test_slow_download_times_out_without_holding_up_other_photos(sandbox, db, clock, store, uploader):
    gateway = LineGateway(sandbox.base_url, ACCESS_TOKEN, timeout=(1.0, 0.3))
    fetcher = PhotoFetcher(db, gateway, clock, store)
    slow = new_photo(db, clock(), send_image(sandbox, solid_png()), uploader)
    quick = new_photo(db, clock(), send_image(sandbox, solid_png(4, 4)), uploader)
    sandbox.faults.add(path=f"/v2/bot/message/{photo_row(db, slow).line_message_id}/content", status=None,
                       timeout=5.0, times=1)

    started = time.monotonic()
    fetcher.run_until_idle()
    assert time.monotonic() - started < 3.0

    assert photo_row(db, quick).status == PhotoStatus.STORED
    waiting = photo_row(db, slow)
    assert waiting.status == PhotoStatus.PENDING and waiting.error.startswith("network")
    clock.advance(seconds=5)
    fetcher.run_until_idle()
    assert photo_row(db, slow).status == PhotoStatus.STORED


def test_gives_up_after_the_last_attempt(sandbox, db, clock, fetcher, uploader):
    photo_id = new_photo(db, clock(), send_image(sandbox, solid_png()), uploader)
    sandbox.faults.add(path=CONTENT_PATHS, status=500)

    for _ in range(MAX_ATTEMPTS + 2):
        fetcher.run_until_idle()
        clock.advance(hours=3)

    photo = photo_row(db, photo_id)
    assert (photo.status, photo.attempts) == (PhotoStatus.FAILED, MAX_ATTEMPTS)
    assert photo.error.startswith(f"gave up after {MAX_ATTEMPTS} tries")
    assert len(content_calls(sandbox)) == MAX_ATTEMPTS


def test_two_fetchers_never_fetch_the_same_photo(sandbox, db, clock, uploader, media_dir, tmp_path):
    photo_ids = [new_photo(db, clock(), send_image(sandbox, solid_png(4 + i, 4)), uploader) for i in range(12)]
    databases = [Database(db.url) for _ in range(2)]
    fetchers = [PhotoFetcher(database, LineGateway(sandbox.base_url, ACCESS_TOKEN), clock, PhotoStore(media_dir),
                             batch_size=3) for database in databases]
    start = threading.Barrier(2)
    claimed: list[list[int]] = [[], []]

    def run(index: int) -> None:
        start.wait()
        for _ in range(10):
            photos = fetchers[index].claim()
            claimed[index].extend(photo.id for photo in photos)
            for photo in photos:
                fetchers[index].fetch(photo)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for database in databases:
        database.dispose()

    assert sorted(claimed[0] + claimed[1]) == photo_ids  # each photo claimed exactly once
    paths = [call["path"] for call in content_calls(sandbox)]
    assert len(paths) == len(set(paths)) == 12
    assert {photo_row(db, photo_id).status for photo_id in photo_ids} == {PhotoStatus.STORED}
    assert len(files_in(media_dir)) == 24


def test_a_photo_deleted_while_downloading_leaves_no_files(sandbox, db, clock, fetcher, uploader, media_dir):
    photo_id = new_photo(db, clock(), send_image(sandbox, solid_png()), uploader)
    [claimed] = fetcher.claim()
    with db.transaction() as session:
        session.execute(delete(ReportPhoto).where(ReportPhoto.id == photo_id))

    assert fetcher.fetch(claimed) is None
    assert files_in(media_dir) == []


def test_a_lost_fetchers_photo_is_fetched_once_its_lease_ends(sandbox, db, clock, fetcher, uploader):
    photo_id = new_photo(db, clock(), send_image(sandbox, solid_png()), uploader)
    assert len(fetcher.claim()) == 1  # ... and the process dies before fetching

    assert fetcher.run_until_idle() == 0
    clock.advance(minutes=5)
    assert fetcher.run_until_idle() == 1
    assert photo_row(db, photo_id).status == PhotoStatus.STORED


def test_background_loop_fetches_when_events_were_handled(media_app, sandbox, db, clock, uploader, media_dir):
    app_services = services(media_app)
    fetcher = app_services.photo_fetcher()
    stop = threading.Event()
    loop = threading.Thread(target=fetcher.run_forever, args=(stop, app_services.photo_wakeup),
                            kwargs={"idle_seconds": 30.0}, daemon=True)
    loop.start()
    try:
        photo_id = new_photo(db, clock(), send_image(sandbox, solid_png()), uploader)
        app_services.after_events()  # what the event processor calls after a batch
        wait_until(lambda: photo_row(db, photo_id).status == PhotoStatus.STORED, 10, "the photo is stored")
    finally:
        stop.set()
        app_services.photo_wakeup.set()
        loop.join(timeout=10)
    assert not loop.is_alive() and len(files_in(media_dir)) == 2


def test_gateway_content_outcomes(sandbox, gateway):
    message_id = send_image(sandbox, b"\x89PNG-bytes")
    result = gateway.get_message_content(message_id)
    assert result.outcome is SendOutcome.SENT and result.data == (b"\x89PNG-bytes", "image/png")
    assert gateway.get_message_content("123").outcome is SendOutcome.FAILED
    sandbox.faults.add(path=CONTENT_PATHS, status=429, message="You have reached your monthly limit.", times=1)
    assert gateway.get_message_content(message_id).outcome is SendOutcome.RETRY  # content is never a quota


# -- signed links ----------------------------------------------------------------------------------------

def test_signed_link_serves_the_photo(media_app, media_settings, clock, stored_photo, store, db):
    client = media_app.test_client()
    photo = photo_row(db, stored_photo)

    response = client.get(link_path(media_settings, stored_photo, "original", clock()))

    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == store.path(photo.storage_name, "original").read_bytes()
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    preview = client.get(link_path(media_settings, stored_photo, "preview", clock()))
    with Image.open(io.BytesIO(preview.data)) as image:
        assert preview.status_code == 200 and max(image.size) <= 240


def test_link_expires(media_app, media_settings, clock, stored_photo):
    client = media_app.test_client()
    path = link_path(media_settings, stored_photo, "original", clock())

    clock.advance(minutes=media_settings.photo_link_minutes - 1)
    response = client.get(path)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, max-age=60"
    clock.advance(minutes=1)
    assert client.get(path).status_code == 404


def test_tampered_or_forged_links_get_a_bare_404(media_app, media_settings, clock, stored_photo, sandbox, db,
                                                 fetcher, uploader):
    client = media_app.test_client()
    report_id = new_report(db, clock(), uploader)
    other = new_photo(db, clock(), send_image(sandbox, solid_png()), uploader, report_id)
    fetcher.run_until_idle()
    token = link_path(media_settings, stored_photo, "original", clock()).rsplit("/", 1)[1].removesuffix(".jpg")
    payload, signature = token.split(".")
    photo_id, variant, expires = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    swapped = base64.urlsafe_b64encode(json.dumps([other, variant, expires]).encode()).decode().rstrip("=")
    raw_secret_link = report_media.URLSafeSerializer(media_settings.channel_secret, salt="report-photo")

    for bad in (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),  # tampered signature
                f"{swapped}.{signature}",  # another (stored) photo's id under this photo's signature
                raw_secret_link.dumps([other, "o", expires]),  # signed with the raw channel secret
                "nonsense", "a" * 500):
        response = client.get(f"/media/photos/{bad}.jpg")
        assert response.status_code == 404 and response.data == b""
    assert client.get(link_path(media_settings, other, "original", clock())).status_code == 200


def test_photos_not_shown_unless_stored_and_attached_to_a_live_report(media_app, media_settings, clock, db,
                                                                      sandbox, fetcher, uploader, stored_photo):
    client = media_app.test_client()
    report_id = photo_row(db, stored_photo).report_id
    unattached = new_photo(db, clock(), send_image(sandbox, solid_png()), uploader)
    fetcher.run_until_idle()
    pending = new_photo(db, clock(), "424242", uploader, report_id)
    for photo_id in (unattached, pending, 999_999):
        assert client.get(link_path(media_settings, photo_id, "original", clock())).status_code == 404

    path = link_path(media_settings, stored_photo, "original", clock())
    with db.transaction() as session:
        session.execute(update(Report).where(Report.id == report_id).values(purged_at=clock()))
    assert client.get(path).status_code == 404
    with db.transaction() as session:
        session.execute(delete(Report).where(Report.id == report_id))
    assert client.get(path).status_code == 404


def test_no_links_without_a_public_address(settings, clock):
    assert signed_photo_url(settings, 1, "original", clock()) is None
    assert signed_photo_url(settings.with_(public_base_url="http://127.0.0.1:8000"), 1, "original", clock()) \
        .startswith("http://127.0.0.1:8000/media/photos/")


def test_photo_messages_show_at_most_four_stored_photos(media_settings, clock, db, sandbox, fetcher, uploader):
    report_id = new_report(db, clock(), uploader)
    ids = [new_photo(db, clock(), send_image(sandbox, solid_png(4 + i, 4)), uploader, report_id) for i in range(5)]
    fetcher.run_until_idle()
    new_photo(db, clock(), "31337", uploader, report_id)  # still pending: not shown
    with db.transaction() as session:
        photos = list(session.scalars(select(ReportPhoto).order_by(ReportPhoto.status, ReportPhoto.id)))

    messages = photo_messages(media_settings, photos, clock())

    assert len(messages) == 4
    first = messages[0].to_dict()
    assert first["type"] == "image"
    assert first["originalContentUrl"] == signed_photo_url(media_settings, ids[0], "original", clock())
    assert first["previewImageUrl"] == signed_photo_url(media_settings, ids[0], "preview", clock())
    assert photo_messages(media_settings.with_(public_base_url=""), photos, clock()) == []


# -- clean-up --------------------------------------------------------------------------------------------

def test_orphan_photos_are_forgotten_after_a_day(db, clock, sandbox, fetcher, store, uploader, media_dir):
    now = clock()
    report_id = new_report(db, now, uploader)
    old_orphan = new_photo(db, now, send_image(sandbox, solid_png()), uploader, created_at=now - dt.timedelta(days=2))
    new_orphan = new_photo(db, now, send_image(sandbox, solid_png(5, 5)), uploader)
    old_attached = new_photo(db, now, send_image(sandbox, solid_png(6, 6)), uploader, report_id,
                             created_at=now - dt.timedelta(days=2))
    failed_orphan = new_photo(db, now, "55555", uploader, created_at=now - dt.timedelta(days=3))
    fetcher.run_until_idle()
    orphan_files = [store.path(photo_row(db, old_orphan).storage_name, variant) for variant in ("original", "preview")]

    with db.transaction() as session:
        assert forget_orphans(session, store, now) == 2

    assert photo_row(db, old_orphan) is None and photo_row(db, failed_orphan) is None
    assert photo_row(db, new_orphan).status == photo_row(db, old_attached).status == PhotoStatus.STORED
    assert not any(path.exists() for path in orphan_files)
    assert len(files_in(media_dir)) == 4
