"""The notification service assembled: its tables, routes and handler table."""

from pathlib import Path

from services.notification import api, handlers, tables
from services.notification.settings import NotificationSettings
from shared.runtime.service import ServiceSpec, serve

SPEC = ServiceSpec(
    name="notification", title="gridlink notification", metadata=tables.metadata, tables=tables.messaging,
    migrations=Path(__file__).parent / "migrations", routers=[api.router], handlers=handlers.HANDLERS,
)


def main() -> None:
    serve(SPEC, NotificationSettings.load())
