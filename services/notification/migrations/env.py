"""Alembic environment of the notification service's database."""

from services.notification.adapters.tables import metadata
from shared.persistence.migrations import run_migrations

run_migrations(metadata)
