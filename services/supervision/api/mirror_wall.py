"""The mirror wall (镜子墙), public: statistics by sub-item, street and month, and an anonymised list of cases with
their status and the unit's answer. No token, no personal data: supervision holds none, and every text it shows was
masked before it arrived."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from services.supervision.adapters import read_model, tables
from services.supervision.api.officials import OfficialView, officials_of
from services.supervision.domain.panels import standings as panel_standings
from services.supervision.domain.periods import period_bounds
from services.supervision.domain.public_record import public_number
from services.supervision.domain.rates import Kind
from services.supervision.domain.statuses import CaseStatus
from shared.http.dependencies import ReadSession
from shared.http.errors import ApiError
from shared.local_time import LOCAL_ZONE
from shared.masking import mask_personal_text
from shared.reference.keeping import names as kept_names
from shared.reference.names import Names

router = APIRouter(tags=["mirror wall (public)"])
Period = Annotated[str | None, Query(description="A month (2026-11), a quarter or a year; default this month",
                                     max_length=7)]
_c = tables.cases.c
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}


class Tally(BaseModel):
    key: str
    name: str = Field(description="The sub-item's or street's name (Chinese)")
    name_en: str
    received: int
    completed: int
    on_time_rate: float | None = Field(description="Of completions, the share on time")
    satisfaction_rate: float | None = Field(description="Of residents' verdicts, satisfied or basically satisfied")


class MonthTally(BaseModel):
    month: str
    received: int
    completed: int


class Wall(BaseModel):
    period: str
    district: str = Field(description="The jurisdiction's name (Chinese)")
    district_en: str
    received: int
    completed: int
    by_category: list[Tally]
    by_street: list[Tally]
    by_month: list[MonthTally] = Field(description="The twelve months up to the period's end")


def _period(period: str | None) -> tuple[str, datetime, datetime]:
    period = period or datetime.now(LOCAL_ZONE).strftime("%Y-%m")
    try:
        return period, *period_bounds(period, LOCAL_ZONE)
    except ValueError as exc:
        raise ApiError(422, "invalid_format", str(exc), "period")


async def _tallies(session, column, by: str, start: datetime, end: datetime, names: Names) -> list[Tally]:
    received = dict((await session.execute(select(column, func.count()).where(
        _c.reported_at >= start, _c.reported_at < end).group_by(column))).all())
    completed = dict((await session.execute(select(column, func.count()).where(
        _c.completed_at >= start, _c.completed_at < end).group_by(column))).all())
    rates: dict[str, dict[Kind, float]] = {}
    for key, kind, measured, ok in await read_model.counts(session, by=by, start=start, end=end):
        rates.setdefault(key, {})[kind] = round(ok / measured, 4) if measured else None
    keys = sorted(set(received) | set(completed), key=lambda k: (-received.get(k, 0), k))
    kind = "category" if by == "category" else "area"
    return [Tally(key=k, name=names.of(kind, k), name_en=names.of(kind, k, "en"), received=received.get(k, 0),
                  completed=completed.get(k, 0),
                  on_time_rate=rates.get(k, {}).get(Kind.ON_TIME), satisfaction_rate=rates.get(k, {}).get(Kind.SATISFIED))
            for k in keys]


async def wall(session, period: str | None) -> Wall:
    period, start, end = _period(period)
    names = await kept_names(session)
    by_category = await _tallies(session, _c.category_code, "category", start, end, names)
    by_street = await _tallies(session, _c.street_id, "street", start, end, names)
    year_ago = (end - timedelta(days=366)).replace(day=1)
    month = func.to_char(func.timezone(str(LOCAL_ZONE), _c.reported_at), "YYYY-MM")
    done_month = func.to_char(func.timezone(str(LOCAL_ZONE), _c.completed_at), "YYYY-MM")
    received = dict((await session.execute(select(month, func.count()).where(
        _c.reported_at >= year_ago, _c.reported_at < end).group_by(month))).all())
    completed = dict((await session.execute(select(done_month, func.count()).where(
        _c.completed_at >= year_ago, _c.completed_at < end).group_by(done_month))).all())
    months = sorted(set(received) | set(completed))
    return Wall(period=period, district=names.district(), district_en=names.district("en"), received=sum(t.received for t in by_category),
                completed=sum(t.completed for t in by_category), by_category=by_category, by_street=by_street,
                by_month=[MonthTally(month=m, received=received.get(m, 0), completed=completed.get(m, 0))
                          for m in months])


@router.get("/v1/public/mirror-wall", response_model=Wall, summary="Statistics by sub-item, street and month")
async def wall_data(session: ReadSession, response: Response, period: Period = None) -> Wall:
    response.headers.update(PUBLIC_CACHE)
    return await wall(session, period)


class PublicCase(BaseModel):
    number: str = Field(description="A public number for the case")
    tracking_code: str | None = Field(None, description="The code the residents who raised it hold: they find their "
                                      "case here by it")
    category: str
    category_name: str
    category_name_en: str
    street: str
    street_name: str
    street_name_en: str
    status: str
    status_name: str
    status_name_en: str
    unit_name: str | None = Field(None, description="The unit that handles it (Chinese)")
    unit_name_en: str | None = None
    reported_on: str | None = Field(description="Local date")
    completed_on: str | None
    response: str | None = Field(description="The unit's answer: its result or its explanation (numbers masked)")


def _day(moment: datetime | None) -> str | None:
    return moment.astimezone(LOCAL_ZONE).date().isoformat() if moment else None


_PUBLIC_STATUS = {"completed": ("已办结", "completed"), "explained": ("已说明", "explained")}


def _public(r, names: Names) -> PublicCase:
    status = r.status if r.status in _PUBLIC_STATUS else "handling"
    zh, en = _PUBLIC_STATUS.get(status, ("办理中", "being handled"))
    return PublicCase(number=public_number(r.id), tracking_code=r.tracking_code, category=r.category_code,
                      category_name=names.category(r.category_code),
                      category_name_en=names.category(r.category_code, "en"), street=r.street_id,
                      street_name=names.area(r.street_id), street_name_en=names.area(r.street_id, "en"),
                      status=status, status_name=zh, status_name_en=en,
                      unit_name=names.unit(r.unit_id) if r.unit_id else None,
                      unit_name_en=names.unit(r.unit_id, "en") if r.unit_id else None, reported_on=_day(r.reported_at),
                      completed_on=_day(r.completed_at),
                      response=mask_personal_text(r.response) if r.response else None)


async def public_cases(session, *, status: str | None, category: str | None, street: str | None, limit: int,
                       offset: int) -> list[PublicCase]:
    query = select(tables.cases).where(_c.reported_at.is_not(None))
    if status == "completed":
        query = query.where(_c.status == CaseStatus.COMPLETED)
    elif status == "explained":
        query = query.where(_c.status == CaseStatus.EXPLAINED)
    elif status == "handling":
        query = query.where(_c.status.not_in(("completed", "explained")))
    if category:
        query = query.where(_c.category_code == category)
    if street:
        query = query.where(_c.street_id == street)
    rows = (await session.execute(query.order_by(_c.reported_at.desc(), _c.id).limit(limit).offset(offset))).all()
    names = await kept_names(session)
    return [_public(r, names) for r in rows]


@router.get("/v1/public/mirror-wall/cases", response_model=list[PublicCase],
            summary="Cases, anonymised: sub-item, street, status and the unit's answer, newest first")
async def wall_cases(session: ReadSession, response: Response,
                     status: Annotated[Literal["handling", "completed", "explained"] | None, Query()] = None,
                     category: Annotated[str | None, Query(max_length=64)] = None,
                     street: Annotated[str | None, Query(max_length=64)] = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50,
                     offset: Annotated[int, Query(ge=0, le=100_000)] = 0) -> list[PublicCase]:
    response.headers.update(PUBLIC_CACHE)
    return await public_cases(session, status=status, category=category, street=street, limit=limit, offset=offset)


class PanelResult(BaseModel):
    """What a quarter's three-party panels said of a unit, published (source 003: results announced)."""

    street: str
    street_name: str
    unit_id: str
    unit_name: str
    unit_name_en: str
    cases: int
    community: float
    party_member: float
    resident: float
    overall: float


