"""Photo storage under the instance folder, by content hash.

Every photo is decoded for real (a file that only starts like a JPEG is refused) and written again
without its metadata: EXIF can carry the GPS position of a resident's home and the phone's serial.
The orientation EXIF asked for is applied to the pixels first, so stripping it does not turn photos
sideways. Stored name: photos/<first two hex>/<sha256>.<ext>, the hash of the stripped bytes, so the
same photo sent twice is stored once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from domain.photos import ACCEPTED, PhotoError, check_upload

MAX_SIDE = 2560  # larger photos are scaled down: plenty for a case file, and bounded storage
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
_SHA = re.compile(r"^[0-9a-f]{64}$")
_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    mime: str
    bytes: int


def photo_dir(instance_dir: str | Path) -> Path:
    return Path(instance_dir) / "photos"


def _clean_bytes(data: bytes, mime: str) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if _PIL_FORMAT[mime] != probe.format:
                    raise PhotoError("not_image")
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoError("too_large")
                probe.load()
                image = ImageOps.exif_transpose(probe)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
            if isinstance(exc, PhotoError):
                raise
            raise PhotoError("not_image") from exc
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if mime == "image/jpeg":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif mime == "image/png":
        keep = image if image.mode in ("RGB", "RGBA", "L", "LA", "P") else image.convert("RGBA")
        keep.save(out, "PNG", optimize=True)  # a fresh PNG carries no tEXt/eXIf chunks
    else:
        image.save(out, "WEBP", quality=85)
    return out.getvalue()


def store_photo(instance_dir: str | Path, data: bytes, max_bytes: int) -> StoredPhoto:
    """Check, strip and store one photo; PhotoError(code) when it cannot be taken."""
    mime = check_upload(data, max_bytes)
    clean = _clean_bytes(data, mime)
    sha = hashlib.sha256(clean).hexdigest()
    target = photo_path(instance_dir, sha, mime)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(clean)
            os.replace(tmp, target)  # readers never see half a file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredPhoto(sha256=sha, mime=mime, bytes=len(clean))


def photo_path(instance_dir: str | Path, sha256: str, mime: str) -> Path:
    if not _SHA.match(sha256) or mime not in ACCEPTED:
        raise PhotoError("not_found")
    return photo_dir(instance_dir) / sha256[:2] / f"{sha256}.{ACCEPTED[mime]}"


def store_uploaded_photos(
    instance_dir: str | Path, data_urls: list[str] | None, names: list[str] | None, max_bytes: int, most: int
) -> list[StoredPhoto]:
    """Photos from a browser upload (data: URLs, as Dash's Upload sends them), each checked and stored.
    PhotoError("too_many") past `most`; any other PhotoError carries the offending file's name."""
    data_urls = data_urls or []
    if len(data_urls) > most:
        raise PhotoError("too_many")
    names = list(names or []) + [""] * len(data_urls)
    stored = []
    for data_url, name in zip(data_urls, names, strict=False):
        try:
            data = base64.b64decode((data_url or "").partition(",")[2], validate=True)
        except (binascii.Error, ValueError):
            data = b""  # refused below as an empty file
        try:
            stored.append(store_photo(instance_dir, data, max_bytes))
        except PhotoError as exc:
            exc.name = str(name)[:80]
            raise
    return stored
