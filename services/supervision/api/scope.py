"""The caller's jurisdiction scope over supervision's records: a case is seen only within it (404 elsewhere)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import ColumnElement, select

from services.supervision.adapters import tables
from shared.auth import Principal
from shared.http.errors import ApiError
from shared.persistence.scopes import within_scope


def cases_within(principal: Principal) -> ColumnElement[bool]:
    """Supervision's cases lying within the caller's scope."""
    c = tables.cases.c
    return within_scope((c.district_id, c.street_id, c.community_id, c.grid_id), principal.scope)


async def visible_case(session, case_id: UUID, principal: Principal) -> None:
    """404 unless the case exists within the caller's scope."""
    c = tables.cases.c
    if await session.scalar(select(c.id).where(c.id == case_id, cases_within(principal))) is None:
        raise ApiError(404, "not_found", "no such case", "case_id")
