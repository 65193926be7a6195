"""The import worker: takes the oldest waiting batch import and works it through, until stopped."""

from __future__ import annotations

import structlog

from services.intake.commands.imports import claim_import, process
from services.intake.settings import IntakeSettings
from shared.runtime.loop import Loop
from shared.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)


async def import_worker(runtime: ServiceRuntime) -> None:
    settings: IntakeSettings = runtime.settings

    async def round() -> bool:
        async with runtime.uow() as uow:
            import_id = await claim_import(uow)
        if import_id is None:
            return False
        log.info("import started", import_id=str(import_id))
        try:
            await process(runtime.uow, import_id, settings.policy(), max_rows=settings.max_import_rows)
        finally:
            structlog.contextvars.clear_contextvars()
        log.info("import finished", import_id=str(import_id))
        return True  # another may wait

    await Loop("imports", round, interval=0.5, backoff=2.0).run()
