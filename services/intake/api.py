"""Intake's HTTP routes: residents report and track; staff read cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from services.intake import tables
from services.intake.domain import UnknownCategory, normalise_tracking_code, phone_matches
from services.intake.handlers import submit_report
from services.intake.location import OutsideJurisdiction
from shared.auth import Role
from shared.events import Channel
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.idempotency import IdempotencyGuard, IdempotencyKey
from shared.http.security import require_roles
from shared.masking import mask_phone

router = APIRouter(prefix="/v1")
REPORT_KEYS = IdempotencyGuard(tables.idempotency_keys, scope="POST /v1/reports")

MAX_DESCRIPTION = 4000
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocationIn(_Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: Annotated[str, StringConstraints(max_length=200)] | None = None


class ContactIn(_Strict):
    name: Annotated[Text, StringConstraints(max_length=50)] | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^(\+86)?1[3-9]\d{9}$")]


class ReportIn(_Strict):
    """A resident's own report (self-service channel)."""

    category: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,64}$")]
    description: Annotated[Text, StringConstraints(max_length=MAX_DESCRIPTION)]
    location: LocationIn
    contact: ContactIn | None = None
    anonymous: bool = False
    urgent: bool = False


class ReportAccepted(BaseModel):
    tracking_code: str
    status: str
    track_url: str


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    text_zh: str
    text_en: str


class CaseStatusView(BaseModel):
    """What a resident may know of a case: nothing internal and nothing about other people."""

    tracking_code: str
    status: str
    category: str
    category_name_zh: str
    unit: str | None
    reported_at: datetime
    expected_completion_at: datetime | None
    timeline: list[TimelineEntry]


@router.post("/reports", status_code=201, response_model=ReportAccepted, tags=["residents"],
             summary="Report a problem (resident self-service); answers at once with a tracking code")
async def report(body: ReportIn, uow: UnitOfWorkDep, idempotency_key: IdempotencyKey = None):
    if not body.anonymous and body.contact is None:
        raise ApiError(422, "missing_field", "a contact is required unless the report is anonymous", "contact")
    try:
        async with uow:
            if idempotency_key:
                first = await REPORT_KEYS.claim(uow.session, idempotency_key, body.model_dump(mode="json"))
                if first is not None:
                    return JSONResponse(first.body, status_code=first.status_code,
                                        headers={"Idempotent-Replayed": "true"})
            code = await submit_report(
                uow, channel=Channel.SELF_SERVICE, category_code=body.category, description=body.description,
                lat=body.location.lat, lon=body.location.lon, address=body.location.address,
                name=None if body.anonymous or not body.contact else body.contact.name,
                phone=None if body.anonymous or not body.contact else body.contact.phone.removeprefix("+86"),
                anonymous=body.anonymous, urgent=body.urgent)
            accepted = ReportAccepted(tracking_code=code, status="received", track_url=f"/v1/track/{code}")
            if idempotency_key:
                await REPORT_KEYS.remember(uow.session, idempotency_key, 201, accepted.model_dump())
    except UnknownCategory:
        raise ApiError(422, "unknown_category", "no such category", "category") from None
    except OutsideJurisdiction:
        raise ApiError(422, "outside_jurisdiction", "the location is outside every grid of the jurisdiction",
                       "location") from None
    return accepted


@router.get("/track/{tracking_code}", response_model=CaseStatusView, tags=["residents"],
            summary="Status, responsible unit, timeline and expected completion, by tracking code")
async def track(tracking_code: str, session: ReadSession,
                phone_last4: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None) -> CaseStatusView:
    code = normalise_tracking_code(tracking_code)
    if code is None:
        raise ApiError(404, "not_found", "no case has this tracking code", "tracking_code")
    c, r, cat = tables.cases.c, tables.reporters.c, tables.categories.c
    row = (await session.execute(
        select(tables.cases, r.phone, cat.name_zh)
        .outerjoin(tables.reporters, r.id == c.reporter_id)
        .join(tables.categories, (cat.code == c.category_code) & (cat.version == c.category_version))
        .where(c.tracking_code == code))).first()
    if row is None:
        raise ApiError(404, "not_found", "no case has this tracking code", "tracking_code")
    if row.reporter_id is not None and not row.anonymous:
        if phone_last4 is None:
            raise ApiError(401, "phone_last4_required", "give the last four digits of the reporter's phone",
                           "phone_last4")
        if not phone_matches(row.phone, phone_last4):
            raise ApiError(404, "not_found", "no case has this tracking code", "tracking_code")
    entries = (await session.execute(
        select(tables.timeline).where(tables.timeline.c.case_id == row.id).order_by(tables.timeline.c.at,
                                                                                    tables.timeline.c.id))).all()
    return CaseStatusView(
        tracking_code=row.tracking_code, status=row.status, category=row.category_code, category_name_zh=row.name_zh,
        unit=row.unit_name, reported_at=row.reported_at, expected_completion_at=row.expected_at,
        timeline=[TimelineEntry(at=e.at, kind=e.kind, text_zh=e.text_zh, text_en=e.text_en) for e in entries])


class CategoryView(BaseModel):
    code: str
    class_code: str
    name_zh: str
    name_en: str
    version: int


@router.get("/categories", response_model=list[CategoryView], tags=["residents"], summary="The current category tree")
async def list_categories(session: ReadSession) -> list[CategoryView]:
    c = tables.categories.c
    rows = (await session.execute(select(tables.categories).where(c.current).order_by(c.class_code, c.code))).all()
    return [CategoryView(code=r.code, class_code=r.class_code, name_zh=r.name_zh, name_en=r.name_en,
                         version=r.version) for r in rows]


class CaseStaffView(BaseModel):
    case_id: UUID
    tracking_code: str
    status: str
    category: str
    channel: str
    description: str
    grid_id: str
    reporter_phone_masked: str | None
    unit: str | None
    reported_at: datetime
    expected_completion_at: datetime | None


@router.get("/cases/{case_id}", response_model=CaseStaffView, tags=["staff"],
            dependencies=[require_roles(Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR)],
            summary="A case as operators see it (numbers masked; revealing one is an audited call)")
async def case_detail(case_id: UUID, session: ReadSession) -> CaseStaffView:
    c, r = tables.cases.c, tables.reporters.c
    row = (await session.execute(select(tables.cases, r.phone).outerjoin(tables.reporters, r.id == c.reporter_id)
                                 .where(c.id == case_id))).first()
    if row is None:
        raise ApiError(404, "not_found", "no such case", "case_id")
    return CaseStaffView(case_id=row.id, tracking_code=row.tracking_code, status=row.status,
                         category=row.category_code, channel=row.channel, description=row.description,
                         grid_id=row.grid_id, reporter_phone_masked=mask_phone(row.phone), unit=row.unit_name,
                         reported_at=row.reported_at, expected_completion_at=row.expected_at)
