"""Intake's upkeep: warms the classifier and the map before the first report needs them, gives older cases their
words; then drops orphaned photos hourly."""

from __future__ import annotations

import structlog

from services.intake.commands.upkeep import fill_case_words, purge_orphan_photos, warm_reference
from shared.runtime.loop import Loop
from shared.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)


async def upkeep(runtime: ServiceRuntime) -> None:
    async def round() -> None:
        async with runtime.uow() as uow:
            await warm_reference(uow)
        filled = 1
        while filled:
            async with runtime.uow() as uow:
                filled = await fill_case_words(uow)
        async with runtime.uow() as uow:
            dropped = await purge_orphan_photos(uow)
        if dropped:
            log.info("orphan photos dropped", photos=dropped)

    await Loop("intake-upkeep", round, interval=3600).run()
