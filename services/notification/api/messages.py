"""Notification's HTTP routes: the delivery log of a case, the in-app inbox of whoever calls (unit staff, a
supervisor, a leader), the templates as the catalogue has them with admins' overrides, checked when saved, staff's
e-mail contact points, and the dead letters (messages no channel could carry) with a retry."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select

from services.notification.adapters import tables
from services.notification.adapters.store import overrides_cache
from services.notification.commands import admin
from services.notification.domain.deliveries import DeliveryStatus
from services.notification.domain.templates import LOCALES, catalogue, source_of
from shared.auth import Principal, Role
from shared.http.access import CurrentPrincipal, require_district_scope
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.params import RowId
from shared.local_time import LocalDatetime
from shared.persistence.scopes import within_scope

router = APIRouter(prefix="/v1", tags=["notification"])
_d = tables.deliveries.c


class DeliveryView(BaseModel):
    id: int
    case_id: UUID
    event_type: str
    audience: str
    recipient: str
    channel: str
    template: str
    body: str
    status: str
    created_at: LocalDatetime
    read_at: LocalDatetime | None = None
    not_before: LocalDatetime | None = None
    attempts: int = 0
    last_error: str | None = Field(None, description="Why the last try failed (the channel may have changed since)")


def _views(rows) -> list[DeliveryView]:
    """Deliveries as read (each a mapping of the table's columns)."""
    return [DeliveryView.model_validate(dict(r)) for r in rows]


@router.get("/cases/{case_id}/deliveries", response_model=list[DeliveryView],
            summary="Every notification of a case, with its delivery status")
async def case_deliveries(case_id: UUID, principal: CurrentPrincipal, session: ReadSession) -> list[DeliveryView]:
    r = tables.recipients.c
    # A case outside the caller's scope (or one whose place is not known yet) has, to them, no deliveries.
    if await session.scalar(select(r.case_id).where(r.case_id == case_id, within_scope(
            (r.district_id, r.street_id, r.community_id, r.grid_id), principal.scope))) is None:
        raise ApiError(404, "not_found", "no such case", "case_id")
    rows = (await session.execute(select(tables.deliveries).where(_d.case_id == case_id).order_by(_d.id))).mappings()
    return _views(rows)


def inbox_of(principal: Principal) -> str:
    """Whose inbox the caller reads: their unit's, their own as a supervisor, their area's as a leader (a district's
    or a street's) or their unit's as its leader, the district's linkage centre's as a dispatcher."""
    if principal.role is Role.UNIT_STAFF and principal.unit_id:
        return f"unit:{principal.unit_id}"
    if principal.role is Role.SUPERVISOR:
        return f"supervisor:{principal.subject}"
    if principal.role is Role.LEADER:
        return f"leader:unit:{principal.unit_id}" if principal.unit_id else f"leader:{principal.scope_area}"
    if principal.role is Role.DISPATCHER:
        return f"dispatcher:{principal.jurisdiction}"
    raise ApiError(403, "forbidden_role", "only unit staff, supervisors, leaders and dispatchers have an inbox")


class InboxView(BaseModel):
    recipient: str
    unread: int
    messages: list[DeliveryView]


@router.get("/inbox", response_model=InboxView, summary="The caller's in-app inbox, newest first")
async def inbox(principal: CurrentPrincipal, session: ReadSession,
                unread: Annotated[bool, Query(description="Only messages not read yet")] = False,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> InboxView:
    recipient = inbox_of(principal)
    where = [_d.recipient == recipient, _d.channel == "inbox"]
    query = select(tables.deliveries).where(*where)
    if unread:
        query = query.where(_d.read_at.is_(None))
    rows = (await session.execute(query.order_by(_d.id.desc()).limit(limit))).mappings().all()
    count = await session.scalar(select(func.count()).where(*where, _d.read_at.is_(None)))
    return InboxView(recipient=recipient, unread=count, messages=_views(rows))


@router.post("/inbox/{delivery_id}/read", response_model=DeliveryView, summary="Mark a message of the inbox read")
async def mark_read(delivery_id: RowId, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> DeliveryView:
    recipient = inbox_of(principal)
    async with uow:
        delivery = await admin.mark_read(uow, delivery_id, recipient=recipient)
    return _views([delivery])[0]


@router.get("/units/{unit_id}/inbox", response_model=list[DeliveryView], summary="A unit's in-app inbox")
async def unit_inbox(unit_id: str, principal: CurrentPrincipal, session: ReadSession) -> list[DeliveryView]:
    if principal.role is Role.DISPATCHER:
        require_district_scope(principal)  # units serve the whole district; a street's linkage centre reads its own
    elif principal.unit_id != unit_id:
        raise ApiError(404, "not_found", "no such inbox", "unit_id")
    rows = (await session.execute(select(tables.deliveries).where(_d.recipient == f"unit:{unit_id}",
                                                                  _d.channel == "inbox")
                                  .order_by(_d.id.desc()).limit(200))).mappings()
    return _views(rows)


class TemplateView(BaseModel):
    event_type: str
    audience: str
    channel: str
    template: str
    locale: str
    source: str
    overridden: bool


@router.get("/templates", response_model=list[TemplateView],
            summary="Who is told what: every rule's template in each language, as in force")
async def templates(session: ReadSession) -> list[TemplateView]:
    overrides = await overrides_cache.get(session)
    return [TemplateView(event_type=rule.event_type, audience=rule.audience, channel=rule.channel,
                         template=rule.template, locale=locale, source=source_of(rule, overrides, locale),
                         overridden=(rule.event_type, rule.audience, rule.template, locale) in overrides)
            for rules in catalogue().values() for rule in rules for locale in LOCALES]


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


@router.put("/templates/{event_type}/{audience}/{template}/{locale}", response_model=TemplateView,
            summary="Override a template; it is checked against the event's fields before it is saved")
async def put_template(event_type: str, audience: str, template: str, locale: str, body: TemplateIn,
                       principal: CurrentPrincipal, uow: UnitOfWorkDep) -> TemplateView:
    async with uow:
        rule = await admin.override_template(uow, event_type, audience, template, locale, body.source,
                                                by=principal.subject)
    return TemplateView(event_type=event_type, audience=audience, channel=rule.channel, template=template,
                        locale=locale, source=body.source, overridden=True)


Recipient = Annotated[str, Path(pattern=r"^(unit|supervisor|leader|dispatcher):[A-Za-z0-9_.:-]{1,100}$",
                                description="unit:<unit id>, supervisor:<subject>, leader:<jurisdiction>, "
                                            "leader:unit:<unit id> or dispatcher:<district>")]


class ContactPointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                            pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = Field(
        None, description="Work address messages the rules send by e-mail go to; none: the inbox")
    locale: Literal["zh", "en"] = Field("zh", description="The language of this recipient's messages")


class ContactPointView(BaseModel):
    recipient: str
    email: str | None
    locale: str
    updated_by: str
    updated_at: LocalDatetime


@router.get("/contact-points", response_model=list[ContactPointView],
            summary="How staff are reached: e-mail address (else the inbox) and language")
async def contact_points(session: ReadSession) -> list[ContactPointView]:
    rows = (await session.execute(select(tables.contact_points).order_by(tables.contact_points.c.recipient))).all()
    return [ContactPointView(**r._mapping) for r in rows]


@router.put("/contact-points/{recipient}", response_model=ContactPointView,
            summary="Set a unit's, supervisor's or leader's work e-mail address and language")
async def put_contact_point(recipient: Recipient, body: ContactPointIn, principal: CurrentPrincipal,
                            uow: UnitOfWorkDep) -> ContactPointView:
    async with uow:
        at = await admin.set_contact_point(uow, recipient, email=body.email, locale=body.locale,
                                              by=principal.subject)
    return ContactPointView(recipient=recipient, email=body.email, locale=body.locale, updated_by=principal.subject,
                            updated_at=at)


@router.delete("/contact-points/{recipient}", status_code=204, response_class=Response,
               summary="Remove a contact point: the inbox only, in the default language")
async def delete_contact_point(recipient: Recipient, uow: UnitOfWorkDep) -> Response:
    async with uow:
        await admin.remove_contact_point(uow, recipient)
    return Response(status_code=204)


@router.get("/dead-letters", response_model=list[DeliveryView],
            summary="Messages no channel could carry, newest first, each with the reason")
async def dead_letters(session: ReadSession, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[DeliveryView]:
    rows = (await session.execute(select(tables.deliveries).where(_d.status == DeliveryStatus.DEAD_LETTERED)
                                  .order_by(_d.id.desc()).limit(limit))).mappings()
    return _views(rows)


@router.post("/dead-letters/{delivery_id}/retry", response_model=DeliveryView, status_code=202,
             summary="Try a dead-lettered message again on its last channel (after the cause was fixed)")
async def retry_dead_letter(delivery_id: RowId, uow: UnitOfWorkDep) -> DeliveryView:
    async with uow:
        delivery = await admin.retry_dead_letter(uow, delivery_id)
    return _views([delivery])[0]
