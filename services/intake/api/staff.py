"""What operators and the linkage centre do in intake: read cases, triage, reclassify, unlink, call back, reveal."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree
from services.intake.api.context import CategoryCode, PolicyDep, ScopeGrids, Strict, case_in_scope, settings_of
from services.intake.api.residents import VerdictIn
from services.intake.commands.cases import reclassify
from services.intake.commands.contacts import numbers_for_delivery, reveal_reporters
from services.intake.commands.reports import unlink
from services.intake.commands.verdicts import answer_unit_question, submit_verdict
from services.intake.domain.cases import normalise_tracking_code
from services.intake.domain.reports import reporter_ref
from services.intake.domain.reveals import REVEAL_REASONS, RevealCaller
from services.intake.settings import IntakeSettings
from shared.auth import Role
from shared.http.access import CurrentPrincipal, require_district_scope
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.messages import LANGUAGE
from shared.http.openapi import RATE_LIMITED
from shared.local_time import LocalDatetime
from shared.masking import mask_numbers_in_text, mask_phone
from shared.reference.keeping import names as kept_names
from shared.reference.labels import label

router = APIRouter(prefix="/v1", tags=["staff"])
STAFF = (Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER)
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=500)]


class CaseStaffView(BaseModel):
    case_id: UUID
    tracking_code: str
    status: str
    category: str
    category_name: str = Field(description="The sub-item by name, in the reader's language")
    category_version: int
    category_confidence: float
    classified_by: str
    suggested_category: str | None = Field(None, description="What the classifier made of the words, where a person "
                                           "(a hotline operator) picked the sub-item: shown beside the pick")
    suggested_category_name: str | None = None
    needs_triage: bool
    channel: str
    channel_name: str
    source_kind: str | None = Field(None, description="A slip's kind (suggestion box, questionnaire …)")
    source_kind_name: str | None = None
    handed_in_on: date | None = Field(None, description="The day the resident handed the slip in")
    rebound_of: UUID | None = Field(None, description="The completed case whose problem came back here")
    description: str
    grid_id: str
    address_id: str | None
    reporter_phone_masked: str | None
    residents_affected: int
    suspected_duplicate_of: UUID | None
    unit: str | None
    reported_at: LocalDatetime
    expected_completion_at: LocalDatetime | None


async def _staff_view(session, where, grids: frozenset[str], field: str) -> CaseStaffView:
    c, r = tables.cases.c, tables.reporters.c
    row = (await session.execute(select(tables.cases, r.phone).outerjoin(tables.reporters, r.id == c.reporter_id)
                                 .where(where, c.grid_id.in_(grids)))).first()
    if row is None:
        raise ApiError(404, "not_found", "no such case", field)
    names, locale = await kept_names(session), LANGUAGE.get()
    suggested = row.suggested_category_code if row.suggested_category_code != row.category_code else None
    return CaseStaffView(
        case_id=row.id, tracking_code=row.tracking_code, status=row.status, category=row.category_code,
        category_name=names.category(row.category_code, locale),
        category_version=row.category_version, category_confidence=row.category_confidence,
        classified_by=row.classified_by, suggested_category=suggested,
        suggested_category_name=names.category(suggested, locale) if suggested else None,
        needs_triage=row.needs_triage, channel=row.channel, channel_name=label("channel", row.channel, locale),
        source_kind=row.source_kind, source_kind_name=label("source", row.source_kind, locale) if row.source_kind
        else None, handed_in_on=row.handed_in_on, rebound_of=row.rebound_of,
        description=mask_numbers_in_text(row.description), grid_id=row.grid_id, address_id=row.address_id,
        reporter_phone_masked=mask_phone(row.phone), residents_affected=row.residents_affected,
        suspected_duplicate_of=row.suspected_duplicate_of, unit=row.unit_name, reported_at=row.reported_at,
        expected_completion_at=row.expected_at)


@router.get("/cases/by-code/{tracking_code}", response_model=CaseStaffView,
            summary="A case found by the tracking code a caller reads out")
async def case_by_code(tracking_code: str, session: ReadSession, grids: ScopeGrids) -> CaseStaffView:
    code = normalise_tracking_code(tracking_code)
    if code is None:
        raise ApiError(404, "not_found", "no such case", "tracking_code")
    return await _staff_view(session, tables.cases.c.tracking_code == code, grids, "tracking_code")


@router.get("/cases/{case_id}", response_model=CaseStaffView,
            summary="A case as operators see it (numbers masked; revealing one is an audited call)")
async def case_detail(case_id: UUID, session: ReadSession, grids: ScopeGrids) -> CaseStaffView:
    return await _staff_view(session, tables.cases.c.id == case_id, grids, "case_id")


class ReportView(BaseModel):
    report_id: UUID
    role: str
    channel: str
    description: str
    phone_masked: str | None
    similarity: float | None
    photo_ids: list[UUID]
    received_at: LocalDatetime


@router.get("/cases/{case_id}/reports", response_model=list[ReportView],
            summary="The reports behind a case: the first one and every co-report linked to it")
async def case_reports(case_id: UUID, session: ReadSession, grids: ScopeGrids) -> list[ReportView]:
    await case_in_scope(session, case_id, grids)
    rp, r, p = tables.reports.c, tables.reporters.c, tables.photos.c
    rows = (await session.execute(select(tables.reports, r.phone).outerjoin(tables.reporters, r.id == rp.reporter_id)
                                  .where(rp.case_id == case_id).order_by(rp.received_at))).all()
    if not rows:
        raise ApiError(404, "not_found", "no such case", "case_id")
    photos = (await session.execute(select(p.id, p.report_id).where(p.report_id.in_([x.id for x in rows]))
                                    .order_by(p.uploaded_at))).all()
    return [ReportView(report_id=x.id, role=x.role, channel=x.channel, description=mask_numbers_in_text(x.description),
                       phone_masked=None if x.anonymous else mask_phone(x.phone), similarity=x.similarity,
                       photo_ids=[ph.id for ph in photos if ph.report_id == x.id], received_at=x.received_at)
            for x in rows]


class TriageItem(BaseModel):
    case_id: UUID
    tracking_code: str
    description: str
    suggested_category: str
    confidence: float
    alternatives: list[tuple[str, float]]
    reported_at: LocalDatetime


@router.get("/triage", response_model=list[TriageItem],
            summary="Cases the classifier was unsure of, oldest first, with its suggestions")
async def triage_queue(session: ReadSession, grids: ScopeGrids,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[TriageItem]:
    c = tables.cases.c
    rows = (await session.execute(select(tables.cases).where(c.needs_triage, c.grid_id.in_(grids))
                                  .order_by(c.reported_at).limit(limit))).all()
    tree = await category_tree.get(session)
    items = []
    for row in rows:
        suggestion = tree.classifier.classify(row.description)
        items.append(TriageItem(case_id=row.id, tracking_code=row.tracking_code,
                                description=mask_numbers_in_text(row.description),
                                suggested_category=row.category_code, confidence=row.category_confidence,
                                alternatives=list(suggestion.alternatives), reported_at=row.reported_at))
    return items


class ClassificationIn(Strict):
    category: CategoryCode
    reason: Reason | None = None


@router.post("/cases/{case_id}/classification", status_code=204, response_class=Response,
             summary="Confirm a triaged case's sub-item, or move a case to another (the override is recorded)")
async def set_classification(case_id: UUID, body: ClassificationIn, uow: UnitOfWorkDep,
                             principal: CurrentPrincipal, session: ReadSession, grids: ScopeGrids) -> Response:
    await case_in_scope(session, case_id, grids)
    async with uow:
        await reclassify(uow, case_id, body.category, actor=principal.subject, reason=body.reason)
    return Response(status_code=204)


class Unlinked(BaseModel):
    report_id: UUID
    case_id: UUID
    tracking_code: str


@router.post("/reports/{report_id}/unlink", status_code=201, response_model=Unlinked,
             summary="A co-report is a problem of its own: it becomes a new case with its own tracking code")
async def unlink_report(report_id: UUID, uow: UnitOfWorkDep, policy: PolicyDep,
                        principal: CurrentPrincipal, session: ReadSession, grids: ScopeGrids) -> Unlinked:
    case_id = await session.scalar(select(tables.reports.c.case_id).where(tables.reports.c.id == report_id))
    await case_in_scope(session, case_id, grids, "report_id")
    async with uow:
        outcome = await unlink(uow, report_id, actor=principal.subject, policy=policy)
    return Unlinked(report_id=report_id, case_id=outcome.case_id, tracking_code=outcome.tracking_code)


class CallbackTask(BaseModel):
    case_id: UUID
    tracking_code: str
    category: str
    unit: str | None
    round: int
    requested_at: LocalDatetime
    reporter_phone_masked: str | None


@router.get("/callbacks", response_model=list[CallbackTask],
            summary="Completions no resident judged in time, oldest first: call the resident back (the full number "
                    "through /cases/{id}/reporters/reveal, audited) and record the verdict with /callback-verdict")
async def callbacks(session: ReadSession, grids: ScopeGrids,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[CallbackTask]:
    t, c, r = tables.callback_tasks.c, tables.cases.c, tables.reporters.c
    rows = (await session.execute(
        select(t.case_id, t.round, t.requested_at, c.tracking_code, c.category_code, c.unit_name, r.phone)
        .join(tables.cases, c.id == t.case_id).outerjoin(tables.reporters, r.id == c.reporter_id)
        .where(t.done_at.is_(None), c.grid_id.in_(grids)).order_by(t.requested_at).limit(limit))).all()
    return [CallbackTask(case_id=x.case_id, tracking_code=x.tracking_code, category=x.category_code,
                         unit=x.unit_name, round=x.round, requested_at=x.requested_at,
                         reporter_phone_masked=mask_phone(x.phone)) for x in rows]


class UnitCallback(BaseModel):
    request_id: UUID
    case_id: UUID
    tracking_code: str
    unit_id: str
    unit_name: str = Field(description="The unit asking, by name")
    question: str
    asked_at: LocalDatetime
    reporter_phone_masked: str | None


@router.get("/unit-callbacks", response_model=list[UnitCallback],
            summary="Questions units asked for the resident, oldest first: call the resident (the full number through "
                    "/cases/{id}/reporters/reveal, audited) and record what they said with /unit-callbacks/{id}/answer")
async def unit_callbacks(session: ReadSession, grids: ScopeGrids,
                         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[UnitCallback]:
    u, c, r = tables.unit_callbacks.c, tables.cases.c, tables.reporters.c
    rows = (await session.execute(
        select(u.id, u.case_id, u.unit_id, u.question, u.asked_at, c.tracking_code, r.phone)
        .join(tables.cases, c.id == u.case_id).outerjoin(tables.reporters, r.id == c.reporter_id)
        .where(u.answered_at.is_(None), c.grid_id.in_(grids)).order_by(u.asked_at).limit(limit))).all()
    names = await kept_names(session)
    return [UnitCallback(request_id=x.id, case_id=x.case_id, tracking_code=x.tracking_code, unit_id=x.unit_id,
                         unit_name=names.unit(x.unit_id), question=x.question, asked_at=x.asked_at,
                         reporter_phone_masked=mask_phone(x.phone)) for x in rows]


class CallbackAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reached: bool = Field(description="The resident was reached")
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        description="What the resident said (or why they could not be reached); numbers are masked")


@router.post("/unit-callbacks/{request_id}/answer", status_code=201,
             summary="What the resident said when called back for a unit: it reaches the unit on the case")
async def answer_unit_callback(request_id: UUID, body: CallbackAnswer, principal: CurrentPrincipal,
                               uow: UnitOfWorkDep, session: ReadSession, grids: ScopeGrids) -> dict:
    case_id = await session.scalar(select(tables.unit_callbacks.c.case_id)
                                   .where(tables.unit_callbacks.c.id == request_id))
    await case_in_scope(session, case_id, grids, "request_id")
    async with uow:
        await answer_unit_question(uow, request_id, reached=body.reached, answer=body.answer, by=principal.subject)
    return {"request_id": str(request_id), "case_id": str(case_id)}


@router.post("/cases/{case_id}/callback-verdict", status_code=201,
             summary="The verdict a resident gave the operator on a call-back (回访)")
async def callback_verdict(case_id: UUID, body: VerdictIn, uow: UnitOfWorkDep, session: ReadSession,
                           grids: ScopeGrids) -> dict:
    await case_in_scope(session, case_id, grids)
    async with uow:
        # The resident's verdict, taken by phone: the same one the resident could have given online.
        round_ = await submit_verdict(uow, case_id, body.verdict, body.comment, via="callback", submitter=None,
                                resolved=body.resolved)
    return {"case_id": str(case_id), "round": round_, "verdict": body.verdict}


RevealReason = Literal[tuple(REVEAL_REASONS)]


class RevealIn(Strict):
    reason: RevealReason = Field(description="Why the resident must be called: " + "; ".join(
        f"`{code}` {zh} ({en})" for code, (zh, en) in REVEAL_REASONS.items()))
    note: Reason = Field(description="In the caller's own words, what the call is for (kept in the audit)")


class RevealedReporter(BaseModel):
    reporter_ref: str
    role: str
    name: str | None
    phone: str | None


@router.post("/cases/{case_id}/reporters/reveal", response_model=list[RevealedReporter], responses=RATE_LIMITED,
             summary="The full names and numbers of a case's reporters, for a stated reason; every call is audited")
async def reveal(case_id: UUID, body: RevealIn, uow: UnitOfWorkDep, principal: CurrentPrincipal,
                 response: Response, session: ReadSession, grids: ScopeGrids,
                 settings: Annotated[IntakeSettings, Depends(settings_of)]) -> list[RevealedReporter]:
    await case_in_scope(session, case_id, grids)
    caller = RevealCaller(subject=principal.subject, role=principal.role, unit_id=principal.unit_id,
                          scope=principal.scope)
    async with uow:
        revealed = await reveal_reporters(uow, case_id, caller=caller, reason_code=body.reason, note=body.note,
                                          limit_per_hour=settings.reveals_per_hour)
    response.headers["Cache-Control"] = "no-store"
    return [RevealedReporter(**r) for r in revealed]


class NumbersIn(Strict):
    case_ids: list[UUID] = Field(min_length=1, max_length=500)
    purpose: Reason


class CaseNumbers(BaseModel):
    case_id: UUID
    reporters: list[dict[str, str]] = Field(description="reporter_ref and phone of each reporter who gave a number")


@router.post("/reporters/numbers", response_model=list[CaseNumbers],
             summary="For notification: the numbers (never the names) of the cases' reporters, to text them; audited")
async def numbers(body: NumbersIn, uow: UnitOfWorkDep, principal: CurrentPrincipal,
                  response: Response) -> list[CaseNumbers]:
    async with uow:
        found = await numbers_for_delivery(uow, body.case_ids, actor=principal.subject, purpose=body.purpose)
    response.headers["Cache-Control"] = "no-store"
    return [CaseNumbers(case_id=case_id, reporters=reporters) for case_id, reporters in found.items()]


class RevealAudit(BaseModel):
    case_id: UUID
    reporter_ref: str
    actor: str
    actor_role: str
    actor_unit: str | None = Field(description="The unit the person works for, if any")
    actor_scope: str | None = Field(description="The area path the person works in, district first (`/`-joined)")
    reason_code: str | None = Field(description="The reason chosen from the list (none: a service's purpose)")
    reason: str
    note: str | None = Field(description="What the person wrote the call was for")
    at: LocalDatetime


@router.get("/reveals", response_model=list[RevealAudit],
            summary="The audit of revealed numbers: who saw whose number, in what role, why, when")
async def reveal_audit(session: ReadSession, grids: ScopeGrids, case_id: UUID | None = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[RevealAudit]:
    v, c = tables.reveals.c, tables.cases.c
    query = (select(tables.reveals).join(tables.cases, c.id == v.case_id).where(c.grid_id.in_(grids))
             .order_by(v.at.desc()).limit(limit))
    if case_id is not None:
        query = query.where(v.case_id == case_id)
    return [RevealAudit(case_id=x.case_id, reporter_ref=reporter_ref(x.reporter_id, x.case_id), actor=x.actor,
                        actor_role=x.actor_role, actor_unit=x.actor_unit, actor_scope=x.actor_scope,
                        reason_code=x.reason_code, reason=x.reason, note=x.purpose_note, at=x.at)
            for x in (await session.execute(query)).all()]


@router.get("/photos/{photo_id}", response_class=Response,
            summary="A report's photo (metadata already stripped)")
async def photo(photo_id: UUID, principal: CurrentPrincipal, session: ReadSession, grids: ScopeGrids) -> Response:
    # Whoever may see the case may see its photos (the units given a part in it too); no one else learns the photo
    # exists.
    p, rp, c = tables.photos.c, tables.reports.c, tables.cases.c
    sees = (c.unit_ids.contains([principal.unit_id]) if principal.role is Role.UNIT_STAFF and principal.unit_id
            else c.grid_id.in_(grids))
    row = (await session.execute(select(p.content, p.content_type).join(tables.reports, rp.id == p.report_id)
                                 .join(tables.cases, c.id == rp.case_id)
                                 .where(p.id == photo_id, sees))).first()
    if row is None:
        raise ApiError(404, "not_found", "no such photo", "photo_id")
    return Response(row.content, media_type=row.content_type, headers={"Cache-Control": "private, max-age=3600"})


class RefusedReport(BaseModel):
    id: UUID
    channel: str
    description: str
    lat: float | None
    lon: float | None
    address: str | None
    reason: str
    belongs_to: str | None = Field(description="The jurisdiction it belongs to, as the resident was told")
    received_at: LocalDatetime


@router.get("/refused-reports", response_model=list[RefusedReport],
            summary="Reports refused as outside the jurisdiction, newest first: what was said, where, where it "
                    "belongs (never who said it), to pass on")
async def refused_reports(session: ReadSession, principal: CurrentPrincipal,
                          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[RefusedReport]:
    require_district_scope(principal)  # outside every grid: the district's linkage centre's to pass on
    r = tables.refused_reports.c
    rows = (await session.execute(select(tables.refused_reports).order_by(r.received_at.desc()).limit(limit))).all()
    return [RefusedReport(**row._mapping) for row in rows]
