"""Runs a service's Alembic migrations at start (under an advisory lock, so several instances may start at once)."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from shared.persistence.database import create_engine

MIGRATION_LOCK = 0x6D696772  # "migr"


def alembic_config(script_location: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(script_location / "versions"))
    return config


async def upgrade_to_head(database_url: str, script_location: Path) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                await connection.run_sync(_upgrade, alembic_config(script_location))
                await connection.commit()
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                await connection.commit()
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def run_migrations(target_metadata: MetaData) -> None:
    """The body of every service's ``env.py``: online migrations on the connection handed in by ``upgrade_to_head``."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("gridlink migrations run through shared.persistence.migrations.upgrade_to_head")
    context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
