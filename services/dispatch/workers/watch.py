"""Dispatch's own watch: joint handling whose check-in limit passed gets its missing units named once (so the
dispatcher and supervisors hear of it), and photos uploaded but never attached are dropped after a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from services.dispatch.commands.cases import drop_orphan_photos, flag_missed_check_ins
from shared.runtime.loop import Loop
from shared.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)
PURGE_EVERY = timedelta(hours=1)


async def watch(runtime: ServiceRuntime) -> None:
    last_purge = datetime.min.replace(tzinfo=UTC)

    async def round() -> None:
        nonlocal last_purge
        now = datetime.now(UTC)
        async with runtime.uow() as uow:
            flagged = await flag_missed_check_ins(uow, now=now)
        if flagged:
            log.info("missed check-ins flagged", cases=flagged)
        if now - last_purge > PURGE_EVERY:
            async with runtime.uow() as uow:
                dropped = await drop_orphan_photos(uow, now=now)
            last_purge = now
            if dropped:
                log.info("orphan photos dropped", photos=dropped)

    await Loop("dispatch-watch", round, interval=runtime.settings.check_in_poll_seconds).run()
