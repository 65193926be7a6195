"""Batch import of suggestion-box slips, questionnaires and visit logs (CSV or XLSX): upload, then follow progress."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel
from sqlalchemy import select

from services.intake.adapters import tables
from services.intake.api.context import settings_of
from services.intake.commands.imports import enqueue
from services.intake.domain import slips
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError

router = APIRouter(prefix="/v1/imports", tags=["imports"])


class ImportQueued(BaseModel):
    import_id: UUID
    status: str
    status_url: str


class RowLine(BaseModel):
    row: int
    outcome: str
    tracking_code: str | None
    code: str | None
    field: str | None
    message: str | None


class ImportStatus(BaseModel):
    import_id: UUID
    filename: str
    status: str
    error: str | None
    total_rows: int
    processed_rows: int
    counts: dict[str, int]
    created_at: datetime
    finished_at: datetime | None
    rows: list[RowLine]


@router.post("", status_code=202, response_model=ImportQueued,
             summary="Upload a CSV or XLSX file; rows are imported in the background")
async def upload(request: Request, uow: UnitOfWorkDep, principal: CurrentPrincipal,
                 file: Annotated[UploadFile, File()]) -> ImportQueued:
    limit = settings_of(request).max_import_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, "file_too_large", f"an import file may be at most {limit} bytes", "file")
    if not content:
        raise ApiError(422, "empty_file", "the file is empty", "file")
    name = (file.filename or "upload").rsplit("/", 1)[-1][:200]
    if not name.lower().endswith((".csv", ".xlsx", ".txt")):
        raise ApiError(422, "unsupported_file_type", "import files must be CSV or XLSX", "file")
    import_id = uuid4()
    async with uow:
        await enqueue(uow, import_id=import_id, filename=name, sha256=hashlib.sha256(content).hexdigest(),
                      content=content, created_by=principal.subject)
    return ImportQueued(import_id=import_id, status=slips.ImportStatus.PENDING, status_url=f"/v1/imports/{import_id}")


@router.get("/{import_id}", response_model=ImportStatus,
            summary="Progress, and a line for every row: accepted, linked to an open case, already imported, or "
                    "refused with the code and column")
async def status(import_id: UUID, session: ReadSession, principal: CurrentPrincipal) -> ImportStatus:
    i, r = tables.imports.c, tables.import_rows.c
    # An import is its uploader's: its lines name residents' reports.
    record = (await session.execute(select(i.id, i.filename, i.status, i.error, i.total_rows, i.processed_rows,
                                           i.created_at, i.finished_at)
                                    .where(i.id == import_id, i.created_by == principal.subject))).first()
    if record is None:
        raise ApiError(404, "not_found", "no such import", "import_id")
    lines = (await session.execute(select(tables.import_rows).where(r.import_id == import_id)
                                   .order_by(r.row_number))).all()
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.outcome] = counts.get(line.outcome, 0) + 1
    return ImportStatus(
        import_id=record.id, filename=record.filename, status=record.status, error=record.error,
        total_rows=record.total_rows, processed_rows=record.processed_rows, counts=counts,
        created_at=record.created_at, finished_at=record.finished_at,
        rows=[RowLine(row=x.row_number, outcome=x.outcome, tracking_code=x.tracking_code, code=x.code, field=x.field,
                      message=x.message) for x in lines])
