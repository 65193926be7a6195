"""Supervision's handler table: the events it reacts to."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import tables
from services.supervision.calendar import WorkingCalendar, parse_windows
from services.supervision.deadlines import TimeLimitPolicy, deadlines_for
from shared.events import CaseDeadlineSet, CaseDispatched
from shared.messaging.consumer import PermanentFailure
from shared.messaging.unit_of_work import UnitOfWork


async def policy_and_calendar(session: AsyncSession, jurisdiction_id: str,
                              time_limit_class: str) -> tuple[TimeLimitPolicy, WorkingCalendar]:
    j, p = tables.jurisdictions.c, tables.policies.c
    row = (await session.execute(
        select(tables.policies, j.timezone, j.working_hours)
        .join(tables.jurisdictions, j.id == p.jurisdiction_id)
        .where(p.jurisdiction_id == jurisdiction_id, p.time_limit_class == time_limit_class))).first()
    if row is None:
        raise PermanentFailure(f"no time-limit policy for class {time_limit_class} in {jurisdiction_id}")
    policy = TimeLimitPolicy(time_limit_class=row.time_limit_class, sign_for_hours=row.sign_for_hours,
                             completion_days=row.completion_days, completion_hours=row.completion_hours,
                             clock=row.clock)
    return policy, WorkingCalendar(windows=parse_windows(row.working_hours), tz=row.timezone)


async def on_case_dispatched(event: CaseDispatched, uow: UnitOfWork) -> None:
    """Open the unit's sign-for and completion clocks on the jurisdiction's working calendar."""
    policy, calendar = await policy_and_calendar(uow.session, event.area.district_id, event.time_limit_class)
    now = datetime.now(UTC)
    for deadline in deadlines_for(policy, calendar, event.dispatched_at):
        opened = await uow.session.scalar(pg_insert(tables.deadlines).values(
            case_id=event.case_id, unit_id=event.unit_id, kind=deadline.kind, due_at=deadline.due_at, status="open",
            next_fire_at=deadline.due_at, policy=policy.name, opened_by_event=uow.causation_id,
        ).on_conflict_do_nothing().returning(tables.deadlines.c.id))
        if opened is not None:
            uow.record(CaseDeadlineSet(case_id=event.case_id, unit_id=event.unit_id, kind=deadline.kind,
                                       due_at=deadline.due_at, policy=policy.name, set_at=now))


#: Every event supervision reacts to, and its handler.
HANDLERS = {
    CaseDispatched: on_case_dispatched,
}
