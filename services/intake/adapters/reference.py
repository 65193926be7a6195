"""Intake's reference data as each process holds it, loaded from its tables: the category tree with its classifier,
the map with its gazetteer.

Both are rebuilt from the database when their version row moves (every edit bumps it), not on every report.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters import tables
from services.intake.domain.categories import Attribute, Category
from services.intake.domain.classification import CategoryText, Classifier
from services.intake.domain.location import Area, Compound, Gazetteer, JurisdictionMap, Road, RoadSegment
from services.intake.domain.reference import CategoryTree, Ground
from shared.events import AreaChanged, CategoryChanged
from shared.persistence.versioned_cache import VersionedCache
from shared.reference.publishing import publish_changed


def category_from_row(row) -> Category:
    return Category(
        code=row.code, class_code=row.class_code, version=row.version, name_zh=row.name_zh, name_en=row.name_en,
        time_limit_class=row.time_limit_class, priority=row.priority, handle_locally=row.handle_locally,
        service_code=row.service_code, keywords=tuple(row.keywords), examples=tuple(row.examples),
        attributes=tuple(Attribute.from_data(a) for a in row.attributes))


def tree_from_rows(rows, class_rows) -> CategoryTree:
    """The tree from the current rows of ``categories`` and the rows of ``category_classes`` (trains the classifier:
    a second or two of CPU)."""
    classes = {r.code: (r.name_zh, r.name_en) for r in class_rows}
    categories = {r.code: category_from_row(r) for r in rows}
    active = frozenset(r.code for r in rows if r.active)
    texts = [CategoryText(c.code, c.keywords, c.examples, (c.name_zh, c.name_en))
             for c in categories.values() if c.code in active]
    return CategoryTree(categories=categories, active=active, classes=classes, classifier=Classifier(texts))


async def _load_tree(session: AsyncSession) -> CategoryTree:
    rows = (await session.execute(select(tables.categories).where(tables.categories.c.current))).all()
    class_rows = (await session.execute(select(tables.category_classes))).all()
    # Segmenting every example takes a second or two of CPU: not on the event loop.
    return await asyncio.to_thread(tree_from_rows, rows, class_rows)


def ground_from_rows(area_rows, entry_rows) -> Ground:
    """The map from the rows of ``areas``, the gazetteer from the rows of ``gazetteer``."""
    areas = [Area(id=r.id, level=r.level, parent_id=r.parent_id, name_zh=r.name_zh, polygon=r.polygon)
             for r in area_rows]
    compounds = [Compound(e.id, e.name_zh, tuple(e.aliases), e.lat, e.lon) for e in entry_rows if e.kind == "compound"]
    roads = [Road(e.id, e.name_zh, tuple(RoadSegment(s["from"], s["to"], s["lat"], s["lon"]) for s in e.segments))
             for e in entry_rows if e.kind == "road"]
    return Ground(map=JurisdictionMap(areas), gazetteer=Gazetteer(compounds, roads, noise=[a.name_zh for a in areas]))


async def _load_ground(session: AsyncSession) -> Ground:
    return ground_from_rows((await session.execute(select(tables.areas))).all(),
                            (await session.execute(select(tables.gazetteer))).all())


async def publish_categories(uow) -> None:
    """Every sub-item whose current version, names or class changed since intake last published it
    (``reference.category_changed``)."""
    classes = {r.code: r for r in (await uow.session.execute(select(tables.category_classes))).all()}
    rows = (await uow.session.execute(select(tables.categories).where(tables.categories.c.current))).all()
    now = datetime.now(UTC)
    await publish_changed(uow, [
        CategoryChanged(code=r.code, version=r.version, class_code=r.class_code,
                        class_name_zh=classes[r.class_code].name_zh if r.class_code in classes else r.class_code,
                        class_name_en=classes[r.class_code].name_en if r.class_code in classes else r.class_code,
                        name_zh=r.name_zh, name_en=r.name_en, time_limit_class=r.time_limit_class, active=r.active,
                        changed_at=now)
        for r in rows])


async def publish_areas(uow) -> None:
    """Every area whose names, parent or boundary changed since intake last published it (``reference.area_changed``)."""
    now = datetime.now(UTC)
    await publish_changed(uow, [
        AreaChanged(area_id=r.id, level=r.level, parent_id=r.parent_id, name_zh=r.name_zh, name_en=r.name_en,
                    polygon=r.polygon, changed_at=now)
        for r in (await uow.session.execute(
            select(tables.areas.c.id, tables.areas.c.level, tables.areas.c.parent_id, tables.areas.c.name_zh,
                   tables.areas.c.name_en, tables.areas.c.polygon))).all()])


async def publish_reference(uow) -> None:
    await publish_areas(uow)
    await publish_categories(uow)


# Each report reads both; a second's delay for another instance's edit is the price of not asking every time. Every
# edit publishes what changed, so every service names the sub-items and areas.
category_tree = VersionedCache(tables.category_tree_version, _load_tree, recheck_seconds=1.0,
                               published_by=publish_categories)
ground = VersionedCache(tables.ground_version, _load_ground, recheck_seconds=1.0, published_by=publish_areas)
