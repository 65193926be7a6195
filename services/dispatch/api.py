"""Dispatch's HTTP routes: a unit's queue, the triage queue, and one case with its routing history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from services.dispatch import tables
from shared.auth import Principal, Role
from shared.http.dependencies import ReadSession
from shared.http.errors import ApiError
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
