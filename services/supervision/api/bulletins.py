"""Supervision's routes for the weekly bulletins: the list, one generated now, each week's as HTML and as PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from services.supervision.adapters import tables
from services.supervision.adapters.bulletin_documents import week_in_words
from services.supervision.commands.bulletins import generate
from services.supervision.domain.periods import period_bounds, week_of
from shared.http.access import CurrentPrincipal, require_district_scope
from shared.http.dependencies import ReadSession, UnitOfWorkFactoryDep
from shared.http.errors import ApiError
from shared.local_time import LOCAL_ZONE, LocalDatetime

router = APIRouter(prefix="/v1", tags=["bulletins"])
Week = Annotated[str, StringConstraints(pattern=r"^20\d\d-W\d\d$")]
_b = tables.bulletins.c


class BulletinView(BaseModel):
    week: str
    generated_at: LocalDatetime
    generated_by: str
    breaches: int
    late_units: int
    html: str = Field(description="Path of the HTML document")
    pdf: str = Field(description="Path of the PDF document")


def _view(r) -> BulletinView:
    return BulletinView(week=r.week, generated_at=r.generated_at, generated_by=r.generated_by,
                        breaches=r.content["breaches"], late_units=len(r.content["late_units"]),
                        html=f"/v1/bulletins/{r.week}.html", pdf=f"/v1/bulletins/{r.week}.pdf")




@router.get("/bulletins", response_model=list[BulletinView],
            summary="The jurisdiction's weekly bulletins, newest first")
async def bulletins(principal: CurrentPrincipal, session: ReadSession) -> list[BulletinView]:
    rows = (await session.execute(select(tables.bulletins).where(_b.district_id == principal.jurisdiction)
                                  .order_by(_b.week.desc()).limit(200))).all()
    return [_view(r) for r in rows]


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    week: Week | None = Field(None, description="ISO week, e.g. 2026-W47; default the week so far")


@router.post("/bulletins", response_model=BulletinView, status_code=201,
             summary="Generate a week's bulletin now (again, if it exists: the figures may have moved)")
async def generate_now(body: GenerateIn, principal: CurrentPrincipal, session: ReadSession,
                       uow_factory: UnitOfWorkFactoryDep) -> BulletinView:
    require_district_scope(principal)  # the bulletin ranks all the district's streets and units
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


@router.get("/bulletins/{week}.html", response_class=HTMLResponse,
            summary="A week's bulletin as HTML")
async def bulletin_html(week: Annotated[str, Path(pattern=r"^20\d\d-W\d\d$")], principal: CurrentPrincipal,
                        session: ReadSession) -> HTMLResponse:
    return HTMLResponse((await _document(session, principal, week)).html)


@router.get("/bulletins/{week}.pdf", response_class=Response,
            summary="A week's bulletin as PDF")
async def bulletin_pdf(week: Annotated[str, Path(pattern=r"^20\d\d-W\d\d$")], principal: CurrentPrincipal,
                       session: ReadSession) -> Response:
    row = await _document(session, principal, week)
    return Response(row.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="bulletin-{week}.pdf"'})


class PublicBulletin(BaseModel):
    """A week's bulletin as the public site lists it (who generated it is not said)."""

    week: str
    title: str
    generated_at: LocalDatetime
    breaches: int
    late_units: int
    pdf: str = Field(description="Path of the PDF document")
    html: str = Field(description="Path of the HTML document")


@router.get("/public/bulletins", response_model=list[PublicBulletin], tags=["public"],
            summary="The weekly bulletins, newest first, as published on the residents' site")
async def public_bulletins(session: ReadSession, response: Response) -> list[PublicBulletin]:
    rows = (await session.execute(select(_b.week, _b.generated_at, _b.content).order_by(_b.week.desc()).limit(52)
                                  )).all()
    response.headers["Cache-Control"] = "public, max-age=60"
    return [PublicBulletin(week=r.week, title=f"{r.content.get('district_name', '')}作风效能建设周通报"
                           f"（{week_in_words(r.week)}）", generated_at=r.generated_at,
                           breaches=r.content["breaches"], late_units=len(r.content["late_units"]),
                           pdf=f"/v1/public/bulletins/{r.week}.pdf", html=f"/v1/public/bulletins/{r.week}.html")
            for r in rows]


async def _published(session, week: str):
    row = (await session.execute(select(_b.html, _b.pdf).where(_b.week == week).limit(1))).first()
    if row is None:
        raise ApiError(404, "not_found", "no bulletin for that week", "week")
    return row


@router.get("/public/bulletins/{week}.pdf", response_class=Response, tags=["public"],
            summary="A week's bulletin as PDF, as published")
async def public_bulletin_pdf(week: Annotated[str, Path(pattern=r"^20\d\d-W\d\d$")], session: ReadSession
                              ) -> Response:
    return Response((await _published(session, week)).pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="bulletin-{week}.pdf"', "Cache-Control": "public, max-age=300"})


@router.get("/public/bulletins/{week}.html", response_class=HTMLResponse, tags=["public"],
            summary="A week's bulletin as HTML, as published")
async def public_bulletin_html(week: Annotated[str, Path(pattern=r"^20\d\d-W\d\d$")], session: ReadSession
                               ) -> HTMLResponse:
    return HTMLResponse((await _published(session, week)).html, headers={"Cache-Control": "public, max-age=300"})
