"""The console's read model in SQL on a real PostgreSQL: the board's counts equal the rule one case follows
(``domain.board.buckets_of``) over the same cases, the list is read a page at a time in its order, and the counts
kept between changes are counted again after one."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.adapters import queries, tables
from services.console.api.rendering import visible_cases
from services.console.domain.accounts import Account
from services.console.domain.board import counts
from shared.auth import Role
from tests.integration.conftest import create_database

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
STATUSES = ("received", "triage", "on_claiming_board", "dispatched", "signed", "in_progress", "reopened",
            "completed", "closed")


def _cases(n: int) -> list[dict]:
    rng = random.Random(8)
    return [{"id": uuid.uuid4(), "tracking_code": f"T{i:05d}", "category_code": "drainage",
             "district_id": "cn-changning", "street_id": rng.choice(("st-huayang", "st-jiangsu")),
             "community_id": "cm-x", "grid_id": "cm-x-g1", "status": rng.choice(STATUSES),
             "clock_state": rng.choice((None, None, "warned", "breached")),
             "escalation_level": rng.choice((None, None, None, "street")), "awaiting_verdict": rng.random() < 0.3,
             "reported_at": None if i % 97 == 0 else NOW - timedelta(hours=rng.uniform(0, 72)),
             "urgent": False, "updated_at": NOW, "unit_ids": []} for i in range(n)]


@pytest.fixture
async def read_model(infrastructure):
    from services.console.service import SPEC
    from shared.persistence.database import create_engine
    from shared.persistence.migrations import upgrade_to_head

    url = await create_database(infrastructure.database_url)
    await upgrade_to_head(url, SPEC.migrations)
    engine = create_engine(url, pool_size=2)
    made = _cases(600)
    async with engine.begin() as connection:
        await connection.execute(insert(tables.cases), made)
    yield engine, made
    await engine.dispose()


async def test_the_board_counts_each_case_under_each_of_its_states_as_the_domain_rule_does(read_model):
    engine, made = read_model
    since = NOW - timedelta(hours=24)
    huayang = Account("h", "h", Role.DISPATCHER, "cn-changning", ("cn-changning", "st-huayang"))
    async with AsyncSession(engine) as session:
        for account, mine in ((Account("d", "d", Role.DISPATCHER, "cn-changning", ("cn-changning",)), made),
                              (huayang, [c for c in made if c["street_id"] == "st-huayang"])):
            tally = await queries.board_counts(session, visible_cases(account), since)
            assert {k: tally[k] for k in counts(mine)} == counts(mine)
            assert tally["open"] == sum(c["status"] in STATUSES[:7] for c in mine)
            assert tally["today"] == sum(c["reported_at"] is not None and c["reported_at"] >= since for c in mine)


async def test_the_list_is_read_a_page_at_a_time_newest_first_and_the_pages_do_not_overlap(read_model):
    engine, made = read_model
    visible = visible_cases(Account("d", "d", Role.DISPATCHER, "cn-changning", ("cn-changning",)))
    async with AsyncSession(engine) as session:
        pages = [await queries.board_cases(session, visible, state=None, filters={}, urgent=None, clock=None,
                                           limit=100, offset=k * 100) for k in range(6)]
    listed = [r["id"] for page in pages for r in page]
    wanted = sorted((c for c in made if c["status"] in STATUSES[:7]),
                    key=lambda c: (c["reported_at"] is None, -(c["reported_at"] or NOW).timestamp(), str(c["id"])))
    assert len(listed) == len(set(listed)) == len(wanted)
    assert [r["tracking_code"] for page in pages for r in page][:50] == [c["tracking_code"] for c in wanted][:50]


async def test_kept_counts_are_counted_again_once_the_read_model_changes(read_model):
    engine, made = read_model
    kept = queries.KeptCounts()
    visible = visible_cases(Account("d", "d", Role.DISPATCHER, "cn-changning", ("cn-changning",)))
    since = NOW - timedelta(hours=24)
    view = (False, ("cn-changning",))
    async with AsyncSession(engine) as session:
        first = await kept.counts(session, view, visible, since)
        some = (await session.execute(select(tables.cases.c.id).where(tables.cases.c.status == "received")
                                      .limit(1))).scalar_one()
        await session.execute(update(tables.cases).where(tables.cases.c.id == some)
                              .values(status="dispatched", updated_at=datetime.now(UTC)))
        await session.commit()
        after = await kept.counts(session, view, visible, since)
    assert after["received"] == first["received"] - 1 and after["dispatched"] == first["dispatched"] + 1
