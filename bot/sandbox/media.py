"""Content the simulated users send (images, video, audio, files), served by the content endpoint."""

from __future__ import annotations

import struct
import zlib


def solid_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (6, 199, 85)) -> bytes:
    """A small valid PNG of one colour (LINE green by default)."""
    row = b"\x00" + bytes(rgb) * width
    pixels = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


SAMPLE_PNG = solid_png()

# Default bytes and media type per message type when a test does not give its own content.
PLACEHOLDER_CONTENT = {
    "image": (SAMPLE_PNG, "image/png"),
    "video": (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video/mp4"),
    "audio": (b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom", "audio/x-m4a"),
    "file": (b"%PDF-1.4\n% line sandbox placeholder\n", "application/pdf"),
}


def sniff_media_type(data: bytes, fallback: str = "application/octet-stream") -> str:
    """The media type of `data` from its first bytes (PNG, JPEG, GIF), else `fallback`."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"GIF8"):
        return "image/gif"
    return fallback


class MediaStore:
    """Bytes and media type by message id (guarded by Sandbox.lock)."""

    def __init__(self) -> None:
        self._content: dict[str, tuple[bytes, str]] = {}

    def put(self, message_id: str, data: bytes, media_type: str) -> None:
        """Store the content of message `message_id`."""
        self._content[message_id] = (data, media_type)

    def get(self, message_id: str) -> tuple[bytes, str] | None:
        """The (bytes, media type) of message `message_id`, or None."""
        return self._content.get(message_id)
