"""Intake's reference data as each process holds it: the category tree with its classifier, the map with its gazetteer.

Both are rebuilt from the database when their version row moves (every edit bumps it), not on every report.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters import tables
from services.intake.domain.categories import Attribute, Category, UnknownCategory
from services.intake.domain.classification import CategoryText, Classifier
from services.intake.domain.location import Area, Compound, Gazetteer, JurisdictionMap, Road, RoadSegment
from shared.persistence.versioned_cache import VersionedCache


@dataclass(frozen=True)
class CategoryTree:
    """The current version of every sub-item (retired ones too: old cases name them) and the classifier."""

    categories: dict[str, Category]
    active: frozenset[str]
    classes: dict[str, tuple[str, str]]
    classifier: Classifier

    def current(self, code: str) -> Category:
        """A sub-item new reports may be filed under."""
        if code not in self.active:
            raise UnknownCategory(code)
        return self.categories[code]

    def by_service_code(self, service_code: str) -> Category:
        for code in self.active:
            if self.categories[code].service_code == service_code:
                return self.categories[code]
        raise UnknownCategory(service_code)


def category_from_row(row) -> Category:
    return Category(
        code=row.code, class_code=row.class_code, version=row.version, name_zh=row.name_zh, name_en=row.name_en,
        time_limit_class=row.time_limit_class, priority=row.priority, handle_locally=row.handle_locally,
        service_code=row.service_code, keywords=tuple(row.keywords), examples=tuple(row.examples),
        attributes=tuple(Attribute.from_data(a) for a in row.attributes))


async def _load_tree(session: AsyncSession) -> CategoryTree:
    rows = (await session.execute(select(tables.categories).where(tables.categories.c.current))).all()
    classes = {r.code: (r.name_zh, r.name_en) for r in (await session.execute(select(tables.category_classes))).all()}
    categories = {r.code: category_from_row(r) for r in rows}
    active = frozenset(r.code for r in rows if r.active)
    texts = [CategoryText(c.code, c.keywords, c.examples, (c.name_zh, c.name_en))
             for c in categories.values() if c.code in active]
    # Segmenting every example takes a second or two of CPU: not on the event loop.
    classifier = await asyncio.to_thread(Classifier, texts)
    return CategoryTree(categories=categories, active=active, classes=classes, classifier=classifier)


@dataclass(frozen=True)
class Ground:
    map: JurisdictionMap
    gazetteer: Gazetteer


async def _load_ground(session: AsyncSession) -> Ground:
    areas = [Area(id=r.id, level=r.level, parent_id=r.parent_id, name_zh=r.name_zh, polygon=r.polygon)
             for r in (await session.execute(select(tables.areas))).all()]
    entries = (await session.execute(select(tables.gazetteer))).all()
    compounds = [Compound(e.id, e.name_zh, tuple(e.aliases), e.lat, e.lon) for e in entries if e.kind == "compound"]
    roads = [Road(e.id, e.name_zh, tuple(RoadSegment(s["from"], s["to"], s["lat"], s["lon"]) for s in e.segments))
             for e in entries if e.kind == "road"]
    return Ground(map=JurisdictionMap(areas), gazetteer=Gazetteer(compounds, roads, noise=[a.name_zh for a in areas]))


# Each report reads both; a second's delay for another instance's edit is the price of not asking every time.
category_tree = VersionedCache(tables.category_tree_version, _load_tree, recheck_seconds=1.0)
ground = VersionedCache(tables.ground_version, _load_ground, recheck_seconds=1.0)
