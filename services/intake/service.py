"""The intake service assembled: its tables and store, routes, handler table, background workers and demo data."""

from pathlib import Path

from services.intake import handlers
from services.intake.adapters import tables
from services.intake.adapters.reference import publish_reference
from services.intake.adapters.store import IntakeStore
from services.intake.api import ROUTERS
from services.intake.demo import seed_demo
from services.intake.settings import IntakeSettings
from services.intake.workers.imports import import_worker
from services.intake.workers.upkeep import upkeep
from shared.runtime.service import ServiceSpec, create_service_app, serve

HERE = Path(__file__).parent

SPEC = ServiceSpec(
    name="intake", title="gridlink intake", metadata=tables.metadata, tables=tables.messaging,
    migrations=HERE / "migrations", routers=ROUTERS, access=HERE / "api" / "access.yaml",
    handlers=handlers.HANDLERS,
    seed_demo=seed_demo, workers=(import_worker, upkeep), store=IntakeStore, publish_reference=publish_reference,
)


def app():
    """One worker's app (with ``INTAKE_WORKERS`` above 1, each worker process calls this)."""
    return create_service_app(SPEC, IntakeSettings.load())


def main() -> None:
    serve(SPEC, IntakeSettings.load(), app_factory=f"{__name__}:app")
