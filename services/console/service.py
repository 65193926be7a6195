"""The console assembled: its tables and store, pages, handler table (the read model) and demo accounts."""

from pathlib import Path

from services.console import handlers
from services.console.adapters import tables
from services.console.adapters.store import ConsoleStore
from services.console.api import ROUTERS
from services.console.demo import seed_demo
from services.console.settings import ConsoleSettings
from services.console.workers.operations import operations
from shared.runtime.service import ServiceSpec, create_service_app, serve

HERE = Path(__file__).parent

SPEC = ServiceSpec(
    name="console", title="gridlink console", metadata=tables.metadata, tables=tables.messaging,
    migrations=HERE / "migrations", routers=ROUTERS, access=HERE / "api" / "access.yaml",
    handlers=handlers.HANDLERS, seed_demo=seed_demo, store=ConsoleStore, workers=(operations,),
)


def app():
    """One worker's app (with ``CONSOLE_WORKERS`` above 1, each worker process calls this)."""
    return create_service_app(SPEC, ConsoleSettings.load())


def main() -> None:
    serve(SPEC, ConsoleSettings.load(), app_factory=f"{__name__}:app")
