"""What residents read and say after reporting: tracking a case, judging its result; the category tree; classify."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree, ground
from services.intake.api.context import CategoryCode, Description, PolicyDep, Strict
from services.intake.commands.verdicts import submit_verdict
from services.intake.domain.cases import CaseStatus, normalise_tracking_code, phone_matches
from services.intake.domain.duplicates import nearest_first
from services.intake.domain.reports import reporter_ref
from shared.events import Verdict
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.openapi import RATE_LIMITED
from shared.http.rate_limits import RateLimits, client_address
from shared.local_time import LOCAL_ZONE
from shared.masking import mask_personal_text
from shared.reference.labels import label

router = APIRouter(prefix="/v1")
Last4 = Annotated[str | None, Query(pattern=r"^\d{4}$", description="Last four digits of the reporter's phone")]


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    text_zh: str
    text_en: str


class CaseStatusView(BaseModel):
    """What a resident may know of a case: nothing internal and nothing about other people."""

    tracking_code: str
    status: str
    status_zh: str = Field(description="The status in words")
    status_en: str
    category: str
    category_name_zh: str
    category_name_en: str
    unit: str | None
    reported_at: datetime
    expected_completion_at: datetime | None
    answer: str | None = Field(None, description="The unit's answer: its result, or why it cannot be solved soon "
                               "(numbers masked)")
    answer_photos: list[str] = Field(default_factory=list, description="Ids of the photos the unit completed the "
                                     "case with (dispatch serves them for the residents' page)")
    can_evaluate: bool
    timeline: list[TimelineEntry]


async def _case_for_resident(request: Request, session: AsyncSession, tracking_code: str, phone_last4: str | None):
    """The case and the reference of the reporter whose phone ends in ``phone_last4`` (or of the anonymous one).

    So many look-ups from one address; a code locked for a while after a few wrong answers, so that its four
    digits cannot be guessed (10,000 tries otherwise), even from many addresses."""
    limits: RateLimits = request.app.state.rate_limits
    limits.hit("tracking_per_address", client_address(request),
               message="too many look-ups from this address; try again later")
    code = normalise_tracking_code(tracking_code)
    not_found = ApiError(404, "not_found", "no case has this tracking code", "tracking_code")
    if code is None:
        raise not_found
    limits.check_lock("tracking_failures", code, message="this tracking code is locked after wrong answers; try "
                      "again later", field="phone_last4")
    c, cat = tables.cases.c, tables.categories.c
    row = (await session.execute(
        select(tables.cases, cat.name_zh, cat.name_en)
        .join(tables.categories, (cat.code == c.category_code) & (cat.version == c.category_version))
        .where(c.tracking_code == code))).first()
    if row is None:
        raise not_found
    rp, r = tables.reports.c, tables.reporters.c
    reports = (await session.execute(select(rp.anonymous, r.id, r.phone).outerjoin(tables.reporters,
                                                                                   rp.reporter_id == r.id)
                                     .where(rp.case_id == row.id))).all()
    named = [x for x in reports if not x.anonymous and x.id is not None]
    for reporter in named:
        if phone_matches([reporter.phone], phone_last4):
            return row, reporter_ref(reporter.id, row.id)
    # An anonymous reporter (first or co-reporter) holds only the code; the view says nothing personal.
    if not named or any(x.anonymous or x.id is None for x in reports):
        return row, reporter_ref(None, row.id)
    if phone_last4 is None:
        raise ApiError(401, "phone_last4_required", "give the last four digits of the reporter's phone", "phone_last4")
    limits.fail("tracking_failures", code)
    raise not_found  # the same answer as an unknown code: a wrong guess learns nothing


@router.get("/track/{tracking_code}", response_model=CaseStatusView, tags=["residents"], responses=RATE_LIMITED,
            summary="Status, responsible unit, timeline and expected completion, by tracking code")
async def track(tracking_code: str, request: Request, session: ReadSession, phone_last4: Last4 = None
                ) -> CaseStatusView:
    row, _ = await _case_for_resident(request, session, tracking_code, phone_last4)
    entries = (await session.execute(
        select(tables.timeline).where(tables.timeline.c.case_id == row.id)
        .order_by(tables.timeline.c.at, tables.timeline.c.id))).all()
    # Residents read the jurisdiction's own time (+08:00), not UTC.
    return CaseStatusView(
        tracking_code=row.tracking_code, status=row.status, status_zh=label("state", row.status),
        status_en=label("state", row.status, "en"), category=row.category_code, category_name_zh=row.name_zh,
        category_name_en=row.name_en, unit=row.unit_name, reported_at=row.reported_at.astimezone(LOCAL_ZONE),
        expected_completion_at=row.expected_at.astimezone(LOCAL_ZONE) if row.expected_at else None,
        answer=row.answer, answer_photos=list(row.answer_photo_ids or []), can_evaluate=row.status == "completed",
        timeline=[TimelineEntry(at=e.at.astimezone(LOCAL_ZONE), kind=e.kind, text_zh=e.text_zh, text_en=e.text_en)
                  for e in entries])


class VerdictIn(Strict):
    verdict: Verdict
    resolved: bool | None = Field(None, description="Was the problem solved (解决率)? Unsaid: not if dissatisfied")
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class VerdictTaken(BaseModel):
    tracking_code: str
    round: int
    verdict: Verdict


@router.post("/track/{tracking_code}/verdict", status_code=201, response_model=VerdictTaken, tags=["residents"],
             responses=RATE_LIMITED,
             summary="The resident's verdict on a completed case: satisfied, basically satisfied or dissatisfied")
async def resident_verdict(tracking_code: str, body: VerdictIn, request: Request, uow: UnitOfWorkDep,
                           phone_last4: Last4 = None) -> VerdictTaken:
    async with uow:
        row, submitter = await _case_for_resident(request, uow.session, tracking_code, phone_last4)
        round_ = await submit_verdict(uow, row.id, body.verdict, body.comment, via="resident", submitter=submitter,
                                    resolved=body.resolved)
    return VerdictTaken(tracking_code=row.tracking_code, round=round_, verdict=body.verdict)


class AttributeView(BaseModel):
    code: str
    datatype: str
    required: bool
    description: str
    values: list[dict]


class CategoryView(BaseModel):
    code: str
    service_code: str
    class_code: str
    class_name_zh: str
    class_name_en: str = ""
    name_zh: str
    name_en: str
    priority: str
    time_limit_class: str
    version: int
    attributes: list[AttributeView]


@router.get("/categories", response_model=list[CategoryView], tags=["residents"],
            summary="The current category tree (sub-items new reports may be filed under)")
async def list_categories(session: ReadSession) -> list[CategoryView]:
    tree = await category_tree.get(session)
    items = sorted((tree.categories[code] for code in tree.active), key=lambda c: (c.class_code, c.service_code))
    return [CategoryView(code=c.code, service_code=c.service_code, class_code=c.class_code,
                         class_name_zh=tree.classes.get(c.class_code, ("", ""))[0],
                         class_name_en=tree.classes.get(c.class_code, ("", ""))[1], name_zh=c.name_zh,
                         name_en=c.name_en, priority=c.priority, time_limit_class=c.time_limit_class,
                         version=c.version, attributes=[AttributeView(**a.as_data()) for a in c.attributes])
            for c in items]


class AreaView(BaseModel):
    id: str
    level: str
    parent_id: str | None
    name_zh: str
    name_en: str


@router.get("/areas", response_model=list[AreaView], tags=["residents", "partners"],
            summary="The jurisdiction's areas, district down to grid (ids, parents and names; not their outlines)")
async def list_areas(session: ReadSession, response: Response) -> list[AreaView]:
    a = tables.areas.c
    rows = (await session.execute(select(a.id, a.level, a.parent_id, a.name_zh, a.name_en).order_by(a.id))).all()
    response.headers["Cache-Control"] = "public, max-age=300"
    return [AreaView(**r._mapping) for r in rows]


class ClassifyIn(Strict):
    text: Description


class Suggestion(BaseModel):
    category: str
    name_zh: str
    confidence: float


class ClassifyOut(BaseModel):
    category: str | None
    name_zh: str | None
    confidence: float
    needs_triage: bool
    alternatives: list[Suggestion]


@router.post("/classify", response_model=ClassifyOut, tags=["residents", "hotline"],
             summary="Suggest the sub-item of a free text (Chinese or English), with a confidence")
async def classify(body: ClassifyIn, session: ReadSession, policy: PolicyDep) -> ClassifyOut:
    tree = await category_tree.get(session)
    result = tree.classifier.classify(body.text)

    def name(code: str | None) -> str | None:
        return tree.categories[code].name_zh if code else None

    return ClassifyOut(category=result.category_code, name_zh=name(result.category_code),
                       confidence=result.confidence,
                       needs_triage=result.category_code is None or result.confidence < policy.triage_confidence,
                       alternatives=[Suggestion(category=c, name_zh=name(c), confidence=p)
                                     for c, p in result.alternatives])


def _lookup(request: Request) -> None:
    limits: RateLimits = request.app.state.rate_limits
    limits.hit("lookups_per_address", client_address(request), message="too many look-ups from this address; try "
               "again later")


class AddressSuggestionView(BaseModel):
    id: str = Field(description="The gazetteer's id: a report may name it as its `address_id` (Open311)")
    kind: str = Field(description="compound or road")
    name_zh: str
    lat: float
    lon: float


@router.get("/addresses", response_model=list[AddressSuggestionView], tags=["residents", "hotline"],
            responses=RATE_LIMITED, summary="Places of the gazetteer the typed text may mean (compounds, roads by "
            "house number), as a resident or an operator types an address")
async def suggest_addresses(request: Request, session: ReadSession,
                            q: Annotated[str, Query(min_length=1, max_length=100)]) -> list[AddressSuggestionView]:
    _lookup(request)
    gazetteer = (await ground.get(session)).gazetteer
    return [AddressSuggestionView(id=a.id, kind=a.kind, name_zh=a.name_zh, lat=a.lat, lon=a.lon)
            for a in gazetteer.suggest(q.replace("\x00", ""))]


class NearbyCase(BaseModel):
    """An open case near the point, as a resident about to report may see it: nothing about who raised it."""

    tracking_code: str = Field(description="Name it as `co_report_of` in a report to add your voice")
    category: str
    category_name_zh: str
    category_name_en: str
    description: str = Field(description="What was reported (numbers masked, at most 140 characters)")
    status: str
    status_zh: str
    status_en: str
    reported_at: datetime
    distance_m: int
    residents_affected: int


@router.get("/nearby", response_model=list[NearbyCase], tags=["residents", "hotline"], responses=RATE_LIMITED,
            summary="Open cases near a point (of one sub-item, if named), nearest first: \"already reported? add your "
            "voice\"")
async def nearby(request: Request, session: ReadSession, policy: PolicyDep,
                 lat: Annotated[float, Query(ge=-90, le=90)], lon: Annotated[float, Query(ge=-180, le=180)],
                 category: Annotated[CategoryCode | None, Query()] = None) -> list[NearbyCase]:
    _lookup(request)
    shown = policy.duplicates
    south, north, west, east = shown.bounding_box(lat, lon, shown.shown_radius_m)
    c = tables.cases.c
    query = (select(c.tracking_code, c.category_code, c.description, c.status, c.reported_at, c.lat, c.lon,
                    c.residents_affected)
             .where(c.status != CaseStatus.COMPLETED, c.reported_at >= datetime.now(LOCAL_ZONE) - shown.shown_window,
                    c.lat.between(south, north), c.lon.between(west, east))
             .order_by(c.reported_at.desc()).limit(50))
    if category:
        query = query.where(c.category_code == category)
    rows = (await session.execute(query)).all()
    tree = await category_tree.get(session)

    def names(code: str) -> tuple[str, str]:
        found = tree.categories.get(code)
        return (found.name_zh, found.name_en) if found else (code, code)

    return [NearbyCase(tracking_code=r.tracking_code, category=r.category_code,
                       category_name_zh=names(r.category_code)[0], category_name_en=names(r.category_code)[1],
                       description=mask_personal_text(r.description)[:140], status=r.status,
                       status_zh=label("state", r.status), status_en=label("state", r.status, "en"),
                       reported_at=r.reported_at.astimezone(LOCAL_ZONE), distance_m=d,
                       residents_affected=r.residents_affected)
            for d, r in nearest_first(lat, lon, rows, shown.shown_radius_m)[:10]]
