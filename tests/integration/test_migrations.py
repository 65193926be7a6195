"""Each service's migrations, applied to an empty database, give exactly the schema its tables declare."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.console.service import SPEC as CONSOLE
from services.dispatch.service import SPEC as DISPATCH
from services.intake.service import SPEC as INTAKE
from services.notification.service import SPEC as NOTIFICATION
from services.supervision.service import SPEC as SUPERVISION
from shared.persistence.database import create_engine
from shared.persistence.migrations import upgrade_to_head
from tests.integration.conftest import create_database

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("spec", [INTAKE, DISPATCH, SUPERVISION, NOTIFICATION, CONSOLE], ids=lambda s: s.name)
async def test_migrations_at_head_match_the_declared_tables_and_run_twice_harmlessly(infrastructure, spec):
    url = await create_database(infrastructure.database_url)
    await upgrade_to_head(url, spec.migrations)
    await upgrade_to_head(url, spec.migrations)  # a second start finds nothing to do
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), spec.metadata))
    finally:
        await engine.dispose()
    # alembic_version is alembic's own table; anything else is drift between migrations and tables.py.
    drift = [d for d in differences if not (d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert drift == [], "\n".join(map(str, drift))
