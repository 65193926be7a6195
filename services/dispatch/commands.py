"""What dispatch does when a unit or a dispatcher acts on a case: load its file, take one step of the life cycle,
store it under optimistic concurrency, write the history line and record the event the step names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import insert, select, update

from services.dispatch.adapters import tables
from services.dispatch.domain.lifecycle import (
    Action,
    CaseFile,
    IllegalTransition,
    NotYourCase,
    Refusal,
    State,
    Step,
    Summons,
)
from services.dispatch.domain.routing import CaseToRoute
from shared.events import (
    AreaPath,
    CaseCheckInMissed,
    CaseClaimed,
    CaseCompleted,
    CaseDispatched,
    CaseExplained,
    CaseExtensionRequested,
    CaseJointHandlingStarted,
    CaseProgressNoted,
    CaseRedispatched,
    CaseResumed,
    CaseReturned,
    CaseSigned,
    CaseSuspended,
    CaseTransferred,
    Event,
    SuspensionReason,
)
from shared.masking import mask_numbers_in_text
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused

#: Refusals of the life cycle that are conflicts with the case's state rather than bad input.
_CONFLICTS = {"already_claimed", "parts_missing", "already_checked_in", "lead_only", "assisting_only",
              "extension_pending", "unroutable", "no_extension_pending", "already_reopened", "nothing_to_flag",
              "already_suspended", "not_suspended"}


def casefile_of(row) -> CaseFile:
    summons = None
    if row.summons:
        summons = Summons(check_in_by=datetime.fromisoformat(row.summons["check_in_by"]),
                          checked_in={u: datetime.fromisoformat(at) if at else None
                                      for u, at in row.summons["checked_in"].items()},
                          alerted="alerted" in row.summons)
    return CaseFile(
        case_id=str(row.id), state=State(row.status), version=row.version, lead=row.lead_unit_id,
        assisting=tuple(row.assisting_unit_ids), parts_reported=frozenset(row.parts_reported),
        excluded=frozenset(row.excluded_unit_ids), redo_count=row.redo_count,
        state_before_transfer=State(row.state_before_transfer) if row.state_before_transfer else None,
        transfer_to=row.transfer_to, summons=summons, planned_date=row.planned_date,
        extensions_requested=row.extensions_requested, extension_pending=row.extension_pending,
        suspended=SuspensionReason(row.suspended) if row.suspended else None,
        routing=CaseToRoute(category_code=row.category_code, category_class=row.category_class or "",
                            handle_locally=row.handle_locally, area=AreaPath.model_validate(row.area)))


def _columns(case: CaseFile) -> dict:
    summons = None
    if case.summons is not None:
        summons = {"check_in_by": case.summons.check_in_by.isoformat(),
                   "checked_in": {u: at.isoformat() if at else None for u, at in case.summons.checked_in.items()}}
        if case.summons.alerted:  # a key, not a value: the poller's partial index asks whether it is there
            summons["alerted"] = True
    return {"status": case.state, "version": case.version, "lead_unit_id": case.lead,
            "assisting_unit_ids": list(case.assisting), "parts_reported": sorted(case.parts_reported),
            "excluded_unit_ids": sorted(case.excluded), "redo_count": case.redo_count,
            "state_before_transfer": case.state_before_transfer, "transfer_to": case.transfer_to,
            "summons": summons, "planned_date": case.planned_date,
            "extensions_requested": case.extensions_requested, "extension_pending": case.extension_pending,
            "suspended": case.suspended}


async def act(uow: UnitOfWork, case_id: UUID, *, unit_id: str | None, expected_version: int | None,
              take: Callable[[CaseFile], Step], actor: str | None = None,
              jurisdiction: str | None = None):
    """One step on one case. A unit with no part in the case learns nothing of it (404); a stale ``expected_version``
    is a 409 naming the current one; an action the state does not allow is a 409 naming the state and what it
    allows. Nothing is half-applied: the step, its history line and its event commit together or not at all.
    Returns the case's row as stored."""
    session = uow.session
    row = (await session.execute(select(tables.cases).where(tables.cases.c.id == case_id).with_for_update())).first()
    if row is None:
        raise Refused("not_found", "no such case", "case_id", status=404)
    case = casefile_of(row)
    # A dispatcher acts within their jurisdiction; elsewhere, as for another unit's case, the case does not exist.
    if jurisdiction is not None and row.area.get("district_id") != jurisdiction:
        raise Refused("not_found", "no such case", "case_id", status=404)
    if unit_id is not None and not case.involves(unit_id):
        raise Refused("not_found", "no such case", "case_id", status=404)
    if expected_version is not None and expected_version != case.version:
        raise Refused("stale_version", f"the case has changed: it is at version {case.version}", "version",
                      status=409)
    try:
        step = take(case)
    except NotYourCase:
        raise Refused("not_found", "no such case", "case_id", status=404) from None
    except IllegalTransition as exc:
        raise Refused(exc.code, exc.message, exc.field, status=409) from None
    except Refusal as exc:
        raise Refused(exc.code, exc.message, exc.field, status=409 if exc.code in _CONFLICTS else 422) from None
    now = datetime.now(UTC)
    # A dispatch names the rule that fired (none when by hand); other steps leave the rule on record.
    fired = {"rule_id": step.detail.get("rule_id")} if step.action == Action.DISPATCH else {}
    stored = (await session.execute(update(tables.cases).where(tables.cases.c.id == case_id)
                                    .values(**_columns(step.case), **fired, updated_at=now)
                                    .returning(tables.cases))).one()
    await session.execute(insert(tables.history).values(
        case_id=case_id, at=now, action=step.action, unit_id=unit_id or step.case.lead,
        rule_id=step.detail.get("rule_id"),
        note=_note(step, actor)))
    event = await _event(uow, row, step, now)
    if event is not None:
        uow.record(event)
    return stored


