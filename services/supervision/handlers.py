"""Supervision's handler table: the events it reacts to."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision import tables
from services.supervision.calendar import WorkingCalendar, parse_windows
from services.supervision.deadlines import TimeLimitPolicy, deadlines_for
from shared.events import (
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineSet,
    CaseDispatched,
    CaseExtensionRequested,
    CaseRedispatched,
    CaseReopened,
    CaseTransferred,
    EvaluationSubmitted,
    Verdict,
)
from shared.masking import mask_numbers_in_text
from shared.messaging.consumer import PermanentFailure
from shared.messaging.unit_of_work import UnitOfWork


async def calendar_of(session: AsyncSession, jurisdiction_id: str) -> WorkingCalendar | None:
    j = tables.jurisdictions.c
    row = (await session.execute(select(j.timezone, j.working_hours).where(j.id == jurisdiction_id))).first()
    return None if row is None else WorkingCalendar(windows=parse_windows(row.working_hours), tz=row.timezone)


# The hot path's statements, built once: only their parameters change from event to event.
_NEW_CASE = pg_insert(tables.cases)
_FOLLOW_DISPATCHED = _NEW_CASE.on_conflict_do_update(index_elements=["id"], set_={
    "unit_id": _NEW_CASE.excluded.unit_id, "status": _NEW_CASE.excluded.status,
    "updated_at": _NEW_CASE.excluded.updated_at})
_OPEN_DEADLINE = pg_insert(tables.deadlines).on_conflict_do_nothing().returning(tables.deadlines.c.kind)


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
    area = event.area
    await uow.session.execute(_FOLLOW_DISPATCHED, dict(
        id=event.case_id, district_id=area.district_id, street_id=area.street_id, grid_id=area.grid_id,
        category_code=event.category_code, unit_id=event.unit_id, status="dispatched", updated_at=now))
    deadlines = deadlines_for(policy, calendar, event.dispatched_at)
    opened = set(await uow.session.scalars(_OPEN_DEADLINE, [dict(
        case_id=event.case_id, unit_id=event.unit_id, kind=deadline.kind, due_at=deadline.due_at, status="open",
        next_fire_at=deadline.due_at, policy=policy.name, opened_by_event=uow.causation_id) for deadline in deadlines]))
    for deadline in deadlines:
        if deadline.kind in opened:
            uow.record(CaseDeadlineSet(case_id=event.case_id, unit_id=event.unit_id, kind=deadline.kind,
                                       due_at=deadline.due_at, policy=policy.name, set_at=now))


async def on_unit_changed(event: CaseRedispatched | CaseTransferred | CaseClaimed, uow: UnitOfWork) -> None:
    """Another unit has the case now (its own clocks are issue 5's ladder); supervision follows who it is."""
    await _follow(uow, event.case_id, unit_id=event.unit_id, status="dispatched")


async def on_case_completed(event: CaseCompleted, uow: UnitOfWork) -> None:
    await _follow(uow, event.case_id, unit_id=event.unit_id, status="completed")


async def _follow(uow: UnitOfWork, case_id, *, unit_id: str, status: str) -> None:
    c = tables.cases.c
    await uow.session.execute(update(tables.cases).where(c.id == case_id).values(
        unit_id=unit_id, status=status, updated_at=datetime.now(UTC)))


async def on_evaluation_submitted(event: EvaluationSubmitted, uow: UnitOfWork) -> None:
    """A dissatisfied verdict reopens the case (once per completion round) and sends it back to dispatch."""
    if event.verdict is not Verdict.DISSATISFIED:
        return
    now = datetime.now(UTC)
    first = await uow.session.scalar(pg_insert(tables.reopenings).values(
        case_id=event.case_id, round=event.round, reopened_at=now).on_conflict_do_nothing()
        .returning(tables.reopenings.c.round))
    if first is None:
        return  # this round was reopened already (another resident, or a call-back after an online verdict)
    reason = "居民不满意" + (f"：{mask_numbers_in_text(event.comment)[:200]}" if event.comment else "")
    uow.record(CaseReopened(case_id=event.case_id, round=event.round, reason=reason, reopened_at=now))
    c = tables.cases.c
    await uow.session.execute(update(tables.cases).where(c.id == event.case_id).values(status="reopened",
                                                                                        updated_at=now))


async def on_case_extension_requested(event: CaseExtensionRequested, uow: UnitOfWork) -> None:
    """A unit asks for more time: the request waits for a supervisor of the case's jurisdiction."""
    district = event.area.district_id if event.area else await uow.session.scalar(
        select(tables.cases.c.district_id).where(tables.cases.c.id == event.case_id))
    if district is None:
        raise PermanentFailure("an extension request for a case supervision does not know")
    await uow.session.execute(pg_insert(tables.extension_requests).values(
        case_id=event.case_id, unit_id=event.unit_id, district_id=district, reason=event.reason,
        proposed_date=event.proposed_date, requested_at=event.requested_at, requested_by_event=uow.causation_id,
        status="pending").on_conflict_do_nothing())


#: Every event supervision reacts to, and its handler.
HANDLERS = {
    CaseDispatched: on_case_dispatched,
    CaseRedispatched: on_unit_changed,
    CaseTransferred: on_unit_changed,
    CaseClaimed: on_unit_changed,
    CaseCompleted: on_case_completed,
    EvaluationSubmitted: on_evaluation_submitted,
    CaseExtensionRequested: on_case_extension_requested,
}
