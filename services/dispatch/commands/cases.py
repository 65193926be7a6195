"""A case's handling, whoever asks (a unit, a dispatcher, an event, its watch): open a reported case, take one step of
the life cycle under optimistic concurrency, keep supervision's word on it; each step writes the history line and
records the event it names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from services.dispatch.adapters.store import CaseRecord, DispatchStore
from services.dispatch.domain import lifecycle
from services.dispatch.domain.lifecycle import (
    Action,
    CaseFile,
    IllegalTransition,
    NotYourCase,
    Refusal,
    State,
    Step,
)
from services.dispatch.domain.routing import CaseToRoute
from shared.events import (
    AreaPath,
    CaseCheckInMissed,
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineSet,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseEscalated,
    CaseExplained,
    CaseExplanationMeetingHeld,
    CaseExtensionDecided,
    CaseExtensionRequested,
    CaseJointHandlingStarted,
    CaseObserved,
    CaseOpenedForClaiming,
    CaseProgressNoted,
    CaseReclassified,
    CaseRedispatched,
    CaseReopened,
    CaseReported,
    CaseResidentCallbackAnswered,
    CaseResidentCallbackAsked,
    CaseResumed,
    CaseReturned,
    CaseSigned,
    CaseSuspended,
    CaseTransferred,
    Event,
)
from shared.masking import mask_personal_text
from shared.messaging.consumer import PermanentFailure
from shared.messaging.unit_of_work import UnitOfWork
from shared.photos import CleanPhoto
from shared.reference.labels import label, local_time
from shared.reference.names import Names
from shared.refusals import Refused
from shared.scopes import within

#: Refusals of the life cycle that are conflicts with the case's state rather than bad input.
_CONFLICTS = {"already_claimed", "parts_missing", "already_checked_in", "lead_only", "assisting_only",
              "extension_pending", "unroutable", "no_extension_pending", "already_reopened", "nothing_to_flag",
              "already_suspended", "not_suspended"}


async def act(uow: UnitOfWork, case_id: UUID, *, unit_id: str | None, expected_version: int | None,
              take: Callable[[CaseFile], Step], actor: str | None = None,
              scope: tuple[str, ...] | None = None):
    """One step on one case. A unit with no part in the case learns nothing of it (404); a stale ``expected_version``
    is a 409 naming the current one; an action the state does not allow is a 409 naming the state and what it
    allows. Nothing is half-applied: the step, its history line and its event commit together or not at all.
    Returns the case's row as stored."""
    store: DispatchStore = uow.store
    row = await store.lock_case(case_id)
    if row is None:
        raise Refused("not_found", "no such case", "case_id", status=404)
    case = row.casefile()
    # A dispatcher acts within their scope; elsewhere, as for another unit's case, the case does not exist.
    if scope is not None and not within(scope, row.area_ids):
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
        raise Refused(exc.code, exc.message, exc.field, status=409,
                      message_zh=f"事项当前为「{label('state', exc.state)}」，不能进行此操作") from None
    except Refusal as exc:
        raise Refused(exc.code, exc.message, exc.field, status=409 if exc.code in _CONFLICTS else 422) from None
    now = datetime.now(UTC)
    # A dispatch names the rule that fired (none when by hand); other steps leave the rule on record.
    fired = {"rule_id": step.detail.get("rule_id")} if step.action == Action.DISPATCH else {}
    stored = await store.save_case(case_id, step.case, now=now, **fired)
    # Only a missed check-in's note names units: the names are read for it alone, not on every step.
    names = await store.names() if step.action is Action.FLAG_MISSED_CHECK_INS else None
    await store.add_history(case_id, at=now, action=step.action, unit_id=unit_id or step.case.lead,
                            rule_id=step.detail.get("rule_id"), note=_note(step, actor, names))
    event = await _event(store, row, step, now)
    if event is not None:
        uow.record(event)
    return stored


