"""Dispatch's HTTP routes: a unit's queue, the triage queue, one case with its history, and the unit's actions on
its cases (sign for, note progress, complete, return), each under optimistic concurrency and an idempotency key."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from services.dispatch import lifecycle, tables
from services.dispatch.commands import act
from shared.auth import Principal, Role
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.idempotency import IdempotencyGuard, IdempotencyKey
from shared.http.security import CurrentPrincipal, require_roles

router = APIRouter(prefix="/v1", tags=["dispatch"])


class HistoryEntry(BaseModel):
    at: datetime
    action: str
    unit_id: str | None
    rule_id: str | None
    note: str


class CaseView(BaseModel):
    case_id: UUID
    status: str
    category: str
    grid_id: str
    lead_unit_id: str | None
    assisting_unit_ids: list[str]
    rule_id: str | None
    version: int
    reported_at: datetime
    history: list[HistoryEntry] = []


def _view(row, history=()) -> CaseView:
    return CaseView(case_id=row.id, status=row.status, category=row.category_code, grid_id=row.area["grid_id"],
                    lead_unit_id=row.lead_unit_id, assisting_unit_ids=row.assisting_unit_ids, rule_id=row.rule_id,
                    version=row.version, reported_at=row.reported_at,
                    history=[HistoryEntry(at=h.at, action=h.action, unit_id=h.unit_id, rule_id=h.rule_id,
                                          note=h.note) for h in history])


def _sees_unit(principal: Principal, unit_id: str | None) -> bool:
    if principal.role in (Role.DISPATCHER, Role.ADMIN, Role.SUPERVISOR):
        return True
    return principal.role is Role.UNIT_STAFF and principal.unit_id is not None and principal.unit_id == unit_id


@router.get("/units/{unit_id}/queue", response_model=list[CaseView], summary="A unit's cases")
async def unit_queue(unit_id: str, principal: CurrentPrincipal, session: ReadSession,
                     status: Annotated[str | None, Query(pattern=r"^[a-z_]{3,20}$")] = None) -> list[CaseView]:
    if not _sees_unit(principal, unit_id):
        raise ApiError(404, "not_found", "no such unit queue", "unit_id")
    c = tables.cases.c
    query = select(tables.cases).where(c.lead_unit_id == unit_id).order_by(c.reported_at)
    if status:
        query = query.where(c.status == status)
    return [_view(r) for r in (await session.execute(query.limit(500))).all()]


@router.get("/triage", response_model=list[CaseView], dependencies=[require_roles(Role.DISPATCHER)],
            summary="Cases no rule could place, for the linkage centre")
async def triage_queue(session: ReadSession) -> list[CaseView]:
    c = tables.cases.c
    rows = (await session.execute(select(tables.cases).where(c.status == "triage").order_by(c.reported_at))).all()
    return [_view(r) for r in rows]


@router.get("/cases/{case_id}", response_model=CaseView, summary="One case and which rule fired for it")
async def case_detail(case_id: UUID, principal: CurrentPrincipal, session: ReadSession) -> CaseView:
    row = (await session.execute(select(tables.cases).where(tables.cases.c.id == case_id))).first()
    # Another unit's case is a 404, not a 403: its existence is not theirs to know.
    if row is None or not _sees_unit(principal, row.lead_unit_id):
        raise ApiError(404, "not_found", "no such case", "case_id")
    h = tables.history.c
    history = (await session.execute(select(tables.history).where(h.case_id == case_id).order_by(h.id))).all()
    return _view(row, history)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
PhotoRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")]


class UnitAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, description="The case's version as the unit last saw it; a stale one gets 409")


class ProgressIn(UnitAction):
    text: Text
    photos: list[PhotoRef] = Field(default_factory=list, max_length=9)


class CompleteIn(UnitAction):
    result: Text
    photos: list[PhotoRef] = Field(default_factory=list, max_length=9)


class ReturnIn(UnitAction):
    reason: lifecycle.ReturnReason
    text: Text


def _unit_route(scope: str, body_model: type[UnitAction], take):
    """The route of one unit action: the unit's staff only, idempotency key, expected version, one life-cycle step."""

    async def route(case_id: UUID, body: UnitAction, principal: CurrentPrincipal, uow: UnitOfWorkDep,
                    idempotency_key: IdempotencyKey = None):
        if principal.role is not Role.UNIT_STAFF or principal.unit_id is None:
            raise ApiError(403, "forbidden", "only a unit's staff act on its cases")
        guard = IdempotencyGuard(tables.idempotency_keys, scope=f"{scope} {principal.unit_id}")
        async with uow:
            if idempotency_key:
                first = await guard.claim(uow.session, idempotency_key,
                                          {"case_id": str(case_id), **body.model_dump(mode="json")})
                if first is not None:
                    return JSONResponse(first.body, status_code=first.status_code,
                                        headers={"Idempotent-Replayed": "true"})
            await act(uow, case_id, unit_id=principal.unit_id, expected_version=body.version,
                      take=lambda case: take(case, principal.unit_id, body))
            row = (await uow.session.execute(select(tables.cases).where(tables.cases.c.id == case_id))).one()
            view = _view(row)
            if idempotency_key:
                await guard.remember(uow.session, idempotency_key, 200, view.model_dump(mode="json"))
        return view

    # The body's model differs per action; FastAPI reads it from the annotation.
    route.__annotations__ = {**route.__annotations__, "body": body_model}
    return route


#: What a unit does to its cases: path, body, the life-cycle step, summary. One line per action.
UNIT_ACTIONS = (
    ("sign", UnitAction, lambda case, unit, body: lifecycle.sign(case, unit),
     "The lead unit signs for a dispatched case"),
    ("progress", ProgressIn, lambda case, unit, body: lifecycle.note_progress(case, unit, body.text, body.photos),
     "The lead unit notes progress"),
    ("complete", CompleteIn, lambda case, unit, body: lifecycle.complete(case, unit, body.result, body.photos),
     "The lead unit completes the case (after every assisting unit reported its part)"),
    ("return", ReturnIn, lambda case, unit, body: lifecycle.return_case(case, unit, body.reason, body.text),
     "The lead unit gives the case back with a reason code; it goes to triage"),
)

for _path, _model, _take, _summary in UNIT_ACTIONS:
    router.add_api_route(f"/cases/{{case_id}}/{_path}", _unit_route(_path, _model, _take), methods=["POST"],
                         response_model=CaseView, summary=_summary, name=f"unit_{_path}")
