"""The case as the resident reads it: an operator's classification, and each step the units and supervision take
(status, the unit's name, the expected completion, the timeline in words)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.intake.adapters.store import CaseRecord, IntakeStore
from services.intake.domain.cases import CaseStatus
from services.intake.domain.categories import UnknownCategory
from services.intake.domain.timeline import line
from shared.events import (
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineSet,
    CaseDispatched,
    CaseExplained,
    CaseExplanationMeetingCalled,
    CaseExplanationMeetingHeld,
    CaseExplanationMeetingScheduled,
    CaseExtensionDecided,
    CaseJointHandlingStarted,
    CaseProgressNoted,
    CaseReclassified,
    CaseRedispatched,
    CaseReopened,
    CaseReturned,
    CaseSigned,
    CaseSupervisorAssigned,
    CaseTransferred,
    ClassifiedBy,
    DeadlineKind,
)
from shared.local_time import LOCAL_ZONE
from shared.masking import mask_personal_text
from shared.messaging.consumer import PermanentFailure
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused


async def reclassify(uow: UnitOfWork, case_id: UUID, category_code: str, *, actor: str, reason: str | None) -> None:
    """An operator confirms a triaged case's sub-item or moves a case to another; the override is kept."""
    store: IntakeStore = uow.store
    case = await store.lock_case(case_id)
    if case is None:
        raise Refused("not_found", "no such case", "case_id", status=404)
    try:
        category = (await store.category_tree()).current(category_code)
    except UnknownCategory:
        raise Refused("unknown_category", "no such category", "category") from None
    if category.code == case.category_code and not case.needs_triage:
        raise Refused("no_change", "the case already has this category", "category", status=409)
    now = datetime.now(UTC)
    await store.update_case(case_id, category_code=category.code, category_version=category.version,
                            category_confidence=1.0, classified_by=ClassifiedBy.OPERATOR, needs_triage=False,
                            updated_at=now)
    await store.add_classification(case_id, category_code=category.code, category_version=category.version,
                                   confidence=1.0, classified_by=ClassifiedBy.OPERATOR,
                                   suggested_code=case.category_code, actor=actor, reason=reason, at=now)
    uow.record(CaseReclassified(
        case_id=case_id, category_code=category.code, category_class=category.class_code,
        category_version=category.version,
        time_limit_class="urgent" if case.urgent else category.time_limit_class,
        handle_locally=category.handle_locally, previous_category_code=case.category_code,
        was_triage=case.needs_triage, reason=mask_personal_text(reason) if reason else None, reclassified_at=now))


# --- what the units and supervision did (the handler table's commands: the event, then the unit of work) ---------

async def known_case(uow: UnitOfWork, case_id: UUID) -> CaseRecord:
    """The case, locked; an event about a case intake never had cannot be applied."""
    case = await uow.store.lock_case(case_id)
    if case is None:
        raise PermanentFailure("the case is not known to intake")
    return case


def _with_units(case: CaseRecord, *unit_ids: str) -> list[str]:
    """The units given a part in the case, these too (they may see the report's photos)."""
    return sorted({*case.unit_ids, *unit_ids})


async def note_dispatched(event: CaseDispatched, uow: UnitOfWork) -> None:
    case = await known_case(uow, event.case_id)
    values = {"unit_name": event.unit_name, "updated_at": datetime.now(UTC),
              "unit_ids": _with_units(case, event.unit_id, *event.assisting_unit_ids)}
    if CaseStatus(case.status).rank < CaseStatus.DISPATCHED.rank:
        values["status"] = CaseStatus.DISPATCHED
    await uow.store.update_case(event.case_id, **values)
    await uow.store.add_timeline(event.case_id, event.dispatched_at, line("dispatched", unit=event.unit_name),
                                 uow.causation_id)


async def note_expected_completion(event: CaseDeadlineSet, uow: UnitOfWork) -> None:
    if event.kind is not DeadlineKind.COMPLETION:
        return
    await known_case(uow, event.case_id)
    await uow.store.update_case(event.case_id, expected_at=event.due_at, updated_at=datetime.now(UTC))


async def note_completed(event: CaseCompleted, uow: UnitOfWork) -> None:
    """The resident may now judge the result; each completion is a new round of verdicts."""
    case = await known_case(uow, event.case_id)
    await uow.store.update_case(event.case_id, status=CaseStatus.COMPLETED, unit_name=event.unit_name,
                                completion_round=case.completion_round + 1, answer=mask_personal_text(event.result),
                                answer_photo_ids=[str(p) for p in event.photo_ids], updated_at=datetime.now(UTC))
    await uow.store.add_timeline(event.case_id, event.completed_at,
                                 line("completed", unit=event.unit_name, result=mask_personal_text(event.result)),
                                 uow.causation_id)


async def note_supervisor(event: CaseSupervisorAssigned, uow: UnitOfWork) -> None:
    """The supervisor watching the case: of supervisors, the one who may call its residents back."""
    await known_case(uow, event.case_id)
    await uow.store.update_case(event.case_id, supervisor_id=event.supervisor_id)


