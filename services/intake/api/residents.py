"""What residents read and say after reporting: tracking a case, judging its result; the category tree; classify."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree
from services.intake.api.context import Description, PolicyDep, Strict
from services.intake.commands.verdicts import submit_verdict
from services.intake.domain.cases import normalise_tracking_code, phone_matches
from services.intake.domain.reports import reporter_ref
from shared.events import Verdict
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.openapi import RATE_LIMITED
from shared.http.rate_limits import RateLimits, client_address
from shared.local_time import LOCAL_ZONE
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
        can_evaluate=row.status == "completed",
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
                         class_name_zh=tree.classes.get(c.class_code, ("", ""))[0], name_zh=c.name_zh,
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
