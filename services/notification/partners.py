"""Notification's routes for partner systems: registering webhook endpoints (the URL checked, the filters known, the
signing secret shown once), listing and removing them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import delete, select

from services.notification import tables
from services.notification.endpoints import TargetRefused, check_target, unknown_filters
from shared.auth import Role
from shared.events import REGISTRY
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.security import CurrentPrincipal, require_roles
from shared.webhooks import new_secret

router = APIRouter(prefix="/v1", tags=["partners"])
Partners = [require_roles(Role.PARTNER)]
_w = tables.webhook_endpoints.c


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
    event_types: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        min_length=1, max_length=50, description="Declared event types, e.g. org.gridlink.case.completed.v1")
    areas: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=100, description="District or street ids; none: the whole jurisdiction")


class EndpointView(BaseModel):
    id: UUID
    url: str
    event_types: list[str]
    areas: list[str]
    status: str
    disabled_reason: str | None
    created_at: datetime


class EndpointCreated(EndpointView):
    secret: str = Field(description="whsec_…: verify each message's webhook-signature with it (shown once)")


def _view(r) -> EndpointView:
    return EndpointView(id=r.id, url=r.url, event_types=r.event_types, areas=r.areas, status=r.status,
                        disabled_reason=r.disabled_reason, created_at=r.created_at)


@router.post("/webhooks", response_model=EndpointCreated, status_code=201, dependencies=Partners,
             summary="Register a webhook endpoint: an https URL that resolves to public addresses, with filters")
async def register(body: EndpointIn, request: Request, principal: CurrentPrincipal,
                   uow: UnitOfWorkDep) -> EndpointCreated:
    unknown = unknown_filters(body.event_types, body.areas, known_types=REGISTRY)
    if unknown:
        raise ApiError(422, "unknown_filter", f"unknown filter value: {unknown[0]}",
                       "event_types" if unknown[0].startswith("event") else "areas")
    try:
        # Name resolution blocks: done off the event loop.
        await asyncio.to_thread(check_target, body.url,
                                allowed_networks=request.app.state.runtime.settings.allowed_networks)
    except TargetRefused as exc:
        raise ApiError(422, exc.code, exc.message, "url")
    secret = new_secret()
    async with uow:
        row = (await uow.session.execute(tables.webhook_endpoints.insert().values(
            id=uuid4(), partner=principal.subject, url=body.url, secret=secret,
            event_types=sorted(set(body.event_types)), areas=sorted(set(body.areas)), status="active",
            created_at=datetime.now(UTC)).returning(tables.webhook_endpoints))).one()
    return EndpointCreated(**_view(row).model_dump(), secret=secret)


@router.get("/webhooks", response_model=list[EndpointView], dependencies=Partners,
            summary="The calling partner's endpoints (never their secrets)")
async def endpoints(principal: CurrentPrincipal, session: ReadSession) -> list[EndpointView]:
    rows = (await session.execute(select(tables.webhook_endpoints).where(_w.partner == principal.subject)
                                  .order_by(_w.created_at))).all()
    return [_view(r) for r in rows]


@router.delete("/webhooks/{endpoint_id}", status_code=204, response_class=Response, dependencies=Partners,
               summary="Remove one of the calling partner's endpoints")
async def remove(endpoint_id: UUID, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> Response:
    async with uow:
        done = await uow.session.execute(delete(tables.webhook_endpoints).where(
            _w.id == endpoint_id, _w.partner == principal.subject))
    if done.rowcount == 0:
        raise ApiError(404, "not_found", "no such endpoint of yours", "endpoint_id")
    return Response(status_code=204)
