"""What supervision reports on a real database: the weekly bulletin naming late units and cases (as HTML and PDF),
published once per week by the schedule, and hotspots found in the cases of past weeks."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from services.supervision.adapters import tables
from services.supervision.api.performance import hotspots
from services.supervision.commands.bulletins import compose, publish_last_week
from services.supervision.commands.firing import fire_due
from shared.auth import Principal, Role
from tests.integration.test_supervision_watch import MONDAY_9, _given

pytestmark = pytest.mark.integration


async def test_the_week_s_bulletin_names_the_late_units_and_cases_and_the_schedule_publishes_it_once(
        supervision_uows):
    uows = supervision_uows
    late = [await _given(uows, "unit-late") for _ in range(2)]
    await _given(uows, "unit-quick")
    await fire_due(uows, now=MONDAY_9 + timedelta(hours=3))  # every sign-for deadline (11:00) has passed
    async with uows.sessionmaker() as session:
        content = await compose(session, "cn-changning", "2026-W48", now=MONDAY_9 + timedelta(days=7))
    assert content.breaches == 3 and [u.unit for u in content.late_units][0] == "unit-late"
    assert content.late_units[0].sign_for == 2 and content.late_cases[0].kind == "sign_for"
    assert {c.number for c in content.late_cases} >= {"GL-" + c.hex[:10].upper() for c in late}
    published = await publish_last_week(uows, now=MONDAY_9 + timedelta(days=7, hours=1))
    again = await publish_last_week(uows, now=MONDAY_9 + timedelta(days=7, hours=2))
    assert published == ["cn-changning"] and again == []
    async with uows.sessionmaker() as session:
        stored = (await session.execute(select(tables.bulletins))).one()
    assert stored.week == "2026-W48" and stored.pdf.startswith(b"%PDF") and "unit-late" in stored.html
    assert stored.generated_by == "schedule"


async def test_hotspots_are_problems_that_recur_in_one_grid_week_after_week(supervision_uows):
    uows = supervision_uows
    now = datetime.now(UTC)
    for weeks_ago in (1, 3, 5, 7):
        case_id = await _given(uows, "unit-h")
        async with uows() as uow:
            await uow.session.execute(update(tables.cases).where(tables.cases.c.id == case_id).values(
                reported_at=now - timedelta(weeks=weeks_ago, hours=1), residents_affected=2))
    once = await _given(uows, "unit-h", category="drainage")
    async with uows() as uow:
        await uow.session.execute(update(tables.cases).where(tables.cases.c.id == once).values(
            reported_at=now - timedelta(weeks=2)))
    async with uows.sessionmaker() as session:
        found = await hotspots(Principal(subject="s", role=Role.SUPERVISOR, jurisdiction="cn-changning"), session,
                               weeks=12, min_cases=3, limit=20)
    assert [(h.category_code, h.grid_id, h.cases, h.residents, h.weeks_with_cases) for h in found] == [
        ("noise", "cm-xiushui-g1", 4, 8, 4)]  # the lone drainage case is no hotspot
