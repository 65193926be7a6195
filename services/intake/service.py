"""The intake service assembled: its tables, routes, handler table, background workers and demo data."""

import asyncio
from datetime import timedelta
from pathlib import Path

import structlog

from services.intake import handlers
from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree, ground
from services.intake.api import ROUTERS
from services.intake.commands import fill_case_words, purge_orphan_photos
from services.intake.demo import seed_demo
from services.intake.settings import IntakeSettings
from services.intake.workers.imports import run_import_worker
from shared.runtime.service import ServiceRuntime, ServiceSpec, create_service_app, serve

log = structlog.get_logger(__name__)


async def import_worker(runtime: ServiceRuntime) -> None:
    settings: IntakeSettings = runtime.settings
    await run_import_worker(runtime.uow, settings.policy(), max_rows=settings.max_import_rows)


async def upkeep(runtime: ServiceRuntime) -> None:
    """Warms the classifier and the map before the first report needs them, gives older cases their words; then
    drops orphaned photos hourly."""
    while True:
        try:
            async with runtime.uow.sessionmaker() as session:
                await category_tree.get(session)
                await ground.get(session)
            filled = 1
            while filled:
                async with runtime.uow() as uow:
                    filled = await fill_case_words(uow.session)
            async with runtime.uow() as uow:
                dropped = await purge_orphan_photos(uow.session, timedelta(hours=24))
            if dropped:
                log.info("orphan photos dropped", photos=dropped)
        except Exception as exc:
            log.warning("upkeep failed; will try again", error=type(exc).__name__)
        await asyncio.sleep(3600)


SPEC = ServiceSpec(
    name="intake", title="gridlink intake", metadata=tables.metadata, tables=tables.messaging,
    migrations=Path(__file__).parent / "migrations", routers=ROUTERS, handlers=handlers.HANDLERS,
    seed_demo=seed_demo, workers=(import_worker, upkeep),
)


def app():
    """One worker's app (with ``INTAKE_WORKERS`` above 1, each worker process calls this)."""
    return create_service_app(SPEC, IntakeSettings.load())


def main() -> None:
    serve(SPEC, IntakeSettings.load(), app_factory=f"{__name__}:app")
