"""Batch imports of suggestion-box slips, questionnaires and visit logs: every row becomes a report or a line saying
why not.

Each row is its own transaction, so a bad row never blocks the good ones; each row's key (a hash of its values) is
the report's external reference, so importing the same file again creates nothing new. A worker claims an import
and beats a heartbeat; if it dies, another takes the import over and skips the rows already written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog

from services.intake.commands.reports import submit_report
from services.intake.domain.reports import IntakePolicy
from services.intake.domain.slips import (
    ImportStatus,
    RowOutcome,
    SlipRow,
    UnreadableFile,
    draft_of,
    read_slips,
)
from shared.local_time import LOCAL_ZONE
from shared.messaging.unit_of_work import UnitOfWork, UnitOfWorkFactory
from shared.refusals import Refused

HEARTBEAT_TIMEOUT = timedelta(seconds=60)
ROWS_PER_BEAT = 50


async def enqueue(uow: UnitOfWork, *, import_id: UUID, filename: str, sha256: str, content: bytes,
                  created_by: str) -> None:
    await uow.store.add_import(import_id, filename=filename, sha256=sha256, content=content, created_by=created_by,
                               at=datetime.now(UTC))


async def claim_import(uow: UnitOfWork) -> UUID | None:
    """The oldest import waiting (or abandoned by a worker that stopped beating), now this worker's."""
    return await uow.store.claim_import(datetime.now(UTC), heartbeat_timeout=HEARTBEAT_TIMEOUT)


async def process(uow_factory: UnitOfWorkFactory, import_id: UUID, policy: IntakePolicy, *, max_rows: int) -> None:
    """Work one import through, row by row, each in its own unit of work; the outcomes kept every ``ROWS_PER_BEAT``
    rows with the heartbeat."""
    async with uow_factory() as uow:
        filename, content = await uow.store.import_file(import_id)
        done = await uow.store.import_rows_done(import_id)
    try:
        rows = read_slips(content, filename, max_rows=max_rows)
    except UnreadableFile as exc:
        async with uow_factory() as uow:
            await uow.store.update_import(import_id, status=ImportStatus.FAILED, error=f"{exc.code}: {exc.message}",
                                          finished_at=datetime.now(UTC))
        return
    async with uow_factory() as uow:
        await uow.store.update_import(import_id, total_rows=len(rows))
    pending = [r for r in rows if r.number not in done]
    for start in range(0, len(pending), ROWS_PER_BEAT):
        lines = [await _row_outcome(uow_factory, import_id, row, policy)
                 for row in pending[start:start + ROWS_PER_BEAT]]
        async with uow_factory() as uow:
            processed = await uow.store.add_import_rows(lines)
            await uow.store.update_import(import_id, processed_rows=processed, heartbeat_at=datetime.now(UTC))
    async with uow_factory() as uow:
        await uow.store.update_import(import_id, status=ImportStatus.DONE, finished_at=datetime.now(UTC))


async def _row_outcome(uow_factory: UnitOfWorkFactory, import_id: UUID, row: SlipRow, policy: IntakePolicy) -> dict:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(import_id=str(import_id), row=row.number)
    line = {"import_id": import_id, "row_number": row.number, "tracking_code": None, "code": None, "field": None,
            "message": None}
    try:
        draft = draft_of(row, today=datetime.now(LOCAL_ZONE).date())
        async with uow_factory() as uow:
            outcome = await submit_report(uow, draft, policy)
        if outcome.replayed:
            return {**line, "outcome": RowOutcome.ALREADY_IMPORTED, "tracking_code": outcome.tracking_code}
        return {**line, "outcome": RowOutcome.LINKED if outcome.linked else RowOutcome.ACCEPTED,
                "tracking_code": outcome.tracking_code}
    except Refused as exc:
        return {**line, "outcome": RowOutcome.REFUSED, "code": exc.code, "field": exc.field, "message": exc.message}
