"""Report photos on disk: the bytes from LINE checked with Pillow and kept as a re-encoded JPEG (at most
2048 px, orientation applied, EXIF/GPS and other metadata dropped) plus a preview (at most 240 px, for
LINE's previewImageUrl), in a private folder (`MEDIA_DIR`) that no web route serves as static files.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

MAX_PHOTO_BYTES = 20 * 1024 * 1024  # what LINE delivers is far smaller; anything bigger is refused
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo fits; larger ones are refused before decoding
ORIGINAL_MAX_SIDE = 2048
PREVIEW_MAX_SIDE = 240
PREVIEW_MAX_BYTES = 1024 * 1024  # LINE's limit for previewImageUrl
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")  # JPEG covers MPO (many phone photos)
VARIANT_SUFFIXES = {"original": ".jpg", "preview": ".preview.jpg"}
STORAGE_NAME = re.compile(r"\d+-[A-Za-z0-9_-]{16,64}")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class PhotoRejected(ValueError):
    """The bytes are not a photo the bot keeps; the message is short and names no content."""

    def __init__(self, message: str, reason: str = "not_an_image"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class StoredPhoto:
    storage_name: str
    media_type: str
    size_bytes: int


class PhotoStore:
    """JPEG files under `root` (created 0700), named `<photo id>-<random>` so nobody can guess them."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._ready = False

    def save(self, photo_id: int, data: bytes) -> StoredPhoto:
        """Check, re-encode and write photo `photo_id`; raises PhotoRejected for a non-image or one too big."""
        original, preview = encode_photo(data)
        self._ensure_root()
        storage_name = f"{photo_id}-{secrets.token_urlsafe(18)}"
        _write_private(self.path(storage_name, "preview"), preview)
        _write_private(self.path(storage_name, "original"), original)
        return StoredPhoto(storage_name, "image/jpeg", len(original))

    def path(self, storage_name: str, variant: str = "original") -> Path:
        """Where a stored photo's `variant` ("original" or "preview") lives."""
        if not STORAGE_NAME.fullmatch(storage_name or "") or variant not in VARIANT_SUFFIXES:
            raise ValueError("not a stored photo name or variant")
        return self.root / f"{storage_name}{VARIANT_SUFFIXES[variant]}"

    def delete(self, storage_name: str) -> None:
        """Remove both files of a photo (nothing happens for files already gone)."""
        for variant in VARIANT_SUFFIXES:
            self.path(storage_name, variant).unlink(missing_ok=True)

    def _ensure_root(self) -> None:
        if not self._ready:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.root, 0o700)
            self._ready = True


def decode_picture(data: bytes, max_bytes: int, max_side: int) -> Image.Image:
    """The picture in `data`, upright, plain sRGB, at most `max_side` px on its long side; PhotoRejected (with
    its `reason`: "too_large", "too_many_pixels", "not_an_image") for anything else. Report photos and
    campaign images both come through here."""
    if len(data) > max_bytes:
        raise PhotoRejected(f"too large: {len(data)} bytes (at most {max_bytes})", "too_large")
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRejected(f"too many pixels: {image.width}x{image.height}", "too_many_pixels")
            image.draft("RGB", (max_side, max_side))  # JPEG: decode at a smaller scale
            picture = plain_rgb(ImageOps.exif_transpose(image))
    except PhotoRejected:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError):
        raise PhotoRejected("not an image (or an unreadable one)", "not_an_image") from None
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return picture


def encode_photo(data: bytes) -> tuple[bytes, bytes]:
    """(original JPEG, preview JPEG) from an uploaded image, or PhotoRejected."""
    picture = decode_picture(data, MAX_PHOTO_BYTES, ORIGINAL_MAX_SIDE)
    original = jpeg_bytes(picture, quality=85)
    picture.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE), Image.Resampling.LANCZOS)
    preview = jpeg_bytes(picture, quality=80)
    if len(preview) >= PREVIEW_MAX_BYTES:  # cannot happen at 240 px, but LINE would refuse it
        raise PhotoRejected("preview too large")
    return original, preview


def plain_rgb(image: Image.Image) -> Image.Image:
    """The picture alone: sRGB, transparency flattened on white, no metadata (EXIF, GPS, XMP, comments)."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "CMYK"):
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):  # a broken profile: colours as they are
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB,
                                              outputMode="RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    image.info = {}
    return image


def jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` readable by this user only, all at once (a reader never sees half a file)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
