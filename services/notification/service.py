"""The notification service assembled: its tables and store, routes, handler table, its senders of messages and
webhooks, and demo data."""

from pathlib import Path

from services.notification import handlers
from services.notification.adapters import tables
from services.notification.adapters.store import NotificationStore
from services.notification.api import ROUTERS
from services.notification.demo import seed_demo
from services.notification.settings import NotificationSettings
from services.notification.workers.outbound import send_messages
from services.notification.workers.webhook_sender import send_webhooks
from shared.runtime.service import ServiceSpec, create_service_app, serve

HERE = Path(__file__).parent

SPEC = ServiceSpec(
    name="notification", title="gridlink notification", metadata=tables.metadata, tables=tables.messaging,
    migrations=HERE / "migrations", routers=ROUTERS, access=HERE / "api" / "access.yaml",
    handlers=handlers.HANDLERS,
    seed_demo=seed_demo, workers=(send_messages, send_webhooks), store=NotificationStore,
)


def app():
    """One worker's app (with ``NOTIFICATION_WORKERS`` above 1, each worker process calls this)."""
    return create_service_app(SPEC, NotificationSettings.load())


def main() -> None:
    serve(SPEC, NotificationSettings.load(), app_factory=f"{__name__}:app")
