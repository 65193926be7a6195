"""The intake service assembled: its tables, routes, handler table and demo data."""

from pathlib import Path

from services.intake import api, handlers, tables
from services.intake.demo import seed_demo
from services.intake.settings import IntakeSettings
from shared.runtime.service import ServiceSpec, create_service_app, serve

SPEC = ServiceSpec(
    name="intake", title="gridlink intake", metadata=tables.metadata, tables=tables.messaging,
    migrations=Path(__file__).parent / "migrations", routers=[api.router], handlers=handlers.HANDLERS,
    seed_demo=seed_demo,
)


def create_app(settings: IntakeSettings | None = None):
    return create_service_app(SPEC, settings or IntakeSettings.load())


def main() -> None:
    serve(SPEC, IntakeSettings.load())
