"""Officials' contact cards and commitments (干部联系卡与承诺, source 002): kept by supervisors, scored by resident
supervisors, shown to everyone on the mirror wall."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select

from services.supervision.adapters import tables
from services.supervision.api.observers import Certificate
from services.supervision.commands import commitments
from services.supervision.domain.commitments import STATE_NAMES, mean_score, state_of
from shared.http.access import CurrentPrincipal, require_district_scope
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.local_time import LOCAL_ZONE, LocalDatetime
from shared.reference.keeping import names as kept_names

router = APIRouter(tags=["officials' commitments"])
AreaId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}


class OfficialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line
    post: Line = Field(description="The post, e.g. 街道党工委副书记")
    area_id: AreaId = Field(description="The street or community the official answers for")
    office_phone: Annotated[str, StringConstraints(pattern=r"^[0-9+()\- ]{3,30}$")] | None = Field(
        None, description="An office line (the card is public), never a private number")
    duties: Text | None = None


class CommitmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matter: Text = Field(description="What the official committed to do")
    due_on: date = Field(description="The day it is to be kept by")


class KeptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text = Field(description="How it was kept")


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=1, le=5)
    comment: Text | None = None


class CommitmentView(BaseModel):
    id: UUID
    matter: str
    due_on: date
    state: str
    state_name: str
    state_name_en: str
    kept_on: date | None
    kept_note: str | None
    score: float | None = Field(description="Resident supervisors' mean score, 1 to 5")
    scores: int


class OfficialView(BaseModel):
    id: UUID
    name: str
    post: str
    area_id: str
    area_name: str
    office_phone: str | None
    duties: str | None
    commitments: list[CommitmentView]


class OfficialCreated(BaseModel):
    id: UUID
    created_at: LocalDatetime


def _commitment_view(row: Mapping, scores: list[int], today: date) -> CommitmentView:
    state = state_of(row["due_on"], row["kept_on"], today)
    zh, en = STATE_NAMES[state]
    return CommitmentView(id=row["id"], matter=row["matter"], due_on=row["due_on"], state=state, state_name=zh,
                          state_name_en=en, kept_on=row["kept_on"], kept_note=row["kept_note"],
                          score=mean_score(scores), scores=len(scores))


async def officials_of(session, jurisdiction: str | None = None) -> list[OfficialView]:
    """Every official's card with the matters committed to, where each stands today, and the residents' scores."""
    o, m, s = tables.officials.c, tables.commitments.c, tables.commitment_scores.c
    query = select(tables.officials).order_by(o.area_id, o.created_at)
    if jurisdiction is not None:
        query = query.where(o.jurisdiction_id == jurisdiction)
    officials = (await session.execute(query)).all()
    promised = (await session.execute(select(tables.commitments).where(
        m.official_id.in_([x.id for x in officials])).order_by(m.due_on))).all() if officials else []
    scored: dict[UUID, list[int]] = {}
    if promised:
        for commitment_id, value in (await session.execute(select(s.commitment_id, s.score).where(
                s.commitment_id.in_([p.id for p in promised])))).all():
            scored.setdefault(commitment_id, []).append(value)
    names, today = await kept_names(session), datetime.now(LOCAL_ZONE).date()
    return [OfficialView(id=x.id, name=x.name, post=x.post, area_id=x.area_id, area_name=names.area(x.area_id),
                         office_phone=x.office_phone, duties=x.duties,
                         commitments=[_commitment_view(p._mapping, scored.get(p.id, []), today) for p in promised
                                      if p.official_id == x.id])
            for x in officials]


@router.post("/v1/officials", response_model=OfficialCreated, status_code=201,
             summary="An official's contact card (name, post, the area answered for, an office line)")
async def add_official(body: OfficialIn, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> OfficialCreated:
    require_district_scope(principal)
    async with uow:
        official = await commitments.add_official(uow, **body.model_dump(), jurisdiction=principal.jurisdiction,
                                                  by=principal.subject)
    return OfficialCreated(id=official["id"], created_at=official["created_at"])


@router.get("/v1/officials", response_model=list[OfficialView],
            summary="The jurisdiction's officials, their commitments and where each stands")
async def list_officials(principal: CurrentPrincipal, session: ReadSession) -> list[OfficialView]:
    return await officials_of(session, principal.jurisdiction)


@router.post("/v1/officials/{official_id}/commitments", response_model=CommitmentView, status_code=201,
             summary="A matter the official committed to, by a day: tracked until kept, overdue once the day passes")
async def add_commitment(official_id: UUID, body: CommitmentIn, principal: CurrentPrincipal,
                         uow: UnitOfWorkDep) -> CommitmentView:
    require_district_scope(principal)
    async with uow:
        row = await commitments.commit(uow, official_id, matter=body.matter, due_on=body.due_on,
                                       scope=principal.scope, by=principal.subject)
    return _commitment_view(row, [], datetime.now(LOCAL_ZONE).date())


@router.post("/v1/commitments/{commitment_id}/kept", response_model=CommitmentView,
             summary="Record that the official kept the commitment (today)")
async def kept(commitment_id: UUID, body: KeptIn, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> CommitmentView:
    require_district_scope(principal)
    async with uow:
        row = await commitments.keep(uow, commitment_id, note=body.note, jurisdiction=principal.jurisdiction)
    return _commitment_view(row, [], datetime.now(LOCAL_ZONE).date())


@router.post("/v1/commitments/{commitment_id}/scores", status_code=201,
             summary="A resident supervisor scores a commitment of the certificate's areas (1-5; again replaces it)")
async def score(commitment_id: UUID, body: ScoreIn, certificate: Certificate, uow: UnitOfWorkDep,
                session: ReadSession) -> dict:
    async with uow:
        await commitments.score(uow, commitment_id, certificate_id=certificate.id,
                                jurisdiction=certificate.jurisdiction_id, areas=list(certificate.areas),
                                value=body.score, comment=body.comment)
    count = await session.scalar(select(func.count()).where(
        tables.commitment_scores.c.commitment_id == commitment_id))
    return {"commitment_id": str(commitment_id), "score": body.score, "scores": count}


@router.get("/v1/public/officials", response_model=list[OfficialView],
            summary="Officials' contact cards and commitments, with where each stands and residents' scores")
async def public_officials(session: ReadSession, response: Response) -> list[OfficialView]:
    response.headers.update(PUBLIC_CACHE)
    return await officials_of(session)