def _note(step: Step, actor: str | None, names: Names | None = None) -> str:
    detail = step.detail
    text = detail.get("text") or detail.get("result") or detail.get("explanation") or detail.get("reason") or ""
    match step.action:
        case Action.RETURN:
            text = f"{label('return', detail['reason'])}：{detail['text']}"
        case Action.DISPATCH | Action.ROUTE if detail.get("rule_id"):
            # The rule's id is on the history line's own column; the note says it in words.
            text = f"按派单规则派发至{detail.get('lead_name', detail['lead'])}" + (
                f"；{detail['reason']}" if detail.get("reason") else "")
        case Action.DECIDE_EXTENSION:
            text = (f"批准延期至{local_time(detail['due_at'])}" if detail["approved"] and detail.get("due_at")
                    else "批准延期" if detail["approved"] else f"不予延期：{detail['reason']}")
        case Action.SUSPEND:
            text = f"{label('suspension', detail['reason'])}：{detail['text']}"
        case Action.FLAG_MISSED_CHECK_INS:
            text = f"未在{local_time(detail['check_in_by'])}前报到：" + (
                "、".join(names.unit(u) if names else u for u in detail["units"]) or "无（均已报到）")
    if actor:
        text = f"{text}（{actor}）" if text else f"（{actor}）"
    return mask_personal_text(str(text))[:500]


async def _board_units(store: DispatchStore, row: CaseRecord) -> tuple[str, ...]:
    directory = await store.directory()
    return directory.board_units(row.area_ids, [row.category_code, row.category_class or ""],
                                 exclude=row.excluded_unit_ids or ())


async def _event(store: DispatchStore, row: CaseRecord, step: Step, now: datetime) -> Event | None:
    """The fact each step publishes; a note on a case or a part reported stays in its history."""
    d, case_id = step.detail, row.id
    match step.action:
        case Action.DISPATCH:
            return CaseDispatched(
                case_id=case_id, unit_id=d["lead"], unit_name=await store.unit_name(d["lead"]),
                assisting_unit_ids=d["assisting"], rule_id=d["rule_id"], category_code=row.category_code,
                time_limit_class="urgent" if row.urgent else row.time_limit_class, urgent=row.urgent,
                area=AreaPath.model_validate(row.area), dispatched_at=now)
        case Action.REDISPATCH | Action.REOPEN if d.get("lead"):
            return CaseRedispatched(case_id=case_id, unit_id=d["lead"], unit_name=await store.unit_name(d["lead"]),
                                    previous_unit_id=row.lead_unit_id, redo_count=step.case.redo_count,
                                    reason=mask_personal_text(d["reason"]), redispatched_at=now)
        case Action.PUT_ON_BOARD:
            return CaseOpenedForClaiming(case_id=case_id, category_code=row.category_code, urgent=row.urgent,
                                         area=AreaPath.model_validate(row.area),
                                         unit_ids=await _board_units(store, row), opened_at=now)
        case Action.CLAIM:
            board = await _board_units(store, row)
            return CaseClaimed(case_id=case_id, unit_id=d["unit"], unit_name=await store.unit_name(d["unit"]),
                               board_unit_ids=tuple(u for u in board if u != d["unit"]), claimed_at=now)
        case Action.APPROVE_TRANSFER:
            return CaseTransferred(case_id=case_id, from_unit_id=d["from"], unit_id=d["to"],
                                   unit_name=await store.unit_name(d["to"]), transferred_at=now)
        case Action.SUMMON:
            return CaseJointHandlingStarted(case_id=case_id, unit_ids=d["units"], check_in_by=d["check_in_by"],
                                            started_at=now)
        case Action.REQUEST_EXTENSION:
            return CaseExtensionRequested(case_id=case_id, unit_id=d["unit"], reason=mask_personal_text(d["reason"]),
                                          proposed_date=d["proposed_date"], requested_at=now,
                                          area=AreaPath.model_validate(row.area))
        case Action.SIGN:
            return CaseSigned(case_id=case_id, unit_id=d["unit"], unit_name=await store.unit_name(d["unit"]),
                              signed_at=now)
        case Action.NOTE_PROGRESS:
            return CaseProgressNoted(case_id=case_id, unit_id=d["unit"], text=mask_personal_text(d["text"]),
                                     photo_count=len(d["photos"]), noted_at=now)
        case Action.COMPLETE:
            return CaseCompleted(case_id=case_id, unit_id=d["unit"], unit_name=await store.unit_name(d["unit"]),
                                 result=mask_personal_text(d["result"]), photo_ids=[UUID(p) for p in d["photos"]],
                                 completed_at=now)
        case Action.EXPLAIN:
            return CaseExplained(case_id=case_id, unit_id=d["unit"], explanation=mask_personal_text(d["explanation"]),
                                 planned_date=d["planned_date"], explained_at=now)
        case Action.SUSPEND:
            return CaseSuspended(case_id=case_id, unit_id=d["unit"], reason=d["reason"],
                                 text=mask_personal_text(d["text"]), suspended_at=now)
        case Action.RESUME:
            return CaseResumed(case_id=case_id, unit_id=d["unit"], resumed_at=now)
        case Action.FLAG_MISSED_CHECK_INS:
            return CaseCheckInMissed(case_id=case_id, unit_ids=d["units"], check_in_by=d["check_in_by"],
                                     flagged_at=now) if d["units"] else None
        case Action.RETURN:
            return CaseReturned(case_id=case_id, unit_id=d["unit"], reason=d["reason"].value,
                                text=mask_personal_text(d["text"]), returned_at=now)
    return None


