"""Supervision's HTTP routes: the clocks running on a case, units' extension requests and their decisions, and a
supervisor's urging."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from services.supervision.adapters import tables
from services.supervision.api.scope import cases_within, visible_case
from services.supervision.commands import extensions
from shared.events import EscalationLevel
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.idempotency import IdempotencyGuard, IdempotencyKey
from shared.http.messages import LANGUAGE
from shared.http.params import RowId
from shared.local_time import LocalDatetime
from shared.reference.labels import label
from shared.reference.names import Names

router = APIRouter(prefix="/v1", tags=["supervision"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class CaseSummary(BaseModel):
    """What supervision shows of a case in a list: where, what, who has it and how far up the ladder it went."""

    case_id: UUID
    category_code: str
    category_name: str = Field(description="Names in the reader's language (Accept-Language)")
    street_id: str
    street_name: str
    grid_id: str
    grid_name: str
    unit_id: str | None
    unit_name: str | None
    status: str
    status_name: str
    escalation_level: str | None
    escalation_level_name: str | None


def case_summary(r, names: Names) -> dict:
    locale = LANGUAGE.get()
    return dict(case_id=r.id, category_code=r.category_code, category_name=names.category(r.category_code, locale),
                street_id=r.street_id, street_name=names.area(r.street_id, locale), grid_id=r.grid_id,
                grid_name=names.area(r.grid_id, locale), unit_id=r.unit_id,
                unit_name=names.unit(r.unit_id, locale) if r.unit_id else None, status=r.status,
                status_name=label("state", r.status, locale), escalation_level=r.escalation_level,
                escalation_level_name=label("level", r.escalation_level, locale) if r.escalation_level else None)


class DeadlineView(BaseModel):
    unit_id: str
    kind: str
    started_at: LocalDatetime
    due_at: LocalDatetime
    status: str = Field(description="open, paused or closed")
    policy: str
    warnings: list[tuple[LocalDatetime, float]] = Field(
        description="When the unit is warned, and at what share of its time")
    stages_fired: int
    next_fire_at: LocalDatetime | None
    level: EscalationLevel | None = Field(None, description="The ladder's step, for a reply clock")
    breached_at: LocalDatetime | None
    outcome: str | None = Field(None, description="met, late, answered, explained, handed_over, returned, unanswered")
    closed_at: LocalDatetime | None


@router.get("/cases/{case_id}/deadlines", response_model=list[DeadlineView],
            summary="The clocks of a case, on the working calendar: warnings, breach, the ladder's reply deadlines")
async def case_deadlines(case_id: UUID, principal: CurrentPrincipal, session: ReadSession) -> list[DeadlineView]:
    await visible_case(session, case_id, principal)
    d = tables.deadlines.c
    rows = (await session.execute(select(tables.deadlines).where(d.case_id == case_id).order_by(d.id))).all()
    return [deadline_view(r) for r in rows]


def deadline_view(r) -> DeadlineView:
    return DeadlineView(unit_id=r.unit_id, kind=r.kind, started_at=r.started_at, due_at=r.due_at, status=r.status,
                        policy=r.policy, warnings=[(datetime.fromisoformat(a), t) for a, t in r.warnings],
                        stages_fired=r.fired, next_fire_at=r.next_fire_at, level=r.level, breached_at=r.breached_at,
                        outcome=r.outcome, closed_at=r.closed_at)


class TimelineEntry(BaseModel):
    at: LocalDatetime
    kind: str
    unit_id: str | None
    text: str
    actor: str | None


@router.get("/cases/{case_id}/timeline", response_model=list[TimelineEntry],
            summary="Supervision's timeline of a case: clocks, warnings, breaches, each step of the ladder, decisions")
async def case_timeline(case_id: UUID, principal: CurrentPrincipal, session: ReadSession) -> list[TimelineEntry]:
    g = tables.case_log.c
    await visible_case(session, case_id, principal)
    rows = (await session.execute(select(tables.case_log).where(g.case_id == case_id).order_by(g.at, g.id))).all()
    return [TimelineEntry(at=r.at, kind=r.kind, unit_id=r.unit_id, text=r.text, actor=r.actor) for r in rows]


class ExtensionRequestView(BaseModel):
    id: int
    case_id: UUID
    unit_id: str
    reason: str
    proposed_date: date
    requested_at: LocalDatetime
    status: str
    due_at: LocalDatetime | None
    decision_reason: str | None
    decided_at: LocalDatetime | None


def _request_view(r) -> ExtensionRequestView:
    return ExtensionRequestView(id=r.id, case_id=r.case_id, unit_id=r.unit_id, reason=r.reason,
                                proposed_date=r.proposed_date, requested_at=r.requested_at, status=r.status,
                                due_at=r.due_at, decision_reason=r.decision_reason, decided_at=r.decided_at)


@router.get("/extension-requests", response_model=list[ExtensionRequestView],
            summary="Units' requests for more time on cases within the supervisor's scope, oldest first")
async def extension_requests(principal: CurrentPrincipal, session: ReadSession,
                             status: Annotated[Literal["pending", "approved", "refused"], Query()] = "pending",
                             case_id: Annotated[UUID | None, Query()] = None) -> list[ExtensionRequestView]:
    e = tables.extension_requests.c
    query = (select(tables.extension_requests).join(tables.cases, tables.cases.c.id == e.case_id)
             .where(cases_within(principal), e.status == status))
    if case_id is not None:
        query = query.where(e.case_id == case_id)
    return [_request_view(r) for r in (await session.execute(query.order_by(e.requested_at).limit(500))).all()]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    due_date: date | None = Field(None, description="The new completion date if approved (default: the one proposed)")
    reason: Text


@router.post("/extension-requests/{request_id}/decision", response_model=ExtensionRequestView,
             summary="Approve a unit's request with a new completion date, or refuse it with a reason")
async def decide_extension(request_id: RowId, body: DecisionIn, principal: CurrentPrincipal, uow: UnitOfWorkDep,
                           idempotency_key: IdempotencyKey = None):
    guard = IdempotencyGuard(tables.idempotency_keys, scope=f"extension-decision {principal.subject}")
    async with uow:
        if idempotency_key:
            first = await guard.claim(uow.session, idempotency_key,
                                      {"request_id": request_id, **body.model_dump(mode="json")})
            if first is not None:
                return JSONResponse(first.body, status_code=first.status_code, headers={"Idempotent-Replayed": "true"})
        stored = await extensions.decide_extension(uow, request_id, approve=body.approve, due_date=body.due_date,
                                                   reason=body.reason, scope=principal.scope,
                                                   by=principal.subject)
        view = _request_view(stored)
        if idempotency_key:
            await guard.remember(uow.session, idempotency_key, 200, view.model_dump(mode="json"))
    return view


class UrgingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text
    reply_within_hours: int | None = Field(None, ge=1, le=720,
                                           description="Hours the unit has to answer in writing, if it must")


class EscalationView(BaseModel):
    case_id: UUID
    unit_id: str
    level: EscalationLevel
    reply_by: LocalDatetime | None


@router.post("/cases/{case_id}/urging", response_model=EscalationView, status_code=201,
             summary="A supervisor presses the unit handling a case (催办); it shows on the unit's case")
async def urge(case_id: UUID, body: UrgingIn, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> EscalationView:
    async with uow:
        urging = await extensions.urge(uow, case_id, reason=body.reason, reply_within_hours=body.reply_within_hours,
                                       scope=principal.scope, by=principal.subject)
    return EscalationView(case_id=case_id, unit_id=urging.unit_id, level=urging.level, reply_by=urging.reply_by)
