"""Alembic environment of the supervision service's database."""

from services.supervision.adapters.tables import metadata
from shared.persistence.migrations import run_migrations

run_migrations(metadata)