# --- what other services tell dispatch (the handler table's commands: the event, then the unit of work) -----------

async def open_reported_case(event: CaseReported, uow: UnitOfWork) -> None:
    """Route a new case by category and area (``lifecycle.receive``); a case no rule can place waits in triage, one
    whose sub-item intake's classifier was unsure of waits for a person's word (``case.reclassified``)."""
    store: DispatchStore = uow.store
    now = datetime.now(UTC)
    routing = CaseToRoute(category_code=event.category_code, category_class=event.category_class,
                          handle_locally=event.handle_locally, area=event.location.area)
    directory = None if event.needs_triage else await store.directory()
    step = lifecycle.receive(str(event.case_id), routing, directory, needs_triage=event.needs_triage)
    case, detail = step.case, step.detail
    created = await store.open_case(CaseRecord(
        id=event.case_id, category_code=event.category_code, time_limit_class=event.time_limit_class,
        urgent=event.urgent, area=event.location.area.model_dump(), status=case.state, lead_unit_id=case.lead,
        assisting_unit_ids=list(case.assisting), rule_id=detail.get("rule_id"), version=case.version,
        reported_at=event.reported_at, updated_at=now, category_class=event.category_class,
        handle_locally=event.handle_locally, description=event.description, address=event.location.address,
        lat=event.location.lat, lon=event.location.lon, channel=event.channel.value,
        resident_photo_ids=[str(p) for p in event.photo_ids], suggested_category_code=event.suggested_category_code,
        source_kind=event.source_kind, handed_in_on=event.handed_in_on))
    if not created:
        return  # the same report under another event id: the case is already there
    await store.add_history(event.case_id, at=now, action=step.action, unit_id=case.lead,
                            rule_id=detail.get("rule_id"), note=_note(step, None))
    if step.action is Action.ROUTE:
        uow.record(CaseDispatched(
            case_id=event.case_id, unit_id=case.lead, unit_name=detail["lead_name"],
            assisting_unit_ids=case.assisting, rule_id=detail["rule_id"], category_code=event.category_code,
            time_limit_class=event.time_limit_class, urgent=event.urgent, area=event.location.area,
            dispatched_at=now))


