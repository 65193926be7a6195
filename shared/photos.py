"""Checks a photo by its content, not its name or declared type, and re-encodes it without metadata (GPS, device)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000  # a larger image is refused before decoding: decompression bombs stay small on the wire
MAX_PHOTOS_PER_REPORT = 9


class PhotoRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    content_type: str
    width: int
    height: int
    sha256: str


def clean_photo(raw: bytes, *, max_bytes: int) -> CleanPhoto:
    """The photo re-encoded with no EXIF, XMP or ICC comments, turned upright; or ``PhotoRefused``."""
    if not raw:
        raise PhotoRefused("empty_photo", "the photo is empty")
    if len(raw) > max_bytes:
        raise PhotoRefused("photo_too_large", f"a photo may be at most {max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRefused("unsupported_photo_type", "photos must be JPEG, PNG or WebP")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused("photo_too_large", "the photo has too many pixels")
            image.load()
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise PhotoRefused("not_an_image", "the content is not a readable image") from None
    fmt = image.format
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if fmt == "JPEG":
        upright.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        upright.save(out, "PNG", optimize=True)
    else:
        upright.save(out, "WEBP", quality=88)
    content = out.getvalue()
    return CleanPhoto(content=content, content_type=ACCEPTED_FORMATS[fmt], width=upright.width,
                      height=upright.height, sha256=hashlib.sha256(content).hexdigest())
