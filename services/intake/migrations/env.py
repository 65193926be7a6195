"""Alembic environment of the intake service's database."""

from services.intake.adapters.tables import metadata
from shared.persistence.migrations import run_migrations

run_migrations(metadata)
