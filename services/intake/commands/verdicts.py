"""The resident's verdict on a completion, given online or on an operator's call-back, the call-back task when
none came in time, and the call-backs units ask for (a question for the resident, answered by an operator)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.intake.adapters.store import IntakeStore
from services.intake.commands.cases import known_case
from services.intake.domain.cases import CaseStatus
from services.intake.domain.reports import reporter_ref
from services.intake.domain.timeline import line
from shared.events import (
    CaseCallbackRequested,
    CaseResidentCallbackAnswered,
    CaseResidentCallbackAsked,
    EvaluationSubmitted,
    Verdict,
)
from shared.masking import mask_personal_text
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused


async def submit_verdict(uow: UnitOfWork, case_id: UUID, verdict: Verdict, comment: str | None, *, via: str,
                         submitter: str | None, resolved: bool | None = None) -> int:
    """A verdict on the case's latest completion; one per resident and round, whether the resident gave it online or
    an operator took it on a call-back (``submitter`` None: for the case's first reporter). Returns the round."""
    store: IntakeStore = uow.store
    case = await store.lock_case(case_id)
    if case is None:
        raise Refused("not_found", "no such case", "case_id", status=404)
    if case.status != CaseStatus.COMPLETED or case.completion_round == 0:
        raise Refused("not_completed", "a verdict can be given once the case is completed", "verdict", status=409)
    submitter = submitter or reporter_ref(case.reporter_id, case.id)
    now = datetime.now(UTC)
    if not await store.add_verdict(case_id, round=case.completion_round, submitter=submitter, verdict=verdict,
                                   comment=comment, via=via, at=now):
        raise Refused("already_evaluated", "a verdict was already given for this completion", "verdict", status=409)
    await store.close_callback_task(case_id, round=case.completion_round, at=now,
                                    by="resident" if via == "resident" else "operator")
    await store.add_timeline(case_id, now, line(f"evaluated_{Verdict(verdict).value}"),
                             f"verdict-{case.completion_round}-{submitter}")
    uow.record(EvaluationSubmitted(
        case_id=case_id, round=case.completion_round, verdict=verdict,
        resolved=resolved if resolved is not None else verdict is not Verdict.DISSATISFIED,
        comment=mask_personal_text(comment) if comment else None, via=via,
        reporter_ref=submitter if submitter.startswith(("rp-", "anon-")) else None, submitted_at=now))
    return case.completion_round


async def open_callback_task(event: CaseCallbackRequested, uow: UnitOfWork) -> None:
    """No verdict came in time: a task for the operators, unless a verdict arrived meanwhile."""
    await known_case(uow, event.case_id)
    judged = await uow.store.has_verdict(event.case_id, event.round)
    await uow.store.add_callback_task(event.case_id, round=event.round, requested_at=event.requested_at,
                                      done_at=event.requested_at if judged else None,
                                      done_by="resident" if judged else None)


async def take_unit_question(event: CaseResidentCallbackAsked, uow: UnitOfWork) -> None:
    """A unit asks the operators to call the resident back: a task on their call-back list."""
    await known_case(uow, event.case_id)
    await uow.store.add_unit_callback(event.request_id, event.case_id, unit_id=event.unit_id,
                                      question=event.question, asked_at=event.asked_at)


async def answer_unit_question(uow: UnitOfWork, request_id: UUID, *, reached: bool, answer: str, by: str) -> UUID:
    """What the resident said when the operator called (or that they could not be reached), back to the unit."""
    now = datetime.now(UTC)
    answer = mask_personal_text(answer.strip())[:1000]
    asked = await uow.store.answer_unit_callback(request_id, reached=reached, answer=answer, by=by, at=now)
    if asked is None:
        raise Refused("not_found", "no such open call-back request", "request_id", status=404)
    uow.record(CaseResidentCallbackAnswered(case_id=asked["case_id"], request_id=request_id,
                                            unit_id=asked["unit_id"], reached=reached, answer=answer,
                                            answered_at=now))
    return asked["case_id"]
