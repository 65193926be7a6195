"""Notification's HTTP routes: the delivery log of a case, and a unit's in-app inbox."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from services.notification import tables
from shared.auth import Role
from shared.http.dependencies import ReadSession
from shared.http.errors import ApiError
from shared.http.security import CurrentPrincipal, require_roles

router = APIRouter(prefix="/v1", tags=["notification"])


class DeliveryView(BaseModel):
    event_type: str
    audience: str
    recipient: str
    channel: str
    template: str
    body: str
    status: str
    created_at: datetime


def _views(rows) -> list[DeliveryView]:
    return [DeliveryView(event_type=r.event_type, audience=r.audience, recipient=r.recipient, channel=r.channel,
                         template=r.template, body=r.body, status=r.status, created_at=r.created_at) for r in rows]


@router.get("/cases/{case_id}/deliveries", response_model=list[DeliveryView],
            dependencies=[require_roles(Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR)],
            summary="Every notification of a case, with its delivery status")
async def case_deliveries(case_id: UUID, session: ReadSession) -> list[DeliveryView]:
    d = tables.deliveries.c
    rows = (await session.execute(select(tables.deliveries).where(d.case_id == case_id).order_by(d.id))).all()
    return _views(rows)


@router.get("/units/{unit_id}/inbox", response_model=list[DeliveryView], summary="A unit's in-app inbox")
async def unit_inbox(unit_id: str, principal: CurrentPrincipal, session: ReadSession) -> list[DeliveryView]:
    if principal.role not in (Role.DISPATCHER, Role.ADMIN) and principal.unit_id != unit_id:
        raise ApiError(404, "not_found", "no such inbox", "unit_id")
    d = tables.deliveries.c
    rows = (await session.execute(select(tables.deliveries).where(d.recipient == f"unit:{unit_id}",
                                                                  d.channel == "inbox")
                                  .order_by(d.id.desc()).limit(200))).all()
    return _views(rows)
