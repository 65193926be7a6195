"""What intake's routes share: the policy from settings, the request models' common parts, the outcome view, the
caller's scope as grids."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError
from sqlalchemy import select

from services.intake.adapters import tables
from services.intake.adapters.reference import ground
from services.intake.commands.reports import keep_refused
from services.intake.domain.cases import national_phone
from services.intake.domain.reports import MAX_DESCRIPTION, IntakePolicy, ReportDraft, ReportOutcome
from services.intake.settings import IntakeSettings
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession
from shared.http.errors import ApiError
from shared.http.rate_limits import RateLimits, client_address
from shared.refusals import Refused

Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DESCRIPTION)]
CategoryCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,64}$")]
TrackingCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=32,
                                               pattern=r"^[A-Za-z0-9 -]+$")]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
def _phone(value: str) -> str:
    phone = national_phone(value)
    if phone is None:
        raise PydanticCustomError("string_pattern_mismatch", "a mainland mobile, or a landline with its area code")
    return phone


#: A mobile (11 digits) or a landline with its area code and perhaps an extension, as ``national_phone`` writes it.
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(_phone)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
ExternalRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


def settings_of(request: Request) -> IntakeSettings:
    return request.app.state.runtime.settings


def _policy(request: Request) -> IntakePolicy:
    return settings_of(request).policy()


PolicyDep = Annotated[IntakePolicy, Depends(_policy)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Point(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ReportAccepted(BaseModel):
    """The answer every channel gives at once: the tracking code, and whether the report joined an open case."""

    tracking_code: str
    status: str
    track_url: str
    linked_to_existing_case: bool
    category: str
    category_confidence: float
    needs_triage: bool

    @classmethod
    def of(cls, outcome: ReportOutcome) -> ReportAccepted:
        return cls(tracking_code=outcome.tracking_code, status="received", track_url=f"/v1/track/{outcome.tracking_code}",
                   linked_to_existing_case=outcome.linked, category=outcome.category_code,
                   category_confidence=outcome.confidence, needs_triage=outcome.needs_triage)


async def _scope_grids(principal: CurrentPrincipal, session: ReadSession) -> frozenset[str]:
    return (await ground.get(session)).map.grids_within(principal.scope)


#: The grids within the caller's scope: a case in any other grid is, to this caller, no case at all (404).
ScopeGrids = Annotated[frozenset[str], Depends(_scope_grids)]


async def case_in_scope(session, case_id, grids: frozenset[str], field: str = "case_id") -> None:
    """404 unless the case exists and lies within the caller's scope."""
    c = tables.cases.c
    if await session.scalar(select(c.grid_id).where(c.id == case_id)) not in grids:
        raise ApiError(404, "not_found", "no such case", field)


def _rate_limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits


#: The service's rate limits (settings ``reports_per_address`` and the others).
Limits = Annotated[RateLimits, Depends(_rate_limits)]


def limit_report(request: Request, limits: RateLimits, phone: str | None) -> None:
    """A resident's report: so many from one address, so many giving one phone number (429 otherwise)."""
    limits.hit("reports_per_address", client_address(request),
               message="too many reports from this address; try again later")
    if phone:
        limits.hit("reports_per_phone", phone, message="too many reports with this phone number; try again later",
                   field="phone")


@asynccontextmanager
async def keeping_refused(request: Request, draft: ReportDraft):
    """Around a report's unit of work: a report refused as outside the jurisdiction is kept (after the rollback, in
    a unit of work of its own) before the refusal is answered."""
    try:
        yield
    except Refused as refused:
        await keep_refused(request.app.state.runtime.uow, draft, refused)
        raise
