"""Alembic environment of the console's database."""

from services.console.adapters.tables import metadata
from shared.persistence.migrations import run_migrations

run_migrations(metadata)
