"""Supervision's routes for the rates: per unit, street, category or grid and period; rankings with the red and
black lists; the rebuild of the read model from its journal, which must give the same numbers; and the hotspots
found in the cases."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from services.supervision.adapters import read_model, tables
from services.supervision.api.scope import cases_within
from services.supervision.domain.hotspots import rank_hotspots
from services.supervision.domain.periods import period_bounds
from services.supervision.domain.rates import Kind, Standing, rankable, red_and_black, standings
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession, UnitOfWorkFactoryDep
from shared.http.errors import ApiError
from shared.http.messages import LANGUAGE
from shared.local_time import LOCAL_ZONE
from shared.reference.keeping import names as kept_names
from shared.reference.names import Names

router = APIRouter(prefix="/v1", tags=["rates"])
By = Annotated[Literal["unit", "street", "category", "grid"], Query(description="What each row is")]
Period = Annotated[str, Query(description="A month (2026-11), a quarter (2026Q4) or a year (2026)",
                              max_length=7)]
AreaFilter = Annotated[str | None, Query(max_length=64)]


class RateView(BaseModel):
    measured: int
    ok: int
    rate: float | None


class StandingView(BaseModel):
    key: str
    name: str = Field("", description="The unit's, street's, sub-item's or grid's name, in the reader's language")
    score: float | None = Field(description="The mean of its rates, each turned so that higher is better")
    measured: int
    rates: dict[Kind, RateView]


def _bounds(period: str) -> tuple[datetime, datetime]:
    try:
        return period_bounds(period, LOCAL_ZONE)
    except ValueError as exc:
        raise ApiError(422, "invalid_format", str(exc), "period")


_NAME_KIND = {"unit": "unit", "street": "area", "grid": "area", "category": "category"}


def _view(s: Standing, names: Names | None = None, by: str = "unit") -> StandingView:
    name = names.of(_NAME_KIND[by], s.key, LANGUAGE.get()) if names else s.key
    return StandingView(key=s.key, name=name, score=s.score, measured=s.measured, rates={
        k: RateView(measured=r.measured, ok=r.ok, rate=r.value) for k, r in s.rates.items()})


async def _standings(session, principal, by: str, period: str, street, category, unit) -> list[Standing]:
    start, end = _bounds(period)
    where = {k: v for k, v in (("street", street), ("category", category), ("unit", unit)) if v}
    return standings(await read_model.counts(session, by=by, start=start, end=end, where=where,
                                             scope=principal.scope))


@router.get("/rates", response_model=list[StandingView],
            summary="The three rates and on-time, return and redo rates per unit, street, category or grid")
async def rates(principal: CurrentPrincipal, session: ReadSession, by: By, period: Period,
                street: AreaFilter = None, category: AreaFilter = None, unit: AreaFilter = None) -> list[StandingView]:
    names = await kept_names(session)
    return [_view(s, names, by) for s in await _standings(session, principal, by, period, street, category, unit)]


class Rankings(BaseModel):
    ranked: list[StandingView]
    red: list[StandingView] = Field(description="红榜: the best few, scoring at least red_from")
    black: list[StandingView] = Field(description="黑榜: the worst few, scoring below black_below")


@router.get("/rankings", response_model=Rankings,
            summary="Units or streets ranked by their rates in a period, with the red and black lists")
async def rankings(principal: CurrentPrincipal, request: Request, session: ReadSession, period: Period,
                   by: Annotated[Literal["unit", "street"], Query()] = "unit",
                   size: Annotated[int, Query(ge=1, le=20)] = 3,
                   min_measured: Annotated[int | None, Query(ge=1, le=10_000, description=(
                       "Facts needed to be ranked; default SUPERVISION_RANKING_MIN_FACTS"))] = None,
                   red_from: Annotated[float, Query(ge=0, le=1)] = 0.9,
                   black_below: Annotated[float, Query(ge=0, le=1)] = 0.6) -> Rankings:
    min_measured = min_measured or request.app.state.runtime.settings.ranking_min_facts
    ranked = rankable(await _standings(session, principal, by, period, None, None, None), min_facts=min_measured)
    red, black = red_and_black(ranked, size=size, min_measured=min_measured, red_from=red_from,
                               black_below=black_below)
    names = await kept_names(session)
    return Rankings(ranked=[_view(s, names, by) for s in ranked], red=[_view(s, names, by) for s in red],
                    black=[_view(s, names, by) for s in black])


class Rebuilt(BaseModel):
    cases: int
    same_numbers: bool = Field(description="The rates of every unit over all time are what they were before")


@router.post("/rates/rebuild", response_model=Rebuilt,
             summary="Rebuild the rates' read model from its journal, and say whether the numbers stayed the same")
async def rebuild(session: ReadSession, uow_factory: UnitOfWorkFactoryDep) -> Rebuilt:
    ever = (datetime(2000, 1, 1, tzinfo=LOCAL_ZONE), datetime(2100, 1, 1, tzinfo=LOCAL_ZONE))
    await read_model.refresh_stale(uow_factory, batch=100_000)  # what is merely late is not a difference
    before = sorted(await read_model.counts(session, by="unit", start=ever[0], end=ever[1]))
    await session.rollback()
    cases = await read_model.rebuild(uow_factory)
    after = sorted(await read_model.counts(session, by="unit", start=ever[0], end=ever[1]))
    return Rebuilt(cases=cases, same_numbers=before == after)


class HotspotView(BaseModel):
    category_code: str
    category_name: str
    grid_id: str
    grid_name: str
    street_id: str
    street_name: str
    cases: int
    residents: int
    weeks_with_cases: int
    recurrence: float
    trend: Literal["rising", "steady", "falling"]
    score: float


@router.get("/hotspots", response_model=list[HotspotView],
            summary="Recurring problems by sub-item and grid over the last weeks, ranked: candidates for one topic a "
                    "month")
async def hotspots(principal: CurrentPrincipal, session: ReadSession,
                   weeks: Annotated[int, Query(ge=2, le=104)] = 12,
                   min_cases: Annotated[int, Query(ge=1, le=1000)] = 3,
                   limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[HotspotView]:
    c = tables.cases.c
    end = datetime.now(UTC)
    start = end - timedelta(weeks=weeks)
    week = func.least(func.floor(func.extract("epoch", c.reported_at - start) / (7 * 86400)), weeks - 1)
    rows = (await session.execute(
        select(c.category_code, c.grid_id, c.street_id, week, func.count(), func.sum(c.residents_affected))
        .where(cases_within(principal), c.reported_at >= start, c.reported_at < end)
        .group_by(c.category_code, c.grid_id, c.street_id, week))).all()
    ranked = rank_hotspots(((r[0], r[1], r[2], int(r[3]), r[4], int(r[5])) for r in rows), weeks=weeks,
                           min_cases=min_cases)
    names, locale = await kept_names(session), LANGUAGE.get()
    return [HotspotView(**asdict(h), trend=h.trend, score=h.score, category_name=names.category(h.category_code, locale),
                        grid_name=names.area(h.grid_id, locale), street_name=names.area(h.street_id, locale))
            for h in ranked[:limit]]
