"""The weekly bulletin naming late units and cases: composed from the clocks and the rates, stored as HTML and PDF,
generated after each week ends (by whichever supervision instance gets there first) and on demand."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import uuid4

import structlog
from fastapi import APIRouter, Path, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.adapters import read_model, tables
from services.supervision.adapters.bulletin_documents import (
    BulletinContent,
    LateCase,
    LateUnit,
    render_html,
    render_pdf,
)
from services.supervision.api.mirror_wall import public_number
from services.supervision.domain.periods import period_bounds, week_of
from services.supervision.domain.rates import red_and_black, standings
from shared.auth import Role
from shared.http.dependencies import ReadSession, UnitOfWorkFactoryDep
from shared.http.errors import ApiError
from shared.http.security import CurrentPrincipal, require_roles
from shared.local_time import LOCAL_ZONE
from shared.messaging.unit_of_work import UnitOfWorkFactory

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1", tags=["bulletins"])
Week = Annotated[str, StringConstraints(pattern=r"^20\d\d-W\d\d$")]
_d, _c, _b = tables.deadlines.c, tables.cases.c, tables.bulletins.c
_HANDLING = ("sign_for", "completion", "planned")


async def compose(session: AsyncSession, district: str, week: str, *, now: datetime) -> BulletinContent:
    start, end = period_bounds(week, LOCAL_ZONE)
    names = dict((await session.execute(select(tables.unit_names.c.id, tables.unit_names.c.name))).all())
    late = (await session.execute(
        select(tables.deadlines, _c.category_code, _c.street_id)
        .join(tables.cases, _c.id == _d.case_id)
        .where(_c.district_id == district, _d.kind.in_(_HANDLING), _d.breached_at >= start, _d.breached_at < end)
        .order_by(_d.due_at))).all()
    to_district = Counter((await session.execute(
        select(_d.unit_id).join(tables.cases, _c.id == _d.case_id)
        .where(_c.district_id == district, _d.kind == "reply", _d.outcome == "unanswered", _d.closed_at >= start,
               _d.closed_at < end))).scalars())
    by_unit: dict[str, Counter] = defaultdict(Counter)
    cases = []
    for r in late:
        by_unit[r.unit_id][r.kind] += 1
        finished = r.closed_at if r.status == "closed" else min(end, now)
        cases.append(LateCase(number=public_number(r.case_id), category=r.category_code, street=r.street_id,
                              unit=names.get(r.unit_id, r.unit_id), kind=r.kind,
                              due=r.due_at.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M"),
                              hours_late=round(max((finished - r.due_at).total_seconds(), 0) / 3600, 1),
                              still_open=r.status != "closed"))
    units = sorted((LateUnit(unit=names.get(u, u), breaches=sum(k.values()), sign_for=k["sign_for"],
                             completion=k["completion"] + k["planned"], to_district=to_district[u])
                    for u, k in by_unit.items()), key=lambda u: (-u.breaches, u.unit))
    ranked = standings(await read_model.counts(session, by="unit", start=start, end=end))
    red, black = red_and_black(ranked, min_measured=3)
    received = await session.scalar(select(func.count()).where(
        _c.district_id == district, _c.reported_at >= start, _c.reported_at < end))
    completed = await session.scalar(select(func.count()).where(
        _c.district_id == district, _c.completed_at >= start, _c.completed_at < end))
    return BulletinContent(
        district=district, week=week, start=start.date().isoformat(), end=(end - timedelta(days=1)).date().isoformat(),
        received=received, completed=completed, breaches=len(late), late_units=units, late_cases=cases,
        black_list=[(names.get(s.key, s.key), s.score) for s in black],
        red_list=[(names.get(s.key, s.key), s.score) for s in red])


async def generate(uow_factory: UnitOfWorkFactory, district: str, week: str, *, by: str, replace: bool,
                   now: datetime) -> bool:
    """Compose and store one week's bulletin; False if it exists and ``replace`` is off (the schedule's case)."""
    async with uow_factory() as uow:
        if not replace and await uow.session.scalar(
                select(_b.id).where(_b.district_id == district, _b.week == week)) is not None:
            return False
        content = await compose(uow.session, district, week, now=now)
        row = dict(id=uuid4(), district_id=district, week=week, generated_at=now, generated_by=by,
                   content=content.as_json(), html=render_html(content), pdf=render_pdf(content))
        statement = pg_insert(tables.bulletins).values(row)
        if replace:
            statement = statement.on_conflict_do_update(index_elements=[_b.district_id, _b.week], set_={
                k: statement.excluded[k] for k in ("generated_at", "generated_by", "content", "html", "pdf")})
        else:
            statement = statement.on_conflict_do_nothing()
        stored = await uow.session.execute(statement.returning(_b.id))
        return stored.first() is not None


async def publish_last_week(uow_factory: UnitOfWorkFactory, *, now: datetime) -> list[str]:
    """After a week ends, its bulletin for every jurisdiction that lacks one (the schedule)."""
    week = week_of((now - timedelta(days=7)).astimezone(LOCAL_ZONE))
    async with uow_factory() as uow:
        districts = (await uow.session.execute(select(tables.jurisdictions.c.id))).scalars().all()
    published = [d for d in districts if await generate(uow_factory, d, week, by="schedule", replace=False, now=now)]
    for district in published:
        log.info("weekly bulletin published", jurisdiction=district, week=week)
    return published


class BulletinView(BaseModel):
    week: str
    generated_at: datetime
    generated_by: str
    breaches: int
    late_units: int
    html: str = Field(description="Path of the HTML document")
    pdf: str = Field(description="Path of the PDF document")


def _view(r) -> BulletinView:
    return BulletinView(week=r.week, generated_at=r.generated_at, generated_by=r.generated_by,
                        breaches=r.content["breaches"], late_units=len(r.content["late_units"]),
                        html=f"/v1/bulletins/{r.week}.html", pdf=f"/v1/bulletins/{r.week}.pdf")


Readers = [require_roles(Role.SUPERVISOR, Role.LEADER)]


@router.get("/bulletins", response_model=list[BulletinView], dependencies=Readers,
            summary="The jurisdiction's weekly bulletins, newest first")
async def bulletins(principal: CurrentPrincipal, session: ReadSession) -> list[BulletinView]:
    rows = (await session.execute(select(tables.bulletins).where(_b.district_id == principal.jurisdiction)
                                  .order_by(_b.week.desc()).limit(200))).all()
    return [_view(r) for r in rows]


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    week: Week | None = Field(None, description="ISO week, e.g. 2026-W47; default the week so far")


@router.post("/bulletins", response_model=BulletinView, status_code=201, dependencies=Readers,
             summary="Generate a week's bulletin now (again, if it exists: the figures may have moved)")
async def generate_now(body: GenerateIn, principal: CurrentPrincipal, session: ReadSession,
                       uow_factory: UnitOfWorkFactoryDep) -> BulletinView:
    now = datetime.now(UTC)
    week = body.week or week_of(now.astimezone(LOCAL_ZONE))
    try:
        start, _ = period_bounds(week, LOCAL_ZONE)
    except ValueError as exc:
        raise ApiError(422, "invalid_format", str(exc), "week")
    if start > now:
        raise ApiError(422, "out_of_range", "that week has not begun", "week")
    await generate(uow_factory, principal.jurisdiction, week, by=principal.subject, replace=True, now=now)
    row = (await session.execute(select(tables.bulletins).where(
        _b.district_id == principal.jurisdiction, _b.week == week))).one()
    return _view(row)


async def _document(session, principal, week: str):
    row = (await session.execute(select(tables.bulletins).where(
        _b.district_id == principal.jurisdiction, _b.week == week))).first()
    if row is None:
        raise ApiError(404, "not_found", "no bulletin for that week", "week")
    return row


@router.get("/bulletins/{week}.html", response_class=HTMLResponse, dependencies=Readers,
            summary="A week's bulletin as HTML")
async def bulletin_html(week: Annotated[str, Path(pattern=r"^20\d\d-W\d\d$")], principal: CurrentPrincipal,
                        session: ReadSession) -> HTMLResponse:
    return HTMLResponse((await _document(session, principal, week)).html)


@router.get("/bulletins/{week}.pdf", response_class=Response, dependencies=Readers,
            summary="A week's bulletin as PDF")
async def bulletin_pdf(week: Annotated[str, Path(pattern=r"^20\d\d-W\d\d$")], principal: CurrentPrincipal,
                       session: ReadSession) -> Response:
    row = await _document(session, principal, week)
    return Response(row.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="bulletin-{week}.pdf"'})
