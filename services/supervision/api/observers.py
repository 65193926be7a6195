"""Resident supervisors (群众督办员): supervisors issue and revoke their certificates; with one, a resident lists and
follows the cases in the certificate's areas at any time and leaves observations on a case's timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import or_, select

from services.supervision.adapters import tables
from services.supervision.api.cases import CaseSummary, DeadlineView, TimelineEntry, case_summary, deadline_view
from services.supervision.commands import evaluation, people
from shared.credentials import credential_hash
from shared.http.access import CurrentPrincipal, require_district_scope
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.local_time import LocalDatetime
from shared.reference.keeping import names as kept_names

router = APIRouter(prefix="/v1", tags=["resident supervisors"])
AreaId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
_certificate_bearer = HTTPBearer(auto_error=False, description="A resident supervisor's certificate credential")


class CertificateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holder_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] = Field(
        description="Kept masked (王*英); the full name stays on the paper certificate")
    areas: list[AreaId] = Field(min_length=1, max_length=20, description="Street, community or grid ids")
    valid_days: int = Field(365, ge=1, le=1096)


class CertificateView(BaseModel):
    id: UUID
    number: str
    holder: str
    areas: list[str]
    issued_by: str
    issued_at: LocalDatetime
    expires_at: LocalDatetime
    revoked_at: LocalDatetime | None
    revocation_reason: str | None


class CertificateIssued(CertificateView):
    credential: str = Field(description="Shown once: the resident supervisor presents it as a bearer token")


def _view(r) -> CertificateView:
    return CertificateView(id=r.id, number=r.number, holder=r.holder, areas=r.areas, issued_by=r.issued_by,
                           issued_at=r.issued_at, expires_at=r.expires_at, revoked_at=r.revoked_at,
                           revocation_reason=r.revocation_reason)


@router.post("/certificates", response_model=CertificateIssued, status_code=201,
             summary="Issue a resident supervisor's certificate for some areas; the credential is shown once")
async def issue(body: CertificateIn, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> CertificateIssued:
    require_district_scope(principal)  # a certificate's areas may be any of the district's
    async with uow:
        certificate, credential = await people.issue_certificate(
            uow, holder_name=body.holder_name, areas=body.areas, valid_days=body.valid_days,
            jurisdiction=principal.jurisdiction, by=principal.subject)
    return CertificateIssued(**_view(certificate).model_dump(), credential=credential)


@router.get("/certificates", response_model=list[CertificateView],
            summary="Certificates of the jurisdiction (never their credentials)")
async def certificates(principal: CurrentPrincipal, session: ReadSession) -> list[CertificateView]:
    require_district_scope(principal)
    n = tables.certificates.c
    rows = (await session.execute(select(tables.certificates).where(n.jurisdiction_id == principal.jurisdiction)
                                  .order_by(n.issued_at))).all()
    return [_view(r) for r in rows]


class RevocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


@router.post("/certificates/{certificate_id}/revocation", response_model=CertificateView,
             summary="Revoke a certificate: its credential stops working at once")
async def revoke(certificate_id: UUID, body: RevocationIn, principal: CurrentPrincipal,
                 uow: UnitOfWorkDep) -> CertificateView:
    require_district_scope(principal)
    async with uow:
        certificate = await people.revoke_certificate(uow, certificate_id, reason=body.reason,
                                                      jurisdiction=principal.jurisdiction, by=principal.subject)
    return _view(certificate)


async def current_certificate(session: ReadSession, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(_certificate_bearer)]):
    """The certificate a resident supervisor presents; refused once revoked or expired."""
    if credentials is None:
        raise ApiError(401, "unauthenticated", "a certificate credential is required", "authorization")
    n = tables.certificates.c
    row = (await session.execute(select(tables.certificates)
                                 .where(n.credential_hash == credential_hash(credentials.credentials)))).first()
    if row is None:
        raise ApiError(401, "invalid_certificate", "this is not a valid certificate credential", "authorization")
    if row.revoked_at is not None:
        raise ApiError(401, "certificate_revoked", "this certificate was revoked", "authorization")
    if row.expires_at <= datetime.now(UTC):
        raise ApiError(401, "certificate_expired", "this certificate has expired", "authorization")
    return row


Certificate = Annotated[object, Depends(current_certificate)]


def _in_areas(certificate):
    c = tables.cases.c
    areas = list(certificate.areas)
    return (c.district_id == certificate.jurisdiction_id) & or_(
        c.street_id.in_(areas), c.community_id.in_(areas), c.grid_id.in_(areas))


class ObservedCase(CaseSummary):
    updated_at: LocalDatetime


class ObservedCaseDetail(ObservedCase):
    deadlines: list[DeadlineView]
    timeline: list[TimelineEntry]


def _observed(r, names) -> dict:
    return {**case_summary(r, names), "updated_at": r.updated_at}


@router.get("/observer/cases", response_model=list[ObservedCase],
            summary="For a resident supervisor: the cases in the certificate's areas, most recently moved first")
async def observed_cases(certificate: Certificate, session: ReadSession,
                         status: Annotated[str | None, Query(max_length=40)] = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ObservedCase]:
    c = tables.cases.c
    query = select(tables.cases).where(_in_areas(certificate))
    if status:
        query = query.where(c.status == status)
    rows = (await session.execute(query.order_by(c.updated_at.desc()).limit(limit))).all()
    names = await kept_names(session)
    return [ObservedCase(**_observed(r, names)) for r in rows]


async def _observed_case(session, certificate, case_id: UUID):
    row = (await session.execute(select(tables.cases).where(tables.cases.c.id == case_id, _in_areas(certificate))))\
        .first()
    if row is None:
        raise ApiError(404, "not_found", "no such case in the certificate's areas", "case_id")
    return row


@router.get("/observer/cases/{case_id}", response_model=ObservedCaseDetail,
            summary="For a resident supervisor: a case in the certificate's areas, its clocks and its timeline")
async def observed_case(case_id: UUID, certificate: Certificate, session: ReadSession) -> ObservedCaseDetail:
    row = await _observed_case(session, certificate, case_id)
    d, g = tables.deadlines.c, tables.case_log.c
    clocks = (await session.execute(select(tables.deadlines).where(d.case_id == case_id).order_by(d.id))).all()
    log = (await session.execute(select(tables.case_log).where(g.case_id == case_id).order_by(g.at, g.id))).all()
    return ObservedCaseDetail(**_observed(row, await kept_names(session)), deadlines=[deadline_view(r) for r in clocks],
                              timeline=[TimelineEntry(at=e.at, kind=e.kind, unit_id=e.unit_id, text=e.text,
                                                      actor=e.actor) for e in log])


class ObservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text


@router.post("/observer/cases/{case_id}/observations", response_model=TimelineEntry, status_code=201,
             summary="For a resident supervisor: leave an observation on the case's timeline (numbers masked)")
async def observe(case_id: UUID, body: ObservationIn, certificate: Certificate, uow: UnitOfWorkDep) -> TimelineEntry:
    async with uow:
        line = await evaluation.observe(uow, case_id, certificate_number=certificate.number,
                                        jurisdiction=certificate.jurisdiction_id, areas=certificate.areas,
                                        text=body.text)
    return TimelineEntry(at=line.at, kind=line.kind, unit_id=None, text=line.text, actor=line.actor)