async def panel_results(session, quarter: str, names: Names) -> list[PanelResult]:
    p, r = tables.panels.c, tables.panel_ratings.c
    rows = (await session.execute(select(p.street_id, r.unit_id, r.community, r.party_member, r.resident)
                                  .join(tables.panels, p.id == r.panel_id).where(p.quarter == quarter))).all()
    results = []
    for street in sorted({x.street_id for x in rows}):
        for s in panel_standings((x.unit_id, x.community, x.party_member, x.resident) for x in rows
                                 if x.street_id == street):
            results.append(PanelResult(street=street, street_name=names.area(street), unit_id=s.unit_id,
                                       unit_name=names.unit(s.unit_id), unit_name_en=names.unit(s.unit_id, "en"),
                                       cases=s.cases, community=s.community, party_member=s.party_member,
                                       resident=s.resident, overall=s.overall))
    return results


def _quarter(quarter: str | None) -> str:
    if quarter is None:
        now = datetime.now(LOCAL_ZONE)
        return f"{now.year}Q{(now.month - 1) // 3 + 1}"
    if not re.fullmatch(r"20\d\dQ[1-4]", quarter):
        raise ApiError(422, "invalid_format", "a quarter such as 2026Q4", "quarter")
    return quarter


@router.get("/v1/public/panel-results", response_model=list[PanelResult],
            summary="The three-party panels' ratings of the units in a quarter, by street, best first")
