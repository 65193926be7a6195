"""The intake service assembled: its tables, routes, handler table and demo data."""

from pathlib import Path

from services.intake import api, handlers, tables
from services.intake.demo import seed_demo
from services.intake.settings import IntakeSettings
from shared.runtime.service import ServiceSpec, serve

SPEC = ServiceSpec(
    name="intake", title="gridlink intake", metadata=tables.metadata, tables=tables.messaging,
    migrations=Path(__file__).parent / "migrations", routers=[api.router], handlers=handlers.HANDLERS,
    seed_demo=seed_demo,
)


def main() -> None:
    serve(SPEC, IntakeSettings.load())
