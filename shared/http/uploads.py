"""Reading an uploaded photo at the HTTP edge: at most the limit read, checked by content, metadata stripped; a
refusal is a 413 or 422 naming the file field."""

from __future__ import annotations

from fastapi import UploadFile

from shared.http.errors import ApiError
from shared.photos import CleanPhoto, PhotoRefused, clean_photo


async def uploaded_photo(file: UploadFile, *, max_bytes: int) -> CleanPhoto:
    raw = await file.read(max_bytes + 1)
    try:
        return clean_photo(raw, max_bytes=max_bytes)
    except PhotoRefused as exc:
        raise ApiError(413 if exc.code == "photo_too_large" else 422, exc.code, exc.message, "file") from None
