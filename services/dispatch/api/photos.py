"""Photos a unit takes on site: uploaded once (checked by content, metadata stripped), then named by id in a progress
note or a completion, which ties them to that case."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel
from sqlalchemy import insert, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.adapters import tables
from shared.auth import Role
from shared.http.dependencies import UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.security import CurrentPrincipal
from shared.http.uploads import uploaded_photo
from shared.refusals import Refused

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
    photo_id = uuid4()
    async with uow:
        await uow.session.execute(insert(tables.photos).values(
            id=photo_id, unit_id=principal.unit_id, content_type=photo.content_type, width=photo.width,
            height=photo.height, sha256=photo.sha256, content=photo.content))
    return PhotoStored(photo_id=photo_id, content_type=photo.content_type, width=photo.width, height=photo.height)


async def attach_photos(session: AsyncSession, case_id: UUID, unit_id: str, photo_ids) -> None:
    """Tie the named photos to the case; each must be the unit's own and not already on another case (422)."""
    wanted = set(photo_ids)
    if not wanted:
        return
    p = tables.photos.c
    attached = set((await session.execute(
        update(tables.photos).where(p.id.in_(wanted), p.unit_id == unit_id,
                                    or_(p.case_id.is_(None), p.case_id == case_id))
        .values(case_id=case_id).returning(p.id))).scalars())
    if attached != wanted:
        raise Refused("unknown_photo", f"{len(wanted - attached)} photo(s) are not this unit's uploads or belong to "
                      "another case", "photos")
