"""Dispatch's watch on a real database with the clock moved: missed check-ins are named once, however many dispatch
instances look at the same moment."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import insert, select

from services.dispatch.adapters import tables
from services.dispatch.commands.cases import flag_missed_check_ins
from services.dispatch.service import SPEC
from shared.events import event_type
from shared.persistence.database import create_engine
from shared.persistence.migrations import upgrade_to_head
from tests.integration.conftest import create_database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
AREA = {"district_id": "cn-changning", "street_id": "st-huayang", "community_id": "cm-xiushui",
        "grid_id": "cm-xiushui-g1"}


async def test_missed_check_ins_are_flagged_once_by_one_of_two_watchers(infrastructure):
    url = await create_database(infrastructure.database_url)
    await upgrade_to_head(url, SPEC.migrations)
    engine = create_engine(url, pool_size=4)
    uows = SPEC.units_of_work(engine)
    try:
        late, on_time, all_came = uuid4(), uuid4(), uuid4()
        async with uows() as uow:
            await uow.session.execute(insert(tables.units).values([
                {"id": u, "kind": "street_department", "name_zh": u, "name_en": u, "areas": ["st-huayang"],
                 "categories": []} for u in ("unit-a", "unit-b")]))
            for case_id, check_in_by, checked in (
                    (late, NOW - timedelta(minutes=1), {"unit-a": (NOW - timedelta(minutes=20)).isoformat(),
                                                        "unit-b": None}),
                    (on_time, NOW + timedelta(minutes=10), {"unit-a": None, "unit-b": None}),
                    (all_came, NOW - timedelta(minutes=5), {"unit-a": (NOW - timedelta(minutes=9)).isoformat(),
                                                            "unit-b": (NOW - timedelta(minutes=8)).isoformat()})):
                await uow.session.execute(insert(tables.cases).values(
                    id=case_id, category_code="noise", time_limit_class="complaint", urgent=False, area=AREA,
                    status="dispatched", lead_unit_id="unit-a", assisting_unit_ids=[], version=3, reported_at=NOW,
                    updated_at=NOW, summons={"check_in_by": check_in_by.isoformat(), "checked_in": checked}))
        async def flag(now):
            async with uows() as uow:
                return await flag_missed_check_ins(uow, now=now)

        flagged = await asyncio.gather(flag(NOW), flag(NOW))
        assert sum(flagged) == 2  # the late case and the one where all came, each by one watcher only
        assert await flag(NOW + timedelta(hours=1)) == 1  # now the other one's limit passed
        async with uows.sessionmaker() as session:
            h = tables.history.c
            notes = (await session.execute(select(h.case_id, h.note).where(h.action == "flag_missed_check_ins"))).all()
            outbox = tables.messaging.outbox
            events = (await session.execute(select(outbox.c.type, outbox.c.data))).all()
        assert sorted(str(n.case_id) for n in notes) == sorted(map(str, (late, on_time, all_came)))
        assert "unit-b" in next(n.note for n in notes if n.case_id == late)
        missed = [e.data for e in events if e.type == event_type("case.check_in_missed")]
        # Only cases with somebody missing publish; the all-came case is flagged quietly.
        assert sorted(d["case_id"] for d in missed) == sorted(map(str, (late, on_time)))
        assert next(d for d in missed if d["case_id"] == str(late))["unit_ids"] == ["unit-b"]
    finally:
        await engine.dispose()
