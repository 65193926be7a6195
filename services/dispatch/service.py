"""The dispatch service assembled: its tables, routes, handler table, its watch and demo data."""

from pathlib import Path

from services.dispatch import handlers
from services.dispatch.adapters import tables
from services.dispatch.adapters.store import DispatchStore, publish_units
from services.dispatch.api import ROUTERS
from services.dispatch.demo import seed_demo
from services.dispatch.settings import DispatchSettings
from services.dispatch.workers.watch import watch
from shared.runtime.service import ServiceSpec, create_service_app, serve

HERE = Path(__file__).parent

SPEC = ServiceSpec(
    name="dispatch", title="gridlink dispatch", metadata=tables.metadata, tables=tables.messaging,
    migrations=HERE / "migrations", routers=ROUTERS, access=HERE / "api" / "access.yaml",
    handlers=handlers.HANDLERS,
    seed_demo=seed_demo, workers=(watch,), store=DispatchStore, publish_reference=publish_units,
)


def app():
    """One worker's app (with ``DISPATCH_WORKERS`` above 1, each worker process calls this)."""
    return create_service_app(SPEC, DispatchSettings.load())


def main() -> None:
    serve(SPEC, DispatchSettings.load(), app_factory=f"{__name__}:app")
