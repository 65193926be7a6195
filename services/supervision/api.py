"""Supervision's HTTP routes: the clocks running on a case."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from services.supervision import tables
from shared.auth import Role
from shared.http.dependencies import ReadSession
from shared.http.security import require_roles

router = APIRouter(prefix="/v1", tags=["supervision"])


class DeadlineView(BaseModel):
    unit_id: str
    kind: str
    due_at: datetime
    status: str
    policy: str


@router.get("/cases/{case_id}/deadlines", response_model=list[DeadlineView],
            dependencies=[require_roles(Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER)],
            summary="Deadlines of a case, on the working calendar")
async def case_deadlines(case_id: UUID, session: ReadSession) -> list[DeadlineView]:
    d = tables.deadlines.c
    rows = (await session.execute(select(tables.deadlines).where(d.case_id == case_id).order_by(d.due_at, d.id))).all()
    return [DeadlineView(unit_id=r.unit_id, kind=r.kind, due_at=r.due_at, status=r.status, policy=r.policy)
            for r in rows]