async def reclassify(event: CaseReclassified, uow: UnitOfWork) -> None:
    """A held or triaged case is routed now that a person placed it (never to a unit that returned it); a case being
    handled keeps its unit, its new sub-item noted."""
    store: DispatchStore = uow.store
    now = datetime.now(UTC)
    case = await store.update_case(
        event.case_id, category_code=event.category_code, category_class=event.category_class,
        handle_locally=event.handle_locally, time_limit_class=event.time_limit_class, updated_at=now)
    if case is None:
        return  # reported before dispatch knew the case: case.reported, replayed, will carry the new category
    await store.add_history(event.case_id, at=now, action="reclassified", unit_id=case.lead_unit_id,
                            note=f"{event.previous_category_code} -> {event.category_code}")
    if case.status not in (State.AWAITING_CLASSIFICATION, State.TRIAGE):
        return
    directory = await store.directory()
    try:
        await act(uow, event.case_id, unit_id=None, expected_version=None, actor="重新分类",
                  take=lambda file: lifecycle.route_again(file, directory))
    except Refused as refused:
        if refused.code != "unroutable":
            raise
        await store.update_case(event.case_id, status=State.TRIAGE)
        await store.add_history(event.case_id, at=now, action=Action.TRIAGE, note=refused.message)


async def reopen(event: CaseReopened, uow: UnitOfWork) -> None:
    """A dissatisfied verdict: the case goes back to its unit (or the one supervision names), one more redo."""
    try:
        await act(uow, event.case_id, unit_id=None, expected_version=None, actor="督办部门",
                  take=lambda file: lifecycle.reopen(file, reason=event.reason, lead=event.unit_id,
                                                     round=event.round))
    except Refused as refused:
        if refused.code == "already_reopened":
            return  # another resident's verdict on the same round
        raise PermanentFailure(f"cannot reopen: {refused.message}") from None


async def decide_extension(event: CaseExtensionDecided, uow: UnitOfWork) -> None:
    """Supervision's decision on a unit's request for more time (the new completion date of an approval arrives as
    ``case.deadline_set``, right behind it on the same partition)."""
    try:
        await act(uow, event.case_id, unit_id=None, expected_version=None, actor="督办部门",
                  take=lambda file: lifecycle.decide_extension(file, approved=event.approved, reason=event.reason,
                                                               due_at=event.due_at))
    except Refused as refused:
        if refused.code in ("not_found", "no_extension_pending"):
            raise PermanentFailure(f"extension decision not applicable: {refused.message}") from None
        raise


async def note_escalation(event: CaseEscalated, uow: UnitOfWork) -> None:
    """A step up the escalation ladder: kept on the case (a unit sees it in its queue) and on its timeline."""
    store: DispatchStore = uow.store
    now = datetime.now(UTC)
    found = await store.update_case(event.case_id, escalation_level=event.level, reply_by=event.reply_by,
                                    updated_at=now)
    if found is None:
        raise PermanentFailure("escalation of a case dispatch does not know")
    reply = f"；请于{local_time(event.reply_by)}前书面答复" if event.reply_by else ""
    await store.add_history(event.case_id, at=now, action=f"escalated:{event.level}", unit_id=event.unit_id,
                            note=mask_personal_text(f"{label('level', event.level)}：{event.reason}{reply}")[:500])


async def note_observation(event: CaseObserved, uow: UnitOfWork) -> None:
    """A resident supervisor's observation: the units handling the case read it in its history."""
    store: DispatchStore = uow.store
    if not await store.has_case(event.case_id):
        raise PermanentFailure("an observation on a case dispatch does not know")
    await store.add_history(
        event.case_id, at=event.observed_at, action="observed",
        note=mask_personal_text(f"居民监督员（证号{event.certificate_number}）：{event.text}")[:500])


async def note_meeting_held(event: CaseExplanationMeetingHeld, uow: UnitOfWork) -> None:
    """The explanation meeting's outcome and the solution agreed there, on the case for the units that hold it."""
    store: DispatchStore = uow.store
    if not await store.has_case(event.case_id):
        raise PermanentFailure("a meeting on a case dispatch does not know")
    said = "居民认可，商定方案" if event.accepted else "居民未认可，将再次交办"
    await store.add_history(event.case_id, at=event.held_at, action="meeting_held",
                            note=mask_personal_text(f"情况说明会（{said}）：{event.summary}")[:500])


