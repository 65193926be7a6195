"""Batch imports, worked through in the background: every row becomes a report or a line saying why not.

Each row is its own transaction, so a bad row never blocks the good ones; each row's key (a hash of its values) is
the report's external reference, so importing the same file again creates nothing new. A worker claims an import
and beats a heartbeat; if it dies, another takes the import over and skips the rows already written.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.intake.adapters import tables
from services.intake.commands import IntakePolicy, ReportDraft, submit_report
from services.intake.domain.cases import national_mobile
from services.intake.domain.slips import SlipRow, UnreadableFile, read_slips, slip_kind
from shared.events import Channel
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.refusals import Refused

log = structlog.get_logger(__name__)
HEARTBEAT_TIMEOUT = timedelta(seconds=60)
_YES = {"1", "true", "yes", "y", "是", "匿名"}
_NO = {"", "0", "false", "no", "n", "否"}


def draft_of(row: SlipRow) -> ReportDraft:
    """The report a slip row stands for, or ``Refused`` naming the column at fault."""
    v = row.values
    kind = slip_kind(v.get("kind", "")) if v.get("kind") else "suggestion_box"
    if kind is None:
        raise Refused("unknown_kind", "the kind must be a suggestion box, questionnaire, visit log, liaison log or "
                      "opinion book", "kind")
    lat = lon = None
    if v.get("lat") or v.get("lon"):
        try:
            lat, lon = float(v.get("lat", "")), float(v.get("lon", ""))
        except ValueError:
            raise Refused("invalid_field", "lat and lon must both be numbers", "lat") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Refused("out_of_range", "lat or lon is out of range", "lat")
    anonymous_raw = v.get("anonymous", "").strip().lower()
    if anonymous_raw not in _YES | _NO:
        raise Refused("invalid_field", "anonymous must be yes or no", "anonymous")
    phone = None
    if v.get("phone"):
        phone = national_mobile(v["phone"])
        if phone is None:
            raise Refused("invalid_phone", "the phone is not a mainland mobile number", "phone")
    anonymous = anonymous_raw in _YES or phone is None
    if len(v.get("name", "")) > 50:
        raise Refused("too_long", "the name may be at most 50 characters", "name")
    return ReportDraft(channel=Channel.BATCH_IMPORT, description=v.get("description", ""),
                       category_code=v.get("category") or None, lat=lat, lon=lon, address=v.get("address") or None,
                       name=None if anonymous else (v.get("name") or None), phone=None if anonymous else phone,
                       anonymous=anonymous, external_ref=row.key, channel_detail=kind)


async def _claim(uow_factory: UnitOfWorkFactory) -> UUID | None:
    i = tables.imports.c
    async with uow_factory() as uow:
        now = datetime.now(UTC)
        row = (await uow.session.execute(
            select(i.id).where(or_(i.status == "pending",
                                   (i.status == "running") & (i.heartbeat_at < now - HEARTBEAT_TIMEOUT)))
            .order_by(i.created_at).limit(1).with_for_update(skip_locked=True))).first()
        if row is None:
            return None
        await uow.session.execute(update(tables.imports).where(i.id == row.id).values(status="running",
                                                                                       heartbeat_at=now))
        return row.id


async def _row_outcome(uow_factory: UnitOfWorkFactory, import_id: UUID, row: SlipRow, policy: IntakePolicy) -> dict:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(import_id=str(import_id), row=row.number)
    line = {"import_id": import_id, "row_number": row.number, "tracking_code": None, "code": None, "field": None,
            "message": None}
    try:
        draft = draft_of(row)
        async with uow_factory() as uow:
            outcome = await submit_report(uow, draft, policy)
        if outcome.replayed:
            return {**line, "outcome": "already_imported", "tracking_code": outcome.tracking_code}
        return {**line, "outcome": "linked" if outcome.linked else "accepted", "tracking_code": outcome.tracking_code}
    except Refused as exc:
        return {**line, "outcome": "refused", "code": exc.code, "field": exc.field, "message": exc.message}


async def process(uow_factory: UnitOfWorkFactory, import_id: UUID, policy: IntakePolicy, *, max_rows: int) -> None:
    i = tables.imports.c
    async with uow_factory() as uow:
        record = (await uow.session.execute(select(i.filename, i.content).where(i.id == import_id))).one()
        done = set((await uow.session.execute(select(tables.import_rows.c.row_number)
                                              .where(tables.import_rows.c.import_id == import_id))).scalars())
    try:
        rows = read_slips(record.content, record.filename, max_rows=max_rows)
    except UnreadableFile as exc:
        async with uow_factory() as uow:
            await uow.session.execute(update(tables.imports).where(i.id == import_id).values(
                status="failed", error=f"{exc.code}: {exc.message}", finished_at=datetime.now(UTC)))
        return
    async with uow_factory() as uow:
        await uow.session.execute(update(tables.imports).where(i.id == import_id).values(total_rows=len(rows)))
    pending = [r for r in rows if r.number not in done]
    for start in range(0, len(pending), 50):
        lines = [await _row_outcome(uow_factory, import_id, row, policy) for row in pending[start:start + 50]]
        async with uow_factory() as uow:
            await uow.session.execute(pg_insert(tables.import_rows).values(lines).on_conflict_do_nothing())
            processed = await uow.session.scalar(select(func.count()).select_from(tables.import_rows)
                                                 .where(tables.import_rows.c.import_id == import_id))
            await uow.session.execute(update(tables.imports).where(i.id == import_id).values(
                processed_rows=processed, heartbeat_at=datetime.now(UTC)))
    async with uow_factory() as uow:
        await uow.session.execute(update(tables.imports).where(i.id == import_id).values(
            status="done", finished_at=datetime.now(UTC)))


async def run_import_worker(uow_factory: UnitOfWorkFactory, policy: IntakePolicy, *, max_rows: int,
                            poll_seconds: float = 0.5) -> None:
    """Until cancelled: take the oldest waiting import and work it through."""
    while True:
        try:
            import_id = await _claim(uow_factory)
            if import_id is None:
                await asyncio.sleep(poll_seconds)
                continue
            log.info("import started", import_id=str(import_id))
            await process(uow_factory, import_id, policy, max_rows=max_rows)
            structlog.contextvars.clear_contextvars()
            log.info("import finished", import_id=str(import_id))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be away for a while: try again later, lose nothing
            structlog.contextvars.clear_contextvars()
            log.warning("import worker failed; retrying", error=type(exc).__name__, exc_info=True)
            await asyncio.sleep(2)


async def enqueue(uow, *, import_id: UUID, filename: str, sha256: str, content: bytes,
                  created_by: str) -> None:
    await uow.session.execute(insert(tables.imports).values(
        id=import_id, filename=filename, sha256=sha256, content=content, status="pending", created_by=created_by,
        created_at=datetime.now(UTC)))
