"""Intake's handler table: the events it reacts to, and what each one changes in the resident's view of a case."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.intake.adapters import tables
from services.intake.commands import add_timeline, locked_case
from services.intake.domain.cases import CaseStatus
from shared.events import (
    CaseCallbackRequested,
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineSet,
    CaseDispatched,
    CaseExplained,
    CaseExplanationMeetingCalled,
    CaseExplanationMeetingHeld,
    CaseExtensionDecided,
    CaseProgressNoted,
    CaseRedispatched,
    CaseReopened,
    CaseReturned,
    CaseSigned,
    CaseTransferred,
    DeadlineKind,
)
from shared.local_time import LOCAL_ZONE
from shared.masking import mask_numbers_in_text
from shared.messaging.consumer import PermanentFailure
from shared.messaging.unit_of_work import UnitOfWork


async def _case(uow: UnitOfWork, case_id):
    case = await locked_case(uow.session, case_id)
    if case is None:
        raise PermanentFailure("the case is not known to intake")
    return case


async def on_case_dispatched(event: CaseDispatched, uow: UnitOfWork) -> None:
    case = await _case(uow, event.case_id)
    values = {"unit_name": event.unit_name, "updated_at": datetime.now(UTC)}
    if CaseStatus(case.status).rank < CaseStatus.DISPATCHED.rank:
        values["status"] = CaseStatus.DISPATCHED
    await uow.session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id).values(**values))
    await add_timeline(uow.session, event.case_id, event.dispatched_at, "dispatched",
                       f"已派发至{event.unit_name}办理", f"Dispatched to {event.unit_name}", uow.causation_id)


async def on_case_deadline_set(event: CaseDeadlineSet, uow: UnitOfWork) -> None:
    if event.kind is not DeadlineKind.COMPLETION:
        return
    await _case(uow, event.case_id)
    await uow.session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id)
                              .values(expected_at=event.due_at, updated_at=datetime.now(UTC)))


async def on_case_completed(event: CaseCompleted, uow: UnitOfWork) -> None:
    """The resident may now judge the result; each completion is a new round of verdicts."""
    case = await _case(uow, event.case_id)
    await uow.session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id).values(
        status=CaseStatus.COMPLETED, unit_name=event.unit_name, completion_round=case.completion_round + 1,
        updated_at=datetime.now(UTC)))
    result = mask_numbers_in_text(event.result)
    await add_timeline(uow.session, event.case_id, event.completed_at, "completed",
                       f"{event.unit_name}已办结：{result}", f"Completed by {event.unit_name}: {result}",
                       uow.causation_id)


async def on_case_signed(event: CaseSigned, uow: UnitOfWork) -> None:
    await _case(uow, event.case_id)
    await add_timeline(uow.session, event.case_id, event.signed_at, "signed", f"{event.unit_name}已签收",
                       f"Signed for by {event.unit_name}", uow.causation_id)


async def on_case_progress_noted(event: CaseProgressNoted, uow: UnitOfWork) -> None:
    await _case(uow, event.case_id)
    text = mask_numbers_in_text(event.text)
    await add_timeline(uow.session, event.case_id, event.noted_at, "progress", f"办理进展：{text}",
                       f"Progress: {text}", uow.causation_id)


async def on_case_returned(event: CaseReturned, uow: UnitOfWork) -> None:
    """The resident hears that the case is being placed again, not why a unit gave it back."""
    await _case(uow, event.case_id)
    await uow.session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id)
                              .values(unit_name=None, updated_at=datetime.now(UTC)))
    await add_timeline(uow.session, event.case_id, event.returned_at, "rerouting", "正在重新确定承办单位",
                       "A unit is being chosen again", uow.causation_id)


async def _now_handled_by(uow: UnitOfWork, case_id, unit_name: str, at: datetime) -> None:
    """Another unit now handles the case: the resident sees its name."""
    await _case(uow, case_id)
    await uow.session.execute(update(tables.cases).where(tables.cases.c.id == case_id)
                              .values(unit_name=unit_name, updated_at=datetime.now(UTC)))
    await add_timeline(uow.session, case_id, at, "dispatched", f"改由{unit_name}办理", f"Now handled by {unit_name}",
                       uow.causation_id)


async def on_case_claimed(event: CaseClaimed, uow: UnitOfWork) -> None:
    await _now_handled_by(uow, event.case_id, event.unit_name, event.claimed_at)


async def on_case_transferred(event: CaseTransferred, uow: UnitOfWork) -> None:
    await _now_handled_by(uow, event.case_id, event.unit_name, event.transferred_at)


async def on_case_redispatched(event: CaseRedispatched, uow: UnitOfWork) -> None:
    await _now_handled_by(uow, event.case_id, event.unit_name, event.redispatched_at)


async def on_case_reopened(event: CaseReopened, uow: UnitOfWork) -> None:
    """The resident was not satisfied: the case is handled again (the only move back in status, once per round)."""
    case = await _case(uow, event.case_id)
    if case.status != CaseStatus.COMPLETED or case.completion_round != event.round:
        return  # a later round is already under way or done: this reopening is old news
    await uow.session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id).values(
        status=CaseStatus.DISPATCHED, updated_at=datetime.now(UTC)))
    await add_timeline(uow.session, event.case_id, event.reopened_at, "reopened", "您的评价为不满意，已重新交办",
                       "You were not satisfied: the case is being handled again", uow.causation_id)


async def on_case_explained(event: CaseExplained, uow: UnitOfWork) -> None:
    """What cannot be solved soon: the resident reads the unit's explanation and the date it plans for."""
    await _case(uow, event.case_id)
    text = mask_numbers_in_text(event.explanation)
    await add_timeline(uow.session, event.case_id, event.explained_at, "explained",
                       f"承办单位说明：{text}；计划于{event.planned_date:%Y-%m-%d}前解决",
                       f"The unit explains: {text}; planned by {event.planned_date:%Y-%m-%d}", uow.causation_id)


