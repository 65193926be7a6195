"""Notification's routes for partner systems: registering webhook endpoints (the URL checked, the filters known, the
signing secret shown once), listing, enabling again and removing them; each endpoint's delivery log, every attempt,
and replays."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from services.notification.adapters import tables
from services.notification.adapters.intake_client import AreasUnavailable, filterable_areas
from services.notification.commands import partners
from services.notification.domain.endpoints import TargetRefused, check_target, unknown_filters
from services.notification.domain.partners import WebhookStatus
from shared.events import REGISTRY
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.local_time import LocalDatetime

router = APIRouter(prefix="/v1", tags=["partners"])
_w, _m, _a = tables.webhook_endpoints.c, tables.webhook_messages.c, tables.webhook_attempts.c
#: The steps a partner may subscribe to.
PARTNER_STEPS = sorted(t for t, cls in REGISTRY.items() if cls.partner)


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
    event_types: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        min_length=1, max_length=50, description="Declared event types, e.g. org.gridlink.case.completed.v1")
    areas: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=100, description="District or street ids; none: the whole jurisdiction")


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: LocalDatetime = Field(description="Messages created since then that were given up are sent again")


class EndpointView(BaseModel):
    id: UUID
    url: str
    event_types: list[str]
    areas: list[str]
    status: str
    disabled_reason: str | None
    created_at: LocalDatetime
    failing_since: LocalDatetime | None


class MessageView(BaseModel):
    id: str = Field(description="The webhook-id of every attempt of this message")
    case_id: UUID
    step: str
    status: str = Field(description="pending, delivered or failed (given up)")
    attempts: int
    next_attempt_at: LocalDatetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: LocalDatetime
    delivered_at: LocalDatetime | None


class AttemptView(BaseModel):
    attempt: int
    attempted_at: LocalDatetime
    status_code: int | None
    error: str | None
    duration_ms: int
    next_attempt_at: LocalDatetime | None


class MessageDetail(MessageView):
    payload: str = Field(description="The body exactly as signed and sent (a structured CloudEvent)")
    attempt_log: list[AttemptView]


class Replayed(BaseModel):
    replayed: int


class EndpointCreated(EndpointView):
    secret: str = Field(description="whsec_…: verify each message's webhook-signature with it (shown once)")


def _view(r) -> EndpointView:
    """An endpoint as read (a mapping of the table's columns), never its secret."""
    return EndpointView.model_validate(dict(r))


def _message(r) -> dict:
    """A message as read (a mapping of the table's columns): the next attempt only while one is due."""
    return {**{k: r[k] for k in MessageView.model_fields if k != "next_attempt_at"},
            "next_attempt_at": r["next_attempt_at"] if r["status"] == WebhookStatus.PENDING else None}


async def _own_endpoint(session, endpoint_id: UUID, partner: str) -> None:
    """The calling partner's endpoint exists (404 for anyone else's)."""
    if await session.scalar(select(_w.id).where(_w.id == endpoint_id, _w.partner == partner)) is None:
        raise ApiError(404, "not_found", "no such endpoint of yours", "endpoint_id")


async def _checked(url: str, request: Request) -> None:
    try:
        # Name resolution blocks: done off the event loop.
        await asyncio.to_thread(check_target, url, allowed_networks=request.app.state.runtime.settings.allowed_networks)
    except TargetRefused as exc:
        raise ApiError(422, exc.code, exc.message, "url")


def _scoped_areas(areas: list[str], principal) -> list[str]:
    """A partner whose scope is a street hears of that street only (its filter, if it gave none); filters name
    districts and streets, so a narrower scope cannot be served."""
    if principal.scope_level == "district":
        return areas
    if principal.scope_level != "street":
        raise ApiError(403, "scope_too_narrow", "partners' filters name a district or a street; your scope is "
                       f"{principal.scope_area}")
    if any(area != principal.scope_area for area in areas):
        raise ApiError(403, "outside_scope", f"your scope is the street {principal.scope_area}", "areas")
    return [principal.scope_area]


@router.post("/webhooks", response_model=EndpointCreated, status_code=201,
             summary="Register a webhook endpoint: an https URL that resolves to public addresses, with filters")
async def register(body: EndpointIn, request: Request, principal: CurrentPrincipal,
                   uow: UnitOfWorkDep) -> EndpointCreated:
    areas = _scoped_areas(body.areas, principal)
    unknown = unknown_filters(body.event_types, areas, known_types=PARTNER_STEPS)
    if areas and not unknown:
        try:
            known = await filterable_areas.get(request.app.state.runtime.settings.intake_url)
        except AreasUnavailable as exc:
            raise ApiError(503, "areas_unavailable", f"the areas cannot be checked now: {exc}", "areas")
        unknown = [f"area {a}" for a in areas if a not in known]
    if unknown:
        raise ApiError(422, "unknown_filter", f"unknown filter value: {unknown[0]}",
                       "event_types" if unknown[0].startswith("event") else "areas")
    await _checked(body.url, request)
    async with uow:
        endpoint, secret = await partners.register_endpoint(uow, partner=principal.subject, url=body.url,
                                                            event_types=body.event_types, areas=areas)
    return EndpointCreated(**_view(endpoint).model_dump(), secret=secret)


@router.get("/webhooks", response_model=list[EndpointView],
            summary="The calling partner's endpoints (never their secrets)")
async def endpoints(principal: CurrentPrincipal, session: ReadSession) -> list[EndpointView]:
    rows = (await session.execute(select(tables.webhook_endpoints).where(_w.partner == principal.subject)
                                  .order_by(_w.created_at))).mappings()
    return [_view(r) for r in rows]


@router.delete("/webhooks/{endpoint_id}", status_code=204, response_class=Response,
               summary="Remove one of the calling partner's endpoints")
async def remove(endpoint_id: UUID, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> Response:
    async with uow:
        await partners.remove_endpoint(uow, endpoint_id, principal.subject)
    return Response(status_code=204)


@router.post("/webhooks/{endpoint_id}/enable", response_model=EndpointView,
             summary="Enable a disabled endpoint again (its URL checked again); held messages go out")
async def enable(endpoint_id: UUID, request: Request, principal: CurrentPrincipal,
                 uow: UnitOfWorkDep) -> EndpointView:
    async with uow:
        endpoint = await partners.own_endpoint(uow, endpoint_id, principal.subject)
        await _checked(endpoint["url"], request)
        endpoint = await partners.enable_endpoint(uow, endpoint_id)
    return _view(endpoint)


@router.get("/webhooks/{endpoint_id}/messages", response_model=list[MessageView],
            summary="The endpoint's delivery log, newest first")
async def messages(endpoint_id: UUID, principal: CurrentPrincipal, session: ReadSession,
                   status: Literal["pending", "delivered", "failed"] | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100,
                   before: datetime | None = None) -> list[MessageView]:
    await _own_endpoint(session, endpoint_id, principal.subject)
    query = select(tables.webhook_messages).where(_m.endpoint_id == endpoint_id)
    if status:
        query = query.where(_m.status == status)
    if before:
        query = query.where(_m.created_at < before)
    rows = (await session.execute(query.order_by(_m.created_at.desc(), _m.id).limit(limit))).mappings()
    return [MessageView(**_message(r)) for r in rows]


@router.get("/webhooks/{endpoint_id}/messages/{message_id}", response_model=MessageDetail,
            summary="One message: its payload and every attempt (when, the answer, how long, the next try)")
async def message(endpoint_id: UUID, message_id: Annotated[str, Path(max_length=64)], principal: CurrentPrincipal,
                  session: ReadSession) -> MessageDetail:
    await _own_endpoint(session, endpoint_id, principal.subject)
    row = (await session.execute(select(tables.webhook_messages).where(
        _m.endpoint_id == endpoint_id, _m.id == message_id))).mappings().first()
    if row is None:
        raise ApiError(404, "not_found", "no such message of this endpoint", "message_id")
    attempts = (await session.execute(select(tables.webhook_attempts).where(_a.message_id == message_id)
                                      .order_by(_a.attempt, _a.id))).all()
    return MessageDetail(**_message(row), payload=row["payload"], attempt_log=[
        AttemptView(attempt=a.attempt, attempted_at=a.attempted_at, status_code=a.status_code, error=a.error,
                    duration_ms=a.duration_ms, next_attempt_at=a.next_attempt_at) for a in attempts])


@router.post("/webhooks/{endpoint_id}/messages/{message_id}/replay", response_model=MessageView, status_code=202, summary="Send one message again now, under the same webhook-id")
async def replay_message(endpoint_id: UUID, message_id: Annotated[str, Path(max_length=64)],
                         principal: CurrentPrincipal, uow: UnitOfWorkDep) -> MessageView:
    async with uow:
        message = await partners.replay_message(uow, endpoint_id, message_id, principal.subject)
    return MessageView(**_message(message))


@router.post("/webhooks/{endpoint_id}/replay", response_model=Replayed, status_code=202,
             summary="Send again every message created since a time that was given up")
async def replay_failed(endpoint_id: UUID, body: ReplayIn, principal: CurrentPrincipal,
                        uow: UnitOfWorkDep) -> Replayed:
    async with uow:
        replayed = await partners.replay_failed(uow, endpoint_id, principal.subject, since=body.since)
    return Replayed(replayed=replayed)
