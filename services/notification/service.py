"""The notification service assembled: its tables, routes, handler table, and its senders of messages and webhooks."""

from pathlib import Path

from services.notification import api, handlers, partners, tables
from services.notification.outbound import send_messages
from services.notification.settings import NotificationSettings
from services.notification.webhook_sender import send_webhooks
from shared.runtime.service import ServiceSpec, create_service_app, serve

SPEC = ServiceSpec(
    name="notification", title="gridlink notification", metadata=tables.metadata, tables=tables.messaging,
    migrations=Path(__file__).parent / "migrations", routers=[api.router, partners.router], handlers=handlers.HANDLERS,
    workers=(send_messages, send_webhooks),
)


def app():
    """One worker's app (with ``NOTIFICATION_WORKERS`` above 1, each worker process calls this)."""
    return create_service_app(SPEC, NotificationSettings.load())


def main() -> None:
    serve(SPEC, NotificationSettings.load(), app_factory=f"{__name__}:app")
