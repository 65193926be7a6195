"""Supervision's routes for supervisors: their remit (areas and sub-items, edited by an admin) and the cases each
watches, with the state of their clocks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select

from services.supervision.adapters import tables
from services.supervision.api.cases import CaseSummary, case_summary
from services.supervision.commands import people
from services.supervision.domain.statuses import CaseStatus
from shared.http.access import CurrentPrincipal, require_district_scope
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.local_time import LocalDatetime
from shared.reference.keeping import names as kept_names

router = APIRouter(prefix="/v1", tags=["supervisors"])
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class SupervisorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    areas: list[Id] = Field(default_factory=list, max_length=200, description="Street, community or grid ids of "
                            "the jurisdiction's map (intake's areas); none: the whole jurisdiction")
    categories: list[Id] = Field(default_factory=list, max_length=100, description="Sub-items; none: all")
    active: bool = True


class SupervisorView(SupervisorIn):
    id: str
    open_cases: int = 0


@router.get("/supervisors", response_model=list[SupervisorView],
            summary="The jurisdiction's supervisors, their remit and how many open cases each watches")
async def list_supervisors(principal: CurrentPrincipal, session: ReadSession) -> list[SupervisorView]:
    s, c = tables.supervisors.c, tables.cases.c
    load = (select(c.supervisor_id, func.count().label("n")).where(c.status != CaseStatus.COMPLETED)
            .group_by(c.supervisor_id).subquery())
    rows = (await session.execute(
        select(tables.supervisors, func.coalesce(load.c.n, 0).label("open_cases"))
        .join(load, load.c.supervisor_id == s.id, isouter=True)
        .where(s.jurisdiction_id == principal.jurisdiction).order_by(s.id))).all()
    return [SupervisorView(id=r.id, name=r.name, areas=r.areas, categories=r.categories, active=r.active,
                           open_cases=r.open_cases) for r in rows]


@router.put("/supervisors/{supervisor_id}", response_model=SupervisorView,
            summary="Add a supervisor or change one's remit; cases dispatched from now on follow it")
async def put_supervisor(supervisor_id: Id, body: SupervisorIn, principal: CurrentPrincipal,
                         uow: UnitOfWorkDep) -> SupervisorView:
    require_district_scope(principal)
    async with uow:
        await people.set_supervisor(uow, supervisor_id, body.model_dump(), jurisdiction=principal.jurisdiction)
    return SupervisorView(id=supervisor_id, **body.model_dump())


class WatchedCase(CaseSummary):
    next_due_at: LocalDatetime | None = Field(description="The earliest deadline still running")
    breached: bool = Field(description="A running deadline has passed")


@router.get("/supervisors/me/cases", response_model=list[WatchedCase],
            summary="The cases the calling supervisor watches, late ones first")
async def my_cases(principal: CurrentPrincipal, session: ReadSession,
                   status: Annotated[Literal["open", "completed", "all"], Query()] = "open",
                   late: Annotated[bool, Query(description="Only cases with a passed deadline")] = False,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[WatchedCase]:
    c, d = tables.cases.c, tables.deadlines.c
    clocks = (select(d.case_id, func.min(d.due_at).label("next_due_at"),
                     func.bool_or(d.breached_at.is_not(None)).label("breached"))
              .where(d.status != "closed").group_by(d.case_id).subquery())
    query = (select(tables.cases, clocks.c.next_due_at, func.coalesce(clocks.c.breached, False).label("late"))
             .join(clocks, clocks.c.case_id == c.id, isouter=True).where(c.supervisor_id == principal.subject))
    if status == "open":
        query = query.where(c.status != CaseStatus.COMPLETED)
    elif status == "completed":
        query = query.where(c.status == CaseStatus.COMPLETED)
    if late:
        query = query.where(clocks.c.breached.is_(True))
    rows = (await session.execute(query.order_by(func.coalesce(clocks.c.breached, False).desc(),
                                                 clocks.c.next_due_at.asc().nulls_last(), c.id).limit(limit))).all()
    names = await kept_names(session)
    return [WatchedCase(**case_summary(r, names), next_due_at=r.next_due_at, breached=r.late) for r in rows]
