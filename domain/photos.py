"""Which uploads count as photos: decided by the bytes, never by the file name or the sender's type.

Only JPEG, PNG and WebP are accepted (DESIGN.md 6); `data_access.photos` then decodes the image for
real and re-encodes it without its metadata (EXIF may carry GPS positions and device serials).
"""

from __future__ import annotations

ACCEPTED = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAX_PHOTOS_PER_REPORT = 3


class PhotoError(ValueError):
    """A photo that cannot be taken; `code` is a stable key (photo.error.<code> in the UI)."""

    def __init__(self, code: str, name: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.name = name  # the uploaded file's name, when there is one to show


def sniff(data: bytes) -> str | None:
    """The MIME type the content itself declares, or None when it is not one we accept."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_upload(data: bytes, max_bytes: int) -> str:
    """The photo's MIME type, or PhotoError(empty | too_large | not_image)."""
    if not data:
        raise PhotoError("empty")
    if len(data) > max_bytes:
        raise PhotoError("too_large")
    mime = sniff(data)
    if mime is None:
        raise PhotoError("not_image")
    return mime
