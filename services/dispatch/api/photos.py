"""Photos a unit takes on site: uploaded once (checked by content, metadata stripped), then named by id in a progress
note or a completion, which ties them to that case."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel

from services.dispatch.commands.cases import keep_photo
from shared.auth import Role
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.uploads import uploaded_photo

router = APIRouter(prefix="/v1", tags=["unit photos"])


class PhotoStored(BaseModel):
    photo_id: UUID
    content_type: str
    width: int
    height: int


@router.post("/photos", status_code=201, response_model=PhotoStored,
             summary="A unit uploads one photo (JPEG, PNG, WebP) to name in a progress note or a completion")
async def upload_photo(request: Request, principal: CurrentPrincipal, uow: UnitOfWorkDep,
                       file: Annotated[UploadFile, File()]) -> PhotoStored:
    if principal.role is not Role.UNIT_STAFF or principal.unit_id is None:
        raise ApiError(403, "forbidden_role", "only a unit's staff upload photos of their work")
    photo = await uploaded_photo(file, max_bytes=request.app.state.runtime.settings.max_photo_bytes)
    async with uow:
        photo_id = await keep_photo(uow, photo, unit_id=principal.unit_id)
    return PhotoStored(photo_id=photo_id, content_type=photo.content_type, width=photo.width, height=photo.height)