async def require_units(session, unit_ids, *, field: str = "unit_id") -> None:
    """Every unit named must be in the directory (an unknown one is a 422 naming it and ``field``)."""
    unit_ids = set(unit_ids)
    if not unit_ids:
        return
    known = set((await session.execute(select(tables.units.c.id).where(tables.units.c.id.in_(unit_ids))))
                .scalars())
    unknown = sorted(unit_ids - known)
    if unknown:
        raise Refused("unknown_unit", f"no such unit: {', '.join(unknown)}", field)


def _note(step: Step, actor: str | None) -> str:
    detail = step.detail
    text = detail.get("text") or detail.get("result") or detail.get("explanation") or detail.get("reason") or ""
    match step.action:
        case Action.RETURN:
            text = f"{detail['reason']}: {detail['text']}"
        case Action.DISPATCH if detail.get("rule_id"):
            text = f"rule {detail['rule_id']} named {detail.get('lead_name', detail['lead'])}" + (
                f"; {detail['reason']}" if detail.get("reason") else "")
        case Action.DECIDE_EXTENSION:
            text = (f"extension approved, due {detail['due_at']:%Y-%m-%d %H:%M} UTC" if detail["approved"] and
                    detail.get("due_at") else "extension approved" if detail["approved"] else
                    f"extension refused: {detail['reason']}")
        case Action.SUSPEND:
            text = f"waiting ({detail['reason']}): {detail['text']}"
        case Action.FLAG_MISSED_CHECK_INS:
            text = f"did not check in by {detail['check_in_by']:%Y-%m-%d %H:%M} UTC: " + (
                ", ".join(detail["units"]) or "nobody (all checked in)")
    if actor:
        text = f"{text} ({actor})" if text else f"({actor})"
    return mask_numbers_in_text(str(text))[:500]


async def _unit_name(uow: UnitOfWork, unit_id: str) -> str:
    name = await uow.session.scalar(select(tables.units.c.name_zh).where(tables.units.c.id == unit_id))
    return name or unit_id


async def _event(uow: UnitOfWork, row, step: Step, now: datetime) -> Event | None:
    """The fact each step publishes; a note on a case or a part reported stays in its history."""
    d, case_id = step.detail, row.id
    match step.action:
        case Action.DISPATCH:
            return CaseDispatched(
                case_id=case_id, unit_id=d["lead"], unit_name=await _unit_name(uow, d["lead"]),
                assisting_unit_ids=d["assisting"], rule_id=d["rule_id"], category_code=row.category_code,
                time_limit_class="urgent" if row.urgent else row.time_limit_class, urgent=row.urgent,
                area=AreaPath.model_validate(row.area), dispatched_at=now)
        case Action.REDISPATCH | Action.REOPEN if d.get("lead"):
            return CaseRedispatched(case_id=case_id, unit_id=d["lead"], unit_name=await _unit_name(uow, d["lead"]),
                                    previous_unit_id=row.lead_unit_id, redo_count=step.case.redo_count,
                                    reason=mask_numbers_in_text(d["reason"]), redispatched_at=now)
        case Action.CLAIM:
            return CaseClaimed(case_id=case_id, unit_id=d["unit"], unit_name=await _unit_name(uow, d["unit"]),
                               claimed_at=now)
        case Action.APPROVE_TRANSFER:
            return CaseTransferred(case_id=case_id, from_unit_id=d["from"], unit_id=d["to"],
                                   unit_name=await _unit_name(uow, d["to"]), transferred_at=now)
        case Action.SUMMON:
            return CaseJointHandlingStarted(case_id=case_id, unit_ids=d["units"], check_in_by=d["check_in_by"],
                                            started_at=now)
        case Action.REQUEST_EXTENSION:
            return CaseExtensionRequested(case_id=case_id, unit_id=d["unit"], reason=mask_numbers_in_text(d["reason"]),
                                          proposed_date=d["proposed_date"], requested_at=now,
                                          area=AreaPath.model_validate(row.area))
        case Action.SIGN:
            return CaseSigned(case_id=case_id, unit_id=d["unit"], unit_name=await _unit_name(uow, d["unit"]),
                              signed_at=now)
        case Action.NOTE_PROGRESS:
            return CaseProgressNoted(case_id=case_id, unit_id=d["unit"], text=mask_numbers_in_text(d["text"]),
                                     photo_count=len(d["photos"]), noted_at=now)
        case Action.COMPLETE:
            return CaseCompleted(case_id=case_id, unit_id=d["unit"], unit_name=await _unit_name(uow, d["unit"]),
                                 result=mask_numbers_in_text(d["result"]), completed_at=now)
        case Action.EXPLAIN:
            return CaseExplained(case_id=case_id, unit_id=d["unit"], explanation=mask_numbers_in_text(d["explanation"]),
                                 planned_date=d["planned_date"], explained_at=now)
        case Action.SUSPEND:
            return CaseSuspended(case_id=case_id, unit_id=d["unit"], reason=d["reason"],
                                 text=mask_numbers_in_text(d["text"]), suspended_at=now)
        case Action.RESUME:
            return CaseResumed(case_id=case_id, unit_id=d["unit"], resumed_at=now)
        case Action.FLAG_MISSED_CHECK_INS:
            return CaseCheckInMissed(case_id=case_id, unit_ids=d["units"], check_in_by=d["check_in_by"],
                                     flagged_at=now) if d["units"] else None
        case Action.RETURN:
            return CaseReturned(case_id=case_id, unit_id=d["unit"], reason=d["reason"].value,
                                text=mask_numbers_in_text(d["text"]), returned_at=now)
    return None
