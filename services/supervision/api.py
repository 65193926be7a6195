"""Supervision's HTTP routes: the clocks running on a case, units' extension requests and their decisions, and a
supervisor's urging."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select, update

from services.supervision import tables
from services.supervision.handlers import calendar_of
from shared.auth import Role
from shared.events import CaseDeadlineSet, CaseEscalated, CaseExtensionDecided, DeadlineKind, EscalationLevel
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.idempotency import IdempotencyGuard, IdempotencyKey
from shared.http.security import CurrentPrincipal, require_roles
from shared.masking import mask_numbers_in_text

router = APIRouter(prefix="/v1", tags=["supervision"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class DeadlineView(BaseModel):
    unit_id: str
    kind: str
    due_at: datetime
    status: str
    policy: str


@router.get("/cases/{case_id}/deadlines", response_model=list[DeadlineView],
            dependencies=[require_roles(Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER)],
            summary="Deadlines of a case, on the working calendar")
async def case_deadlines(case_id: UUID, session: ReadSession) -> list[DeadlineView]:
    d = tables.deadlines.c
    rows = (await session.execute(select(tables.deadlines).where(d.case_id == case_id).order_by(d.due_at, d.id))).all()
    return [DeadlineView(unit_id=r.unit_id, kind=r.kind, due_at=r.due_at, status=r.status, policy=r.policy)
            for r in rows]


class ExtensionRequestView(BaseModel):
    id: int
    case_id: UUID
    unit_id: str
    reason: str
    proposed_date: date
    requested_at: datetime
    status: str
    due_at: datetime | None
    decision_reason: str | None
    decided_at: datetime | None


def _request_view(r) -> ExtensionRequestView:
    return ExtensionRequestView(id=r.id, case_id=r.case_id, unit_id=r.unit_id, reason=r.reason,
                                proposed_date=r.proposed_date, requested_at=r.requested_at, status=r.status,
                                due_at=r.due_at, decision_reason=r.decision_reason, decided_at=r.decided_at)


@router.get("/extension-requests", response_model=list[ExtensionRequestView],
            dependencies=[require_roles(Role.SUPERVISOR)],
            summary="Units' requests for more time in the supervisor's jurisdiction, oldest first")
async def extension_requests(principal: CurrentPrincipal, session: ReadSession,
                             status: Annotated[Literal["pending", "approved", "refused"], Query()] = "pending",
                             case_id: Annotated[UUID | None, Query()] = None) -> list[ExtensionRequestView]:
    e = tables.extension_requests.c
    query = select(tables.extension_requests).where(e.district_id == principal.jurisdiction, e.status == status)
    if case_id is not None:
        query = query.where(e.case_id == case_id)
    return [_request_view(r) for r in (await session.execute(query.order_by(e.requested_at).limit(500))).all()]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    due_date: date | None = Field(None, description="The new completion date if approved (default: the one proposed)")
    reason: Text


@router.post("/extension-requests/{request_id}/decision", response_model=ExtensionRequestView,
             dependencies=[require_roles(Role.SUPERVISOR)],
             summary="Approve a unit's request with a new completion date, or refuse it with a reason")
async def decide_extension(request_id: int, body: DecisionIn, principal: CurrentPrincipal, uow: UnitOfWorkDep,
                           idempotency_key: IdempotencyKey = None):
    guard = IdempotencyGuard(tables.idempotency_keys, scope=f"extension-decision {principal.subject}")
    e = tables.extension_requests.c
    async with uow:
        if idempotency_key:
            first = await guard.claim(uow.session, idempotency_key,
                                      {"request_id": request_id, **body.model_dump(mode="json")})
            if first is not None:
                return JSONResponse(first.body, status_code=first.status_code, headers={"Idempotent-Replayed": "true"})
        row = (await uow.session.execute(select(tables.extension_requests).where(e.id == request_id)
                                         .with_for_update())).first()
        if row is None or row.district_id != principal.jurisdiction:
            raise ApiError(404, "not_found", "no such extension request", "request_id")
        if row.status != "pending":
            raise ApiError(409, "already_decided", f"this request was {row.status} already", "request_id")
        now = datetime.now(UTC)
        due_at = None
        if body.approve:
            due_date = body.due_date or row.proposed_date
            if due_date <= now.date():
                raise ApiError(422, "out_of_range", "the new completion date must be after today", "due_date")
            calendar = await calendar_of(uow.session, row.district_id)
            if calendar is None:
                raise ApiError(409, "no_calendar", "the jurisdiction has no working calendar", "request_id")
            due_at = calendar.end_of_working_day(due_date).astimezone(UTC)
        reason = mask_numbers_in_text(body.reason)
        stored = (await uow.session.execute(update(tables.extension_requests).where(e.id == request_id).values(
            status="approved" if body.approve else "refused", due_at=due_at, decided_by=principal.subject,
            decision_reason=reason, decided_at=now).returning(tables.extension_requests))).one()
        uow.record(CaseExtensionDecided(case_id=row.case_id, unit_id=row.unit_id, approved=body.approve,
                                        due_at=due_at, reason=reason, decided_at=now))
        if due_at is not None:
            d = tables.deadlines.c
            await uow.session.execute(update(tables.deadlines).where(
                d.case_id == row.case_id, d.unit_id == row.unit_id, d.kind == DeadlineKind.COMPLETION,
                d.status == "open").values(due_at=due_at, next_fire_at=due_at))
            uow.record(CaseDeadlineSet(case_id=row.case_id, unit_id=row.unit_id, kind=DeadlineKind.COMPLETION,
                                       due_at=due_at, policy="extension", set_at=now))
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
    reply_by: datetime | None


@router.post("/cases/{case_id}/urging", response_model=EscalationView, status_code=201,
             dependencies=[require_roles(Role.SUPERVISOR)],
             summary="A supervisor presses the unit handling a case (催办); it shows on the unit's case")
async def urge(case_id: UUID, body: UrgingIn, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> EscalationView:
    c = tables.cases.c
    async with uow:
        case = (await uow.session.execute(select(tables.cases).where(c.id == case_id))).first()
        if case is None or case.district_id != principal.jurisdiction:
            raise ApiError(404, "not_found", "no such case", "case_id")
        if case.status == "completed" or case.unit_id is None:
            raise ApiError(409, "not_being_handled", "only a case a unit is handling can be urged", "case_id")
        now = datetime.now(UTC)
        reply_by = now + timedelta(hours=body.reply_within_hours) if body.reply_within_hours else None
        uow.record(CaseEscalated(case_id=case_id, unit_id=case.unit_id, level=EscalationLevel.URGING,
                                 reason=mask_numbers_in_text(body.reason), reply_by=reply_by, escalated_at=now))
    return EscalationView(case_id=case_id, unit_id=case.unit_id, level=EscalationLevel.URGING, reply_by=reply_by)
