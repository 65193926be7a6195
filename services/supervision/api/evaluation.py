"""Supervision's routes for evaluation beyond the resident's verdict: explanation meetings once the reopenings are
used up, wide-impact cases, and the three-party panels that rate units on them each quarter."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from services.supervision.adapters import tables
from services.supervision.api.cases import CaseSummary, case_summary
from services.supervision.api.scope import cases_within
from services.supervision.commands import evaluation
from services.supervision.commands.meetings import record_meeting, schedule_meeting
from services.supervision.domain.panels import PARTIES, standings
from services.supervision.domain.periods import period_bounds
from services.supervision.domain.statuses import CaseStatus
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.params import RowId
from shared.local_time import LOCAL_ZONE, LocalDatetime
from shared.persistence.scopes import within_scope
from shared.reference.keeping import names as kept_names

router = APIRouter(prefix="/v1", tags=["evaluation"])
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Quarter = Annotated[str, StringConstraints(pattern=r"^20\d\dQ[1-4]$")]
AreaId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
Score = Annotated[int, Field(ge=1, le=5)]


class MeetingView(BaseModel):
    id: int
    case_id: UUID
    round: int
    reason: str
    called_at: LocalDatetime
    status: Literal["called", "scheduled", "held"]
    scheduled_for: LocalDatetime | None
    place: str | None
    held_at: LocalDatetime | None
    summary: str | None
    accepted: bool | None


def _meeting(r) -> MeetingView:
    return MeetingView(id=r.id, case_id=r.case_id, round=r.round, reason=r.reason, called_at=r.called_at,
                       status=r.status, scheduled_for=r.scheduled_for, place=r.place, held_at=r.held_at,
                       summary=r.summary, accepted=r.accepted)


@router.get("/meetings", response_model=list[MeetingView],
            summary="Explanation meetings (情况说明会) of cases within the supervisor's scope, oldest first")
async def meetings(principal: CurrentPrincipal, session: ReadSession,
                   status: Annotated[Literal["called", "scheduled", "held"] | None, Query()] = None
                   ) -> list[MeetingView]:
    m = tables.meetings.c
    query = select(tables.meetings).join(tables.cases, tables.cases.c.id == m.case_id).where(cases_within(principal))
    if status:
        query = query.where(m.status == status)
    return [_meeting(r) for r in (await session.execute(query.order_by(m.called_at).limit(500))).all()]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheduled_for: LocalDatetime
    place: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


@router.post("/meetings/{meeting_id}/schedule", response_model=MeetingView,
             summary="Set the meeting's date and place")
async def schedule(meeting_id: RowId, body: ScheduleIn, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> MeetingView:
    async with uow:
        meeting = await schedule_meeting(uow, meeting_id, scheduled_for=body.scheduled_for, place=body.place,
                                                   scope=principal.scope, by=principal.subject)
    return _meeting(meeting)


class HeldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: Text
    accepted: bool = Field(description="The residents understood and accepted the explanation")


@router.post("/meetings/{meeting_id}/record", response_model=MeetingView,
             summary="Record the meeting: accepted closes the matter; not accepted reopens the case once more")
async def record(meeting_id: RowId, body: HeldIn, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> MeetingView:
    async with uow:
        meeting = await record_meeting(uow, meeting_id, summary=body.summary, accepted=body.accepted,
                                                 scope=principal.scope, by=principal.subject)
    return _meeting(meeting)


class WideImpactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


@router.post("/cases/{case_id}/wide-impact", response_model=CaseSummary,
             summary="Mark a case as wide-impact (its result goes before the quarter's panel)")
async def mark_wide_impact(case_id: UUID, body: WideImpactIn, principal: CurrentPrincipal,
                           uow: UnitOfWorkDep) -> CaseSummary:
    async with uow:
        case = await evaluation.mark_wide_impact(uow, case_id, reason=body.reason,
                                                 scope=principal.scope, by=principal.subject)
        names = await uow.store.names()
    return CaseSummary(**case_summary(case, names))


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: Literal["community", "party_member", "resident"]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] = Field(
        description="Kept masked")


class PanelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quarter: Quarter
    street_id: AreaId
    members: list[Member] = Field(min_length=3, max_length=15)


class PanelView(BaseModel):
    id: UUID
    quarter: str
    street_id: str
    members: list[Member]
    created_at: LocalDatetime


def _panel(r) -> PanelView:
    return PanelView(id=r.id, quarter=r.quarter, street_id=r.street_id, members=r.members, created_at=r.created_at)


@router.post("/panels", response_model=PanelView, status_code=201,
             summary="Seat a three-party panel for a street and a quarter (community, party-member and resident "
                     "representatives)")
async def seat_panel(body: PanelIn, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> PanelView:
    async with uow:
        panel = await evaluation.seat_panel(uow, quarter=body.quarter, street_id=body.street_id,
                                            members=[(m.party, m.name) for m in body.members],
                                            scope=principal.scope, by=principal.subject)
    return _panel(panel)


@router.get("/panels", response_model=list[PanelView],
            summary="The panels seated for streets within the caller's scope, the latest quarter first")
async def panels(principal: CurrentPrincipal, session: ReadSession,
                 quarter: Annotated[Quarter | None, Query()] = None) -> list[PanelView]:
    p = tables.panels.c
    query = select(tables.panels).where(within_scope((p.district_id, p.street_id), principal.scope))
    if quarter:
        query = query.where(p.quarter == quarter)
    return [_panel(r) for r in (await session.execute(query.order_by(p.quarter.desc(), p.street_id).limit(200))).all()]


async def _panel_row(session, principal, panel_id: UUID):
    row = (await session.execute(select(tables.panels).where(tables.panels.c.id == panel_id))).first()
    if row is None or not principal.covers((row.district_id, row.street_id)):
        raise ApiError(404, "not_found", "no such panel", "panel_id")
    return row


def _wide_impact_cases(panel):
    """The panel's docket: wide-impact cases of its street completed in its quarter."""
    c = tables.cases.c
    start, end = period_bounds(panel.quarter, LOCAL_ZONE)
    return select(tables.cases).where(c.district_id == panel.district_id, c.street_id == panel.street_id,
                                      c.wide_impact, c.status == CaseStatus.COMPLETED, c.completed_at >= start,
                                      c.completed_at < end)