async def on_case_extension_decided(event: CaseExtensionDecided, uow: UnitOfWork) -> None:
    """The resident is told when the unit was given more time (a refusal changes nothing they would see)."""
    if not event.approved or event.due_at is None:
        return
    await _case(uow, event.case_id)
    local = event.due_at.astimezone(LOCAL_ZONE)
    await add_timeline(uow.session, event.case_id, event.decided_at, "extended",
                       f"经督办部门批准，办理期限延长至{local:%Y-%m-%d}",
                       f"Supervision gave the unit until {local:%Y-%m-%d}", uow.causation_id)


async def on_case_callback_requested(event: CaseCallbackRequested, uow: UnitOfWork) -> None:
    """No verdict came in time: a task for the operators, unless a verdict arrived meanwhile."""
    await _case(uow, event.case_id)
    v = tables.verdicts.c
    judged = await uow.session.scalar(select(v.id).where(v.case_id == event.case_id, v.round == event.round).limit(1))
    await uow.session.execute(pg_insert(tables.callback_tasks).values(
        case_id=event.case_id, round=event.round, requested_at=event.requested_at,
        done_at=event.requested_at if judged else None, done_by="resident" if judged else None,
    ).on_conflict_do_nothing())


async def on_case_explanation_meeting_called(event: CaseExplanationMeetingCalled, uow: UnitOfWork) -> None:
    await _case(uow, event.case_id)
    await add_timeline(uow.session, event.case_id, event.called_at, "meeting_called",
                       "多次办理后您仍不满意，将召开情况说明会，由承办单位和督办人员当面说明",
                       "You are still not satisfied: the unit and the supervisor will explain the case at a meeting",
                       uow.causation_id)


async def on_case_explanation_meeting_held(event: CaseExplanationMeetingHeld, uow: UnitOfWork) -> None:
    await _case(uow, event.case_id)
    zh, en = (("情况说明会已召开，居民表示理解", "The meeting was held and the residents accepted the explanation")
              if event.accepted else ("情况说明会已召开，将再次交办", "The meeting was held; the case is handled again"))
    await add_timeline(uow.session, event.case_id, event.held_at, "meeting_held", zh, en, uow.causation_id)


#: Every event intake reacts to, and its handler.
HANDLERS = {
    CaseDispatched: on_case_dispatched,
    CaseDeadlineSet: on_case_deadline_set,
    CaseCompleted: on_case_completed,
    CaseSigned: on_case_signed,
    CaseProgressNoted: on_case_progress_noted,
    CaseReturned: on_case_returned,
    CaseClaimed: on_case_claimed,
    CaseTransferred: on_case_transferred,
    CaseRedispatched: on_case_redispatched,
    CaseReopened: on_case_reopened,
    CaseExplained: on_case_explained,
    CaseExtensionDecided: on_case_extension_decided,
    CaseCallbackRequested: on_case_callback_requested,
    CaseExplanationMeetingCalled: on_case_explanation_meeting_called,
    CaseExplanationMeetingHeld: on_case_explanation_meeting_held,
}