async def public_panel_results(session: ReadSession, response: Response,
                               quarter: Annotated[str | None, Query(max_length=6)] = None) -> list[PanelResult]:
    response.headers.update(PUBLIC_CACHE)
    return await panel_results(session, _quarter(quarter), await kept_names(session))


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def render_page(w: Wall, cases: list[PublicCase], panels: list[PanelResult] = (),
                officials: list[OfficialView] = ()) -> str:
    def tally_rows(tallies: list[Tally]) -> str:
        return "".join(f"<tr><td>{escape(t.name)}<br><small>{escape(t.name_en)}</small></td><td>{t.received}</td>"
                       f"<td>{t.completed}</td>"
                       f"<td>{_rate(t.on_time_rate)}</td><td>{_rate(t.satisfaction_rate)}</td></tr>"
                       for t in tallies) or '<tr><td colspan="5">暂无</td></tr>'

    head = "<tr><th>{}</th><th>受理</th><th>办结</th><th>按时办结率</th><th>满意率</th></tr>"
    months = "".join(f"<tr><td>{escape(m.month)}</td><td>{m.received}</td><td>{m.completed}</td></tr>"
                     for m in w.by_month)
    rows = "".join(
        f"<tr><td>{escape(c.tracking_code or c.number)}</td><td>{escape(c.category_name)}</td>"
        f"<td>{escape(c.street_name)}</td><td>{escape(c.unit_name or '')}</td><td>{escape(c.status_name)}</td>"
        f"<td>{escape(c.reported_on or '')}</td><td>{escape(c.response or '')}</td></tr>" for c in cases)
    panel_rows = "".join(
        f"<tr><td>{escape(p.street_name)}</td><td>{escape(p.unit_name)}</td><td>{p.cases}</td><td>{p.community}</td>"
        f"<td>{p.party_member}</td><td>{p.resident}</td><td>{p.overall}</td></tr>" for p in panels
    ) or '<tr><td colspan="7">本季度暂无 None this quarter</td></tr>'
    official_rows = "".join(
        f"<tr><td>{escape(o.name)}</td><td>{escape(o.post)}</td><td>{escape(o.area_name)}</td>"
        f"<td>{escape(o.office_phone or '')}</td><td>{escape(c.matter)}</td><td>{c.due_on.isoformat()}</td>"
        f"<td>{escape(c.state_name)}</td><td>{'—' if c.score is None else f'{c.score}（{c.scores}人）'}</td></tr>"
        for o in officials for c in o.commitments
    ) or '<tr><td colspan="8">暂无 None yet</td></tr>'
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(w.district)}镜子墙 · {escape(w.period)}</title>
<style>body{{font-family:sans-serif;margin:1.5rem;color:#222}}table{{border-collapse:collapse;margin:.5rem 0 1.5rem}}
td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}th{{background:#f3f3f3}}
.big{{font-size:1.4rem}}</style></head><body>
<h1>{escape(w.district)}镜子墙 <small>{escape(w.district_en)} mirror wall</small></h1>
<p class="big">{escape(w.period)}：受理 {w.received} 件，办结 {w.completed} 件</p>
<h2>按类别 By sub-item</h2><table>{head.format("类别")}{tally_rows(w.by_category)}</table>
<h2>按街道 By street</h2><table>{head.format("街道")}{tally_rows(w.by_street)}</table>
<h2>按月 By month</h2><table><tr><th>月份</th><th>受理</th><th>办结</th></tr>{months}</table>
<h2>干部联系卡与承诺 Officials' commitments</h2>
<table><tr><th>姓名 Name</th><th>职务 Post</th><th>联系片区 Area</th><th>办公电话 Office</th><th>承诺事项 Commitment</th>
<th>期限 By</th><th>进展 State</th><th>居民评分 Score</th></tr>{official_rows}</table>
<h2>三方评议 Panel ratings</h2>
<table><tr><th>街道 Street</th><th>单位 Unit</th><th>件数 Cases</th><th>社区 Community</th><th>党员 Party members</th>
<th>居民 Residents</th><th>综合 Overall</th></tr>{panel_rows}</table>
<h2>诉求与答复 Cases and answers</h2>
<table><tr><th>查询码 Code</th><th>类别 Sub-item</th><th>街道 Street</th><th>承办单位 Unit</th><th>状态 Status</th>
<th>受理日期 Received</th><th>答复 Answer</th></tr>{rows}</table>
<p>数据每分钟更新；不含任何个人信息。日期为北京时间。 Updated every minute; no personal data; dates in Beijing time.</p></body></html>"""


@router.get("/mirror-wall", response_class=HTMLResponse, summary="The mirror wall as a page")
async def wall_page(session: ReadSession, period: Period = None) -> HTMLResponse:
    w = await wall(session, period)
    cases = await public_cases(session, status=None, category=None, street=None, limit=50, offset=0)
    panels = await panel_results(session, _quarter(None), await kept_names(session))
    return HTMLResponse(render_page(w, cases, panels, await officials_of(session)), headers=PUBLIC_CACHE)
