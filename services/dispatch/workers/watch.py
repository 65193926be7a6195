"""Dispatch's own watch: joint handling whose check-in limit passed gets its missing units named once (so the
dispatcher and supervisors hear of it), and photos uploaded but never attached are dropped after a day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import delete, select, text

from services.dispatch.adapters import tables
from services.dispatch.commands import act
from services.dispatch.domain import lifecycle
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)
ORPHAN_PHOTO_AGE = timedelta(hours=24)


async def flag_missed_check_ins(uow_factory: UnitOfWorkFactory, *, now: datetime, batch: int = 100) -> int:
    """Every case whose check-in limit passed unflagged, once, whichever dispatch instance gets there first."""
    c = tables.cases.c
    async with uow_factory() as uow:
        # check_in_by is kept as ISO text in UTC, so text order is time order (and the partial index serves it).
        due = (await uow.session.execute(
            select(c.id).where(c.summons.is_not(None), text("NOT (cases.summons ? 'alerted')"),
                               c.summons["check_in_by"].astext < now.astimezone(UTC).isoformat())
            .limit(batch).with_for_update(skip_locked=True))).scalars().all()
        for case_id in due:
            await act(uow, case_id, unit_id=None, expected_version=None, actor="check-in watch",
                      take=lambda file: lifecycle.flag_missed_check_ins(file, now=now))
    return len(due)


async def drop_orphan_photos(uow_factory: UnitOfWorkFactory, *, now: datetime) -> int:
    p = tables.photos.c
    async with uow_factory() as uow:
        result = await uow.session.execute(delete(tables.photos).where(p.case_id.is_(None),
                                                                       p.uploaded_at < now - ORPHAN_PHOTO_AGE))
    return result.rowcount or 0


async def watch(runtime: ServiceRuntime) -> None:
    interval = runtime.settings.check_in_poll_seconds
    last_purge = datetime.min.replace(tzinfo=UTC)
    while True:
        now = datetime.now(UTC)
        try:
            flagged = await flag_missed_check_ins(runtime.uow, now=now)
            if flagged:
                log.info("missed check-ins flagged", cases=flagged)
            if now - last_purge > timedelta(hours=1):
                dropped = await drop_orphan_photos(runtime.uow, now=now)
                last_purge = now
                if dropped:
                    log.info("orphan photos dropped", photos=dropped)
        except Exception as exc:
            log.warning("watch failed; will try again", error=type(exc).__name__)
        await asyncio.sleep(interval)