async def note_co_reporters(event: CaseDuplicateLinked, uow: UnitOfWork) -> None:
    """Another resident raised the same problem: the units read how many it touches."""
    await uow.store.note_residents(event.case_id, event.residents_affected)


async def keep_clock(event: CaseDeadlineSet, uow: UnitOfWork) -> None:
    """Supervision's clock for the unit now handling the case; a clock for a unit that no longer has it is stale."""
    await uow.store.set_clock(event.kind, event.case_id, event.unit_id, event.due_at)


# --- photos and dispatch's own watch -------------------------------------------------------------------------------

async def keep_photo(uow: UnitOfWork, photo: CleanPhoto, *, unit_id: str) -> UUID:
    """A photo the unit took on site (checked and stripped already), to name in a progress note or a completion."""
    photo_id = uuid4()
    await uow.store.add_photo(photo_id, photo, unit_id=unit_id)
    return photo_id


async def attach_photos(uow: UnitOfWork, case_id: UUID, unit_id: str, photo_ids, *,
                        shown_to_residents: bool = False) -> None:
    """Tie the named photos to the case; each must be the unit's own and not already on another case (422). Those
    it completes the case with are shown to the residents who raised it."""
    wanted = set(photo_ids)
    if not wanted:
        return
    attached = await uow.store.attach_photos(case_id, unit_id, wanted, shown_to_residents=shown_to_residents)
    if attached != wanted:
        raise Refused("unknown_photo", f"{len(wanted - attached)} photo(s) are not this unit's uploads or belong to "
                      "another case", "photos")


async def ask_resident_callback(uow: UnitOfWork, case_id: UUID, unit_id: str, question: str) -> UUID:
    """A unit with a part in the case asks the operators to call the resident back (it never reads the number)."""
    store: DispatchStore = uow.store
    row = await store.lock_case(case_id)
    if row is None or not row.casefile().involves(unit_id):
        raise Refused("not_found", "no such case", "case_id", status=404)
    question = mask_personal_text(question.strip())[:500]
    if not question:
        raise Refused("missing_field", "say what the resident should be asked", "question")
    now, request_id = datetime.now(UTC), uuid4()
    await store.add_history(case_id, at=now, action="callback_asked", unit_id=unit_id,
                            note=f"请接线员回访居民：{question}")
    uow.record(CaseResidentCallbackAsked(case_id=case_id, request_id=request_id, unit_id=unit_id, question=question,
                                         asked_at=now))
    return request_id


async def note_callback_answer(event: CaseResidentCallbackAnswered, uow: UnitOfWork) -> None:
    """What the operators heard from the resident, on the case's history for the unit that asked."""
    store: DispatchStore = uow.store
    if not await store.has_case(event.case_id):
        raise PermanentFailure("a call-back answer on a case dispatch does not know")
    said = f"接线员回访居民：{event.answer}" if event.reached else f"接线员未能联系上居民：{event.answer}"
    await store.add_history(event.case_id, at=event.answered_at, action="callback_answered", unit_id=event.unit_id,
                            note=mask_personal_text(said)[:500])


async def flag_missed_check_ins(uow: UnitOfWork, *, now: datetime, batch: int = 100) -> int:
    """Every case whose check-in limit passed unflagged, once, whichever dispatch instance gets there first."""
    due = await uow.store.cases_past_check_in(now.astimezone(UTC), limit=batch)
    for case_id in due:
        await act(uow, case_id, unit_id=None, expected_version=None, actor="报到监测",
                  take=lambda file: lifecycle.flag_missed_check_ins(file, now=now))
    return len(due)


ORPHAN_PHOTO_AGE = timedelta(hours=24)


async def drop_orphan_photos(uow: UnitOfWork, *, now: datetime) -> int:
    """Photos uploaded but never attached to a case go after a day."""
    return await uow.store.drop_unattached_photos(now - ORPHAN_PHOTO_AGE)