async def note_signed(event: CaseSigned, uow: UnitOfWork) -> None:
    await known_case(uow, event.case_id)
    await uow.store.add_timeline(event.case_id, event.signed_at, line("signed", unit=event.unit_name),
                                 uow.causation_id)


async def note_progress(event: CaseProgressNoted, uow: UnitOfWork) -> None:
    await known_case(uow, event.case_id)
    await uow.store.add_timeline(event.case_id, event.noted_at,
                                 line("progress", text=mask_personal_text(event.text)), uow.causation_id)


async def note_returned(event: CaseReturned, uow: UnitOfWork) -> None:
    """The resident hears that the case is being placed again, not why a unit gave it back."""
    await known_case(uow, event.case_id)
    await uow.store.update_case(event.case_id, unit_name=None, updated_at=datetime.now(UTC))
    await uow.store.add_timeline(event.case_id, event.returned_at, line("rerouting"), uow.causation_id)


async def _now_handled_by(uow: UnitOfWork, case_id: UUID, unit_name: str, at: datetime, unit_id: str) -> None:
    """Another unit now handles the case: the resident sees its name."""
    case = await known_case(uow, case_id)
    await uow.store.update_case(case_id, unit_name=unit_name, updated_at=datetime.now(UTC),
                                unit_ids=_with_units(case, unit_id))
    await uow.store.add_timeline(case_id, at, line("now_handled_by", unit=unit_name), uow.causation_id)


async def note_claimed(event: CaseClaimed, uow: UnitOfWork) -> None:
    await _now_handled_by(uow, event.case_id, event.unit_name, event.claimed_at, event.unit_id)


async def note_transferred(event: CaseTransferred, uow: UnitOfWork) -> None:
    await _now_handled_by(uow, event.case_id, event.unit_name, event.transferred_at, event.unit_id)


async def note_redispatched(event: CaseRedispatched, uow: UnitOfWork) -> None:
    await _now_handled_by(uow, event.case_id, event.unit_name, event.redispatched_at, event.unit_id)


async def note_reopened(event: CaseReopened, uow: UnitOfWork) -> None:
    """The resident was not satisfied: the case is handled again (the only move back in status, once per round)."""
    case = await known_case(uow, event.case_id)
    if case.status != CaseStatus.COMPLETED or case.completion_round != event.round:
        return  # a later round is already under way or done: this reopening is old news
    await uow.store.update_case(event.case_id, status=CaseStatus.DISPATCHED, updated_at=datetime.now(UTC))
    await uow.store.add_timeline(event.case_id, event.reopened_at, line("reopened"), uow.causation_id)


async def note_explained(event: CaseExplained, uow: UnitOfWork) -> None:
    """What cannot be solved soon: the resident reads the unit's explanation and the date it plans for."""
    await known_case(uow, event.case_id)
    await uow.store.update_case(event.case_id, answer=mask_personal_text(event.explanation))
    await uow.store.add_timeline(event.case_id, event.explained_at,
                                 line("explained", text=mask_personal_text(event.explanation),
                                      date=event.planned_date), uow.causation_id)


async def note_extension(event: CaseExtensionDecided, uow: UnitOfWork) -> None:
    """The resident is told when the unit was given more time (a refusal changes nothing they would see)."""
    if not event.approved or event.due_at is None:
        return
    await known_case(uow, event.case_id)
    await uow.store.add_timeline(event.case_id, event.decided_at,
                                 line("extended", date=event.due_at.astimezone(LOCAL_ZONE)), uow.causation_id)


async def note_meeting_called(event: CaseExplanationMeetingCalled, uow: UnitOfWork) -> None:
    await known_case(uow, event.case_id)
    await uow.store.add_timeline(event.case_id, event.called_at, line("meeting_called"), uow.causation_id)


async def note_summoned(event: CaseJointHandlingStarted, uow: UnitOfWork) -> None:
    """Units summoned to handle the case together may see its photos too."""
    case = await known_case(uow, event.case_id)
    await uow.store.update_case(event.case_id, unit_ids=_with_units(case, *event.unit_ids))


async def note_meeting_scheduled(event: CaseExplanationMeetingScheduled, uow: UnitOfWork) -> None:
    """The residents read the meeting's date and place; the matter is expected to be settled by then."""
    await known_case(uow, event.case_id)
    await uow.store.update_case(event.case_id, expected_at=event.scheduled_for, updated_at=datetime.now(UTC))
    await uow.store.add_timeline(event.case_id, event.scheduled_at,
                                 line("meeting_scheduled", date=event.scheduled_for.astimezone(LOCAL_ZONE), place=event.place),
                                 uow.causation_id)


async def note_meeting_held(event: CaseExplanationMeetingHeld, uow: UnitOfWork) -> None:
    await known_case(uow, event.case_id)
    wording = "meeting_held_accepted" if event.accepted else "meeting_held_handled_again"
    await uow.store.add_timeline(event.case_id, event.held_at, line(wording), uow.causation_id)
