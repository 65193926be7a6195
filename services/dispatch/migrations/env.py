"""Alembic environment of the dispatch service's database."""

from services.dispatch.adapters.tables import metadata
from shared.persistence.migrations import run_migrations

run_migrations(metadata)