class DocketCase(CaseSummary):
    residents_affected: int
    completed_at: LocalDatetime | None
    rated: bool


@router.get("/panels/{panel_id}/cases", response_model=list[DocketCase],
            summary="The panel's docket: its street's wide-impact cases completed in its quarter")
async def docket(panel_id: UUID, principal: CurrentPrincipal, session: ReadSession) -> list[DocketCase]:
    panel = await _panel_row(session, principal, panel_id)
    rated = set((await session.execute(select(tables.panel_ratings.c.case_id).where(
        tables.panel_ratings.c.panel_id == panel_id))).scalars())
    rows = (await session.execute(_wide_impact_cases(panel).order_by(tables.cases.c.completed_at))).all()
    names = await kept_names(session)
    return [DocketCase(**case_summary(r, names), residents_affected=r.residents_affected, completed_at=r.completed_at,
                       rated=r.id in rated) for r in rows]


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: UUID
    community: Score
    party_member: Score
    resident: Score
    comment: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=2000)] = None


@router.post("/panels/{panel_id}/ratings", status_code=201, response_model=RatingIn,
             summary="Record the panel's rating of the unit that handled a case on its docket (once per case)")
async def rate(panel_id: UUID, body: RatingIn, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> RatingIn:
    async with uow:
        comment = await evaluation.rate_case(uow, panel_id, body.case_id,
                                             scores={p: getattr(body, p) for p in PARTIES}, comment=body.comment,
                                             scope=principal.scope, by=principal.subject)
    return body.model_copy(update={"comment": comment})


class StandingView(BaseModel):
    unit_id: str
    cases: int
    community: float
    party_member: float
    resident: float
    overall: float


@router.get("/panels/{panel_id}/results", response_model=list[StandingView],
            summary="The units the panel rated, by the mean of the three parties' scores, best first")
async def results(panel_id: UUID, principal: CurrentPrincipal, session: ReadSession) -> list[StandingView]:
    await _panel_row(session, principal, panel_id)
    r = tables.panel_ratings.c
    rows = (await session.execute(select(r.unit_id, r.community, r.party_member, r.resident)
                                  .where(r.panel_id == panel_id))).all()
    return [StandingView(unit_id=s.unit_id, cases=s.cases, community=s.community, party_member=s.party_member,
                         resident=s.resident, overall=s.overall) for s in standings(tuple(x) for x in rows)]
