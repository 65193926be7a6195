"""The rates' read model as stored: the facts of a case folded again from its journal (``SupervisionStore.journal``
keeps each rated event as supervision receives it) shortly after, the whole model rebuilt from the journal on
demand, and the counts behind the rates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.adapters import tables
from services.supervision.domain.rates import Kind, case_facts
from shared.events import REGISTRY, Event
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.persistence.scopes import within_scope

_j, _f = tables.rate_journal.c, tables.rate_facts.c
_ADD_FACTS = insert(tables.rate_facts)
DIMENSIONS = {"unit": _f.unit_id, "street": _f.street_id, "grid": _f.grid_id, "category": _f.category_code}


async def refresh(session: AsyncSession, case_ids: list[UUID]) -> None:
    """Fold the cases' journals into their facts again."""
    if not case_ids:
        return
    rows = (await session.execute(select(_j.case_id, _j.type, _j.data).where(_j.case_id.in_(case_ids))
                                  .order_by(_j.case_id, _j.id))).all()
    by_case: dict[UUID, list[Event]] = {c: [] for c in case_ids}
    for r in rows:
        cls = REGISTRY.get(r.type)
        if cls is not None:
            by_case[r.case_id].append(cls.model_validate(r.data))
    await session.execute(delete(tables.rate_facts).where(_f.case_id.in_(case_ids)))
    facts = [dict(case_id=f.case_id, kind=f.kind.value, seq=f.seq, unit_id=f.unit_id, street_id=f.street_id,
                  grid_id=f.grid_id, category_code=f.category_code, at=f.at, ok=f.ok)
             for events in by_case.values() for f in case_facts(events)]
    if facts:
        await session.execute(_ADD_FACTS, facts)


async def refresh_stale(uow_factory: UnitOfWorkFactory, *, batch: int = 500) -> int:
    """Fold the stale cases again (claimed with SKIP LOCKED, so instances share the work); how many."""
    async with uow_factory() as uow:
        stale = list((await uow.session.execute(text(
            "DELETE FROM rate_stale WHERE case_id IN "
            "(SELECT case_id FROM rate_stale LIMIT :batch FOR UPDATE SKIP LOCKED) RETURNING case_id"),
            {"batch": batch})).scalars())
        await refresh(uow.session, stale)
    return len(stale)


async def rebuild(uow_factory: UnitOfWorkFactory, *, batch: int = 500) -> int:
    """Every case's facts folded again from the journal alone; the number of cases."""
    async with uow_factory() as uow:
        await uow.session.execute(delete(tables.rate_facts))
        await uow.session.execute(delete(tables.rate_stale))
        case_ids = list((await uow.session.execute(select(_j.case_id).distinct())).scalars())
        for i in range(0, len(case_ids), batch):
            await refresh(uow.session, case_ids[i:i + batch])
    return len(case_ids)


async def counts(session: AsyncSession, *, by: str, start: datetime, end: datetime,
                 where: dict[str, str] | None = None,
                 scope: Sequence[str] | None = None) -> list[tuple[str, Kind, int, int]]:
    """``(key, kind, measured, ok)`` for the facts of ``[start, end)``, grouped by a dimension; only of cases within
    ``scope`` if one is given."""
    key = DIMENSIONS[by]
    query = (select(key, _f.kind, func.count(), func.count().filter(_f.ok))
             .where(_f.at >= start, _f.at < end).group_by(key, _f.kind))
    if scope is not None:
        c = tables.cases.c
        query = query.join(tables.cases, c.id == _f.case_id).where(
            within_scope((c.district_id, c.street_id, c.community_id, c.grid_id), scope))
    for dimension, value in (where or {}).items():
        query = query.where(DIMENSIONS[dimension] == value)
    return [(r[0], Kind(r[1]), r[2], r[3]) for r in (await session.execute(query)).all()]
