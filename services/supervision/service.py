"""The supervision service assembled: its tables, routes, handler table and demo data."""

from pathlib import Path

from services.supervision import api, handlers, tables
from services.supervision.demo import seed_demo
from services.supervision.settings import SupervisionSettings
from shared.runtime.service import ServiceSpec, serve

SPEC = ServiceSpec(
    name="supervision", title="gridlink supervision", metadata=tables.metadata, tables=tables.messaging,
    migrations=Path(__file__).parent / "migrations", routers=[api.router], handlers=handlers.HANDLERS,
    seed_demo=seed_demo,
)


def main() -> None:
    serve(SPEC, SupervisionSettings.load())
