"""Supervision's routes for each jurisdiction's time rules: its working calendar (years loaded, the alarm for a
missing one, holidays and adjusted working days, edited by hand or loaded from the statutory calendar) and its
time-limit policies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from services.supervision.adapters import tables
from services.supervision.adapters.time_rules import policy_of
from services.supervision.commands import time_rules
from services.supervision.domain.calendar import CalendarDay, missing_years, name_zh
from services.supervision.domain.clocks import TimeLimitPolicy
from shared.http.access import CurrentPrincipal, require_district_scope
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError

router = APIRouter(prefix="/v1/jurisdictions", tags=["time rules"])
Year = Annotated[int, Path(ge=2000, le=2100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ClassName = Annotated[str, Path(pattern=r"^[a-z][a-z_-]{0,39}$")]


def _own(principal, jurisdiction_id: str) -> None:
    """Staff of any scope in the district read its time rules (they apply to every street)."""
    if principal.jurisdiction != jurisdiction_id:
        raise ApiError(404, "not_found", "no such jurisdiction", "jurisdiction_id")


def _keep(principal, jurisdiction_id: str) -> None:
    """Only the district's own staff change them."""
    _own(principal, jurisdiction_id)
    require_district_scope(principal)


class DayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    workday: bool = Field(description="false: a holiday; true: an adjusted working day (on a weekend)")
    name: Name


class DayView(DayIn):
    name_zh: str = Field(description="The day's name in Chinese")


class CalendarView(BaseModel):
    jurisdiction_id: str
    timezone: str
    working_hours: list[tuple[str, str]]
    years: dict[int, str] = Field(description="Years loaded, and where from (statutory or edited)")
    missing_years: list[int] = Field(description="Years needed and not loaded: the alarm is raised while any is")
    days: list[DayView] = Field(description="The exceptions to Monday-Friday of the year asked for")


@router.get("/{jurisdiction_id}/calendar", response_model=CalendarView,
            summary="The jurisdiction's working calendar: working hours, years loaded, missing years, a year's days")
async def calendar(jurisdiction_id: str, principal: CurrentPrincipal, session: ReadSession,
                   year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> CalendarView:
    _own(principal, jurisdiction_id)
    j = (await session.execute(select(tables.jurisdictions).where(tables.jurisdictions.c.id == jurisdiction_id)))\
        .first()
    if j is None:
        raise ApiError(404, "not_found", "no such jurisdiction", "jurisdiction_id")
    cy, cd = tables.calendar_years.c, tables.calendar_days.c
    years = {r.year: r.source for r in (await session.execute(
        select(tables.calendar_years).where(cy.jurisdiction_id == jurisdiction_id))).all()}
    year = year or datetime.now(UTC).year
    days = (await session.execute(select(tables.calendar_days).where(
        cd.jurisdiction_id == jurisdiction_id, cd.day >= date(year, 1, 1), cd.day <= date(year, 12, 31))
        .order_by(cd.day))).all()
    return CalendarView(jurisdiction_id=j.id, timezone=j.timezone, working_hours=[tuple(w) for w in j.working_hours],
                        years=dict(sorted(years.items())),
                        missing_years=missing_years(years, datetime.now(UTC).date()),
                        days=[DayView(day=d.day, workday=d.workday, name=d.name, name_zh=name_zh(d.name))
                              for d in days])


class YearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: list[DayIn] = Field(max_length=366)


@router.put("/{jurisdiction_id}/calendar/{year}", response_model=CalendarView,
            summary="Enter a year's holidays and adjusted working days by hand (as the State Council published them)")
async def edit_year(jurisdiction_id: str, year: Year, body: YearIn, principal: CurrentPrincipal,
                    uow: UnitOfWorkDep, session: ReadSession) -> CalendarView:
    _keep(principal, jurisdiction_id)
    async with uow:
        await time_rules.enter_year(uow, jurisdiction_id, year,
                                    [CalendarDay(d.day, d.workday, d.name) for d in body.days])
    return await calendar(jurisdiction_id, principal, session, year)


@router.post("/{jurisdiction_id}/calendar/{year}/statutory", response_model=CalendarView,
             summary="Load a year from the statutory calendar (the chinese-calendar package), replacing edits")
async def load_year(jurisdiction_id: str, year: Year, principal: CurrentPrincipal, uow: UnitOfWorkDep,
                    session: ReadSession) -> CalendarView:
    _keep(principal, jurisdiction_id)
    async with uow:
        await time_rules.load_statutory(uow, jurisdiction_id, year)
    return await calendar(jurisdiction_id, principal, session, year)


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sign_for_hours: float = Field(gt=0, le=720)
    completion_days: int | None = Field(None, ge=1, le=365)
    completion_hours: float | None = Field(None, gt=0, le=8760)
    clock: bool = Field(False, description="Calendar time (urgent matters) instead of working time")
    warn_at: list[float] = Field([0.5, 0.8], max_length=5)
    pauses_for: list[str] = Field(["waiting_for_resident"], max_length=10)
    max_extensions: int = Field(1, ge=0, le=10)
    max_extension_days: int = Field(10, ge=0, le=365)
    reply_hours: float = Field(8, gt=0, le=720)
    callback_after_days: int = Field(3, ge=1, le=30, description="Working days before an operator calls back")
    max_reopenings: int = Field(2, ge=0, le=10, description="Dissatisfied rounds reopened before a meeting")


class PolicyView(PolicyIn):
    time_limit_class: str
    category_code: str | None
    name: str


def _view(policy: TimeLimitPolicy) -> PolicyView:
    return PolicyView(time_limit_class=policy.time_limit_class, category_code=policy.category_code, name=policy.name,
                      sign_for_hours=policy.sign_for_hours, completion_days=policy.completion_days,
                      completion_hours=policy.completion_hours, clock=policy.clock, warn_at=list(policy.warn_at),
                      pauses_for=sorted(policy.pauses_for), max_extensions=policy.max_extensions,
                      max_extension_days=policy.max_extension_days, reply_hours=policy.reply_hours,
                      callback_after_days=policy.callback_after_days, max_reopenings=policy.max_reopenings)


@router.get("/{jurisdiction_id}/policies", response_model=list[PolicyView],
            summary="The jurisdiction's time-limit policies, per class and per sub-item where it differs")
async def policies(jurisdiction_id: str, principal: CurrentPrincipal, session: ReadSession) -> list[PolicyView]:
    _own(principal, jurisdiction_id)
    p = tables.policies.c
    rows = (await session.execute(select(tables.policies).where(p.jurisdiction_id == jurisdiction_id)
                                  .order_by(p.time_limit_class, p.category_code))).all()
    return [_view(policy_of(r)) for r in rows]


@router.put("/{jurisdiction_id}/policies/{time_limit_class}", response_model=PolicyView,
            summary="Set a class's policy, or (with ?category=) a sub-item's; clocks opened from now on follow it")
async def set_policy(jurisdiction_id: str, time_limit_class: ClassName, body: PolicyIn, principal: CurrentPrincipal,
                     uow: UnitOfWorkDep, category: Annotated[str | None, Query(pattern=r"^[a-z][a-z-]{0,59}$")] = None
                     ) -> PolicyView:
    _keep(principal, jurisdiction_id)
    async with uow:
        policy = await time_rules.set_policy(uow, jurisdiction_id, time_limit_class, category, body.model_dump())
    return _view(policy)
