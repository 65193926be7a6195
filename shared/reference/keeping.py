"""Every service keeps the names of the reference events it reads (the handlers below join its handler table), and
reads them back as ``Names``, reloaded in each process only when a name changed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.reference import AreaChanged, CategoryChanged, UnitChanged
from shared.persistence.versioned_cache import VersionedCache
from shared.reference import tables
from shared.reference.names import Name, Names


async def _load(session: AsyncSession) -> Names:
    rows = (await session.execute(select(tables.names))).all()
    return Names({(r.kind, r.id): Name(r.name_zh, r.name_en, r.parent_id, r.level) for r in rows})


_cache = VersionedCache(tables.names_version, _load, recheck_seconds=1.0)


async def names(session: AsyncSession) -> Names:
    """The names this service keeps (at most a second behind another process's)."""
    return await _cache.get(session)


async def _keep(uow, rows: list[dict]) -> None:
    # A batch may name one entry twice (a class with each of its sub-items): the latest of each, in one statement.
    kept = uow.memo.setdefault("reference_names", {})
    for row in rows:
        key = (row["kind"], row["id"])
        if key not in kept or kept[key]["changed_at"] <= row["changed_at"]:
            kept[key] = row
    uow.at_flush("reference_names", _write)


async def _write(uow) -> None:
    rows = list(uow.memo.pop("reference_names", {}).values())
    if not rows:
        return
    statement = insert(tables.names)
    # A replayed or older event never overwrites a newer name.
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "id"],
        set_={c: statement.excluded[c] for c in ("name_zh", "name_en", "parent_id", "level", "changed_at")},
        where=statement.excluded.changed_at >= tables.names.c.changed_at)
    await uow.session.execute(statement, rows)
    await _cache.changed(uow)


async def keep_unit(event: UnitChanged, uow) -> None:
    await _keep(uow, [dict(kind="unit", id=event.unit_id, name_zh=event.name_zh, name_en=event.name_en,
                           parent_id=event.parent_id, level=event.kind, changed_at=event.changed_at)])


async def keep_category(event: CategoryChanged, uow) -> None:
    await _keep(uow, [dict(kind="category", id=event.code, name_zh=event.name_zh, name_en=event.name_en,
                           parent_id=event.class_code, level=None, changed_at=event.changed_at),
                      dict(kind="category_class", id=event.class_code, name_zh=event.class_name_zh,
                           name_en=event.class_name_en, parent_id=None, level=None, changed_at=event.changed_at)])


async def keep_area(event: AreaChanged, uow) -> None:
    await _keep(uow, [dict(kind="area", id=event.area_id, name_zh=event.name_zh, name_en=event.name_en,
                           parent_id=event.parent_id, level=event.level, changed_at=event.changed_at)])


#: The reference events every service reads, to join its handler table.
NAME_HANDLERS = {UnitChanged: keep_unit, CategoryChanged: keep_category, AreaChanged: keep_area}
