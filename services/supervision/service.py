"""The supervision service assembled: its tables and store, routes, handler table, its deadline watch and demo data."""

from pathlib import Path

from services.supervision import handlers
from services.supervision.adapters import tables
from services.supervision.adapters.store import SupervisionStore
from services.supervision.api import ROUTERS
from services.supervision.commands import time_rules
from services.supervision.demo import seed_demo
from services.supervision.settings import SupervisionSettings
from services.supervision.workers.watch import watch
from shared.runtime.service import ServiceSpec, create_service_app, serve

HERE = Path(__file__).parent

SPEC = ServiceSpec(
    name="supervision", title="gridlink supervision", metadata=tables.metadata, tables=tables.messaging,
    migrations=HERE / "migrations", routers=ROUTERS, access=HERE / "api" / "access.yaml",
    handlers=handlers.HANDLERS,
    seed_demo=seed_demo, degradations=(time_rules.calendar_gaps,), workers=(watch,), store=SupervisionStore,
)


def app():
    """One worker's app (with ``SUPERVISION_WORKERS`` above 1, each worker process calls this)."""
    return create_service_app(SPEC, SupervisionSettings.load())


def main() -> None:
    serve(SPEC, SupervisionSettings.load(), app_factory=f"{__name__}:app")
