"""The dispatch service assembled: its tables, routes, handler table, its watch and demo data."""

from pathlib import Path

from services.dispatch import api, directory, handlers, photos, tables
from services.dispatch.demo import seed_demo
from services.dispatch.settings import DispatchSettings
from services.dispatch.watch import watch
from shared.runtime.service import ServiceSpec, create_service_app, serve

SPEC = ServiceSpec(
    name="dispatch", title="gridlink dispatch", metadata=tables.metadata, tables=tables.messaging,
    migrations=Path(__file__).parent / "migrations", routers=[api.router, directory.router, photos.router], handlers=handlers.HANDLERS,
    seed_demo=seed_demo, workers=(watch,),
)


def app():
    """One worker's app (with ``DISPATCH_WORKERS`` above 1, each worker process calls this)."""
    return create_service_app(SPEC, DispatchSettings.load())


def main() -> None:
    serve(SPEC, DispatchSettings.load(), app_factory=f"{__name__}:app")
