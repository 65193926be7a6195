"""The supervision service assembled: its tables, routes, handler table, its deadline watch and demo data."""

from pathlib import Path

from services.supervision import (
    api,
    bulletins,
    evaluation,
    handlers,
    jurisdictions,
    mirror_wall,
    observers,
    performance,
    supervisors,
    tables,
)
from services.supervision.demo import seed_demo
from services.supervision.settings import SupervisionSettings
from services.supervision.watch import watch
from shared.runtime.service import ServiceSpec, create_service_app, serve

SPEC = ServiceSpec(
    name="supervision", title="gridlink supervision", metadata=tables.metadata, tables=tables.messaging,
    migrations=Path(__file__).parent / "migrations", handlers=handlers.HANDLERS, seed_demo=seed_demo, workers=(watch,),
    routers=[api.router, jurisdictions.router, supervisors.router, observers.router, evaluation.router,
             performance.router, bulletins.router, mirror_wall.router],
)


def app():
    """One worker's app (with ``SUPERVISION_WORKERS`` above 1, each worker process calls this)."""
    return create_service_app(SPEC, SupervisionSettings.load())


def main() -> None:
    serve(SPEC, SupervisionSettings.load(), app_factory=f"{__name__}:app")
