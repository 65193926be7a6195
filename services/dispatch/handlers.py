"""Dispatch's handler table: the events it reacts to (what units and dispatchers do is in api.py's ACTIONS)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import tables
from services.dispatch.routing import CaseToRoute, Directory, Rule, Unit, Unroutable
from shared.events import AreaPath, CaseDeadlineSet, CaseDispatched, CaseReclassified, CaseReported, DeadlineKind
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.versioned_cache import VersionedCache


async def load_directory(session: AsyncSession) -> Directory:
    units = [Unit(id=r.id, kind=r.kind, name_zh=r.name_zh, areas=frozenset(r.areas), categories=frozenset(r.categories))
             for r in (await session.execute(select(tables.units))).all()]
    rules = [Rule(id=r.id, category=r.category, area=r.area, lead=r.lead_unit_id, lead_kind=r.lead_kind,
                  assisting=tuple(r.assisting), assisting_kind=r.assisting_kind, local_only=r.local_only)
             for r in (await session.execute(select(tables.rules))).all()]
    return Directory(units, rules)


directory_cache = VersionedCache(tables.directory_version, load_directory)


async def on_case_reported(event: CaseReported, uow: UnitOfWork) -> None:
    """Route a new case by category and area; a case no rule can place waits in triage.

    A case whose sub-item intake's classifier was unsure of waits for a person's word (``case.reclassified``).
    """
    session = uow.session
    now = datetime.now(UTC)
    if event.needs_triage:
        created = await _open_case(session, event, now, status="awaiting_classification", lead=None, assisting=(),
                                   rule_id=None)
        if created:
            await _history(session, event, now, "held", None, None, "waiting for intake to confirm the sub-item")
        return
    directory = await directory_cache.get(session)
    route = CaseToRoute(category_code=event.category_code, category_class=event.category_class,
                        handle_locally=event.handle_locally, area=event.location.area)
    try:
        decision = directory.route(route)
    except Unroutable as exc:
        created = await _open_case(session, event, now, status="triage", lead=None, assisting=(), rule_id=None)
        if created:
            await _history(session, event, now, "triaged", None, None, str(exc))
        return
    created = await _open_case(session, event, now, status="dispatched", lead=decision.lead.id,
                               assisting=[u.id for u in decision.assisting], rule_id=decision.rule_id)
    if not created:
        return  # the same report under another event id: the case is already routed
    await _history(session, event, now, "dispatched", decision.lead.id, decision.rule_id,
                   f"rule {decision.rule_id} named {decision.lead.name_zh}")
    uow.record(CaseDispatched(
        case_id=event.case_id, unit_id=decision.lead.id, unit_name=decision.lead.name_zh,
        assisting_unit_ids=tuple(u.id for u in decision.assisting), rule_id=decision.rule_id,
        category_code=event.category_code, time_limit_class=event.time_limit_class, urgent=event.urgent,
        area=event.location.area, dispatched_at=now))


async def _open_case(session: AsyncSession, event: CaseReported, now: datetime, *, status: str, lead: str | None,
                     assisting, rule_id: str | None) -> bool:
    created = await session.scalar(pg_insert(tables.cases).values(
        id=event.case_id, category_code=event.category_code, time_limit_class=event.time_limit_class,
        urgent=event.urgent, area=event.location.area.model_dump(), status=status, lead_unit_id=lead,
        assisting_unit_ids=list(assisting), rule_id=rule_id, version=1, reported_at=event.reported_at, updated_at=now,
    ).on_conflict_do_nothing().returning(tables.cases.c.id))
    return created is not None


async def _history(session: AsyncSession, event: CaseReported, now: datetime, action: str, unit_id: str | None,
                   rule_id: str | None, note: str) -> None:
    await session.execute(insert(tables.history).values(case_id=event.case_id, at=now, action=action,
                                                        unit_id=unit_id, rule_id=rule_id, note=note))


async def on_case_reclassified(event: CaseReclassified, uow: UnitOfWork) -> None:
    """A held case is routed now that a person placed it; a routed case keeps its unit (re-routing is issue 4)."""
    session = uow.session
    now = datetime.now(UTC)
    case = (await session.execute(select(tables.cases).where(tables.cases.c.id == event.case_id)
                                  .with_for_update())).first()
    if case is None:
        return  # reported before dispatch knew the case: case.reported, replayed, will carry the new category
    await session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id).values(
        category_code=event.category_code, time_limit_class=event.time_limit_class, updated_at=now))
    await session.execute(insert(tables.history).values(
        case_id=event.case_id, at=now, action="reclassified", unit_id=case.lead_unit_id, rule_id=case.rule_id,
        note=f"{event.previous_category_code} -> {event.category_code}"))
    if case.status not in ("awaiting_classification", "triage"):
        return
    area = AreaPath.model_validate(case.area)
    try:
        decision = (await directory_cache.get(session)).route(CaseToRoute(
            category_code=event.category_code, category_class=event.category_class,
            handle_locally=event.handle_locally, area=area))
    except Unroutable as exc:
        await session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id).values(status="triage"))
        await session.execute(insert(tables.history).values(case_id=event.case_id, at=now, action="triaged",
                                                            note=str(exc)))
        return
    await session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id).values(
        status="dispatched", lead_unit_id=decision.lead.id, assisting_unit_ids=[u.id for u in decision.assisting],
        rule_id=decision.rule_id, version=tables.cases.c.version + 1))
    await session.execute(insert(tables.history).values(
        case_id=event.case_id, at=now, action="dispatched", unit_id=decision.lead.id, rule_id=decision.rule_id,
        note=f"rule {decision.rule_id} named {decision.lead.name_zh}"))
    uow.record(CaseDispatched(
        case_id=event.case_id, unit_id=decision.lead.id, unit_name=decision.lead.name_zh,
        assisting_unit_ids=tuple(u.id for u in decision.assisting), rule_id=decision.rule_id,
        category_code=event.category_code, time_limit_class=event.time_limit_class, urgent=case.urgent, area=area,
        dispatched_at=now))


async def on_case_deadline_set(event: CaseDeadlineSet, uow: UnitOfWork) -> None:
    """Supervision's clock for the unit now handling the case; a clock for a unit that no longer has it is stale."""
    c = tables.cases.c
    column = "sign_due_at" if event.kind is DeadlineKind.SIGN_FOR else "due_at"
    await uow.session.execute(update(tables.cases).where(c.id == event.case_id, c.lead_unit_id == event.unit_id)
                              .values({column: event.due_at}))


#: Every event dispatch reacts to, and its handler.
HANDLERS = {
    CaseReported: on_case_reported,
    CaseReclassified: on_case_reclassified,
    CaseDeadlineSet: on_case_deadline_set,
}
