"""Dispatch's handler table: the events it reacts to (what units and dispatchers do is in api.py's ACTIONS)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.adapters import tables
from services.dispatch.commands import act
from services.dispatch.domain import lifecycle
from services.dispatch.domain.lifecycle import State
from services.dispatch.domain.routing import CaseToRoute, Directory, Rule, Unit, Unroutable
from shared.events import (
    CaseDeadlineSet,
    CaseDispatched,
    CaseEscalated,
    CaseExtensionDecided,
    CaseObserved,
    CaseReclassified,
    CaseReopened,
    CaseReported,
    DeadlineKind,
)
from shared.masking import mask_numbers_in_text
from shared.messaging.consumer import PermanentFailure
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.versioned_cache import VersionedCache
from shared.refusals import Refused


async def load_directory(session: AsyncSession) -> Directory:
    units = [Unit(id=r.id, kind=r.kind, name_zh=r.name_zh, areas=frozenset(r.areas), categories=frozenset(r.categories))
             for r in (await session.execute(select(tables.units))).all()]
    rules = [Rule(id=r.id, category=r.category, area=r.area, lead=r.lead_unit_id, lead_kind=r.lead_kind,
                  assisting=tuple(r.assisting), assisting_kind=r.assisting_kind, local_only=r.local_only)
             for r in (await session.execute(select(tables.rules))).all()]
    return Directory(units, rules)


# Read the directory's version at most once a second; an edit through this process invalidates at once.
directory_cache = VersionedCache(tables.directory_version, load_directory, recheck_seconds=1.0)

# The hot path's statements, built once: only their parameters change from case to case.
_OPEN_CASE = pg_insert(tables.cases).on_conflict_do_nothing().returning(tables.cases.c.id)
_ADD_HISTORY = insert(tables.history)
_CLOCK_COLUMN = {DeadlineKind.SIGN_FOR: "sign_due_at", DeadlineKind.COMPLETION: "due_at"}
_SET_CLOCK = {kind: update(tables.cases).where(tables.cases.c.id == bindparam("case"),
                                               tables.cases.c.lead_unit_id == bindparam("unit"))
              .values({column: bindparam("due")}) for kind, column in _CLOCK_COLUMN.items()}


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
    created = await session.scalar(_OPEN_CASE, {
        "id": event.case_id, "category_code": event.category_code, "time_limit_class": event.time_limit_class,
        "urgent": event.urgent, "area": event.location.area.model_dump(), "category_class": event.category_class,
        "handle_locally": event.handle_locally, "status": status, "lead_unit_id": lead,
        "assisting_unit_ids": list(assisting), "rule_id": rule_id, "version": 1, "reported_at": event.reported_at,
        "updated_at": now})
    return created is not None


async def _history(session: AsyncSession, event: CaseReported, now: datetime, action: str, unit_id: str | None,
                   rule_id: str | None, note: str) -> None:
    await session.execute(_ADD_HISTORY, {"case_id": event.case_id, "at": now, "action": action, "unit_id": unit_id,
                                         "rule_id": rule_id, "note": note})


async def on_case_reclassified(event: CaseReclassified, uow: UnitOfWork) -> None:
    """A held or triaged case is routed now that a person placed it (never to a unit that returned it); a case being
    handled keeps its unit, its new sub-item noted."""
    session = uow.session
    now = datetime.now(UTC)
    c = tables.cases.c
    case = (await session.execute(update(tables.cases).where(c.id == event.case_id).values(
        category_code=event.category_code, category_class=event.category_class, handle_locally=event.handle_locally,
        time_limit_class=event.time_limit_class, updated_at=now).returning(c.status, c.lead_unit_id))).first()
    if case is None:
        return  # reported before dispatch knew the case: case.reported, replayed, will carry the new category
    await session.execute(insert(tables.history).values(
        case_id=event.case_id, at=now, action="reclassified", unit_id=case.lead_unit_id,
        note=f"{event.previous_category_code} -> {event.category_code}"))
    if case.status not in (State.AWAITING_CLASSIFICATION, State.TRIAGE):
        return
    directory = await directory_cache.get(session)
    try:
        await act(uow, event.case_id, unit_id=None, expected_version=None, actor="reclassified",
                  take=lambda file: lifecycle.route_again(file, directory))
    except Refused as refused:
        if refused.code != "unroutable":
            raise
        await session.execute(update(tables.cases).where(c.id == event.case_id).values(status=State.TRIAGE))
        await session.execute(insert(tables.history).values(case_id=event.case_id, at=now, action="triaged",
                                                            note=refused.message))


async def on_case_reopened(event: CaseReopened, uow: UnitOfWork) -> None:
    """A dissatisfied verdict: the case goes back to its unit (or the one supervision names), one more redo."""
    try:
        await act(uow, event.case_id, unit_id=None, expected_version=None, actor="supervision",
                  take=lambda file: lifecycle.reopen(file, reason=event.reason, lead=event.unit_id,
                                                     round=event.round))
    except Refused as refused:
        if refused.code == "already_reopened":
            return  # another resident's verdict on the same round
        raise PermanentFailure(f"cannot reopen: {refused.message}") from None


async def on_case_extension_decided(event: CaseExtensionDecided, uow: UnitOfWork) -> None:
    """Supervision's decision on a unit's request for more time (the new completion date of an approval arrives as
    ``case.deadline_set``, right behind it on the same partition)."""
    try:
        await act(uow, event.case_id, unit_id=None, expected_version=None, actor="supervision",
                  take=lambda file: lifecycle.decide_extension(file, approved=event.approved, reason=event.reason,
                                                               due_at=event.due_at))
    except Refused as refused:
        if refused.code in ("not_found", "no_extension_pending"):
            raise PermanentFailure(f"extension decision not applicable: {refused.message}") from None
        raise


async def on_case_escalated(event: CaseEscalated, uow: UnitOfWork) -> None:
    """A step up the escalation ladder: kept on the case (a unit sees it in its queue) and on its timeline."""
    c = tables.cases.c
    now = datetime.now(UTC)
    found = await uow.session.scalar(update(tables.cases).where(c.id == event.case_id).values(
        escalation_level=event.level, reply_by=event.reply_by, updated_at=now).returning(c.id))
    if found is None:
        raise PermanentFailure("escalation of a case dispatch does not know")
    reply = f"; written reply due {event.reply_by:%Y-%m-%d %H:%M} UTC" if event.reply_by else ""
    await uow.session.execute(insert(tables.history).values(
        case_id=event.case_id, at=now, action=f"escalated:{event.level}", unit_id=event.unit_id,
        note=mask_numbers_in_text(f"{event.reason}{reply}")[:500]))


async def on_case_observed(event: CaseObserved, uow: UnitOfWork) -> None:
    """A resident supervisor's observation: the units handling the case read it in its history."""
    found = await uow.session.scalar(select(tables.cases.c.id).where(tables.cases.c.id == event.case_id))
    if found is None:
        raise PermanentFailure("an observation on a case dispatch does not know")
    await uow.session.execute(_ADD_HISTORY, dict(
        case_id=event.case_id, at=event.observed_at, action="observed", unit_id=None,
        note=mask_numbers_in_text(f"resident supervisor {event.certificate_number}: {event.text}")[:500]))


async def on_case_deadline_set(event: CaseDeadlineSet, uow: UnitOfWork) -> None:
    """Supervision's clock for the unit now handling the case; a clock for a unit that no longer has it is stale."""
    statement = _SET_CLOCK.get(event.kind)
    if statement is not None:
        await uow.session.execute(statement, dict(case=event.case_id, unit=event.unit_id, due=event.due_at))


#: Every event dispatch reacts to, and its handler.
HANDLERS = {
    CaseReported: on_case_reported,
    CaseReclassified: on_case_reclassified,
    CaseDeadlineSet: on_case_deadline_set,
    CaseReopened: on_case_reopened,
    CaseExtensionDecided: on_case_extension_decided,
    CaseEscalated: on_case_escalated,
    CaseObserved: on_case_observed,
}
