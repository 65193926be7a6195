"""Per-test databases on the session's real PostgreSQL, with the messaging schema applied."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from shared.messaging.tables import MESSAGING_DDL_V1

pytestmark = pytest.mark.integration


async def create_database(server_url: str, statements: tuple[str, ...] = ()) -> str:
    """A fresh database with the given DDL; returns its URL."""
    url = make_url(server_url)
    name = f"test_{uuid4().hex[:12]}"
    admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                                  database=url.database)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(host=url.host, port=url.port, user=url.username, password=url.password, database=name)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
async def messaging_database(infrastructure) -> str:
    """A database holding the outbox and inbox, and an ``effects`` table that test handlers write to."""
    return await create_database(infrastructure.database_url, (*MESSAGING_DDL_V1, """
        CREATE TABLE effects (id serial PRIMARY KEY, case_id uuid NOT NULL, event_id text NOT NULL)"""))


@pytest.fixture
async def supervision_uows(infrastructure):
    """Supervision's schema and demo data (the district's calendar, policies, supervisors) on a fresh database."""
    from services.supervision.demo import seed_demo
    from services.supervision.service import SPEC
    from shared.persistence.database import create_engine
    from shared.persistence.migrations import upgrade_to_head

    url = await create_database(infrastructure.database_url)
    await upgrade_to_head(url, SPEC.migrations)
    engine = create_engine(url, pool_size=6)
    factory = SPEC.units_of_work(engine)
    await seed_demo(factory)
    yield factory
    await engine.dispose()


@pytest.fixture
async def notification_uows(infrastructure):
    """Notification's schema on a fresh database."""
    from services.notification.service import SPEC
    from services.notification.settings import NotificationSettings
    from shared.persistence.database import create_engine
    from shared.persistence.migrations import upgrade_to_head

    url = await create_database(infrastructure.database_url)
    await upgrade_to_head(url, SPEC.migrations)
    engine = create_engine(url, pool_size=4)
    # The settings' defaults (what the commands read of them); the connections are the fixture's own.
    yield SPEC.units_of_work(engine, NotificationSettings.model_construct())
    await engine.dispose()
