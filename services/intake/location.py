"""Places a point in the jurisdiction tree: the grid whose polygon holds it, and that grid's ancestors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape

from shared.events import AreaPath


class OutsideJurisdiction(Exception):
    pass


@dataclass(frozen=True)
class Area:
    id: str
    level: str
    parent_id: str | None
    name_zh: str
    polygon: Mapping


class JurisdictionMap:
    def __init__(self, areas: Iterable[Area]):
        self._areas = {a.id: a for a in areas}
        grids = [a for a in self._areas.values() if a.level == "grid"]
        self._grid_ids = [g.id for g in grids]
        self._tree = STRtree([shape(g.polygon) for g in grids])

    def place(self, lat: float, lon: float) -> AreaPath:
        point = Point(lon, lat)  # GeoJSON order: longitude first
        hits = self._tree.query(point, predicate="intersects")
        if len(hits) == 0:
            raise OutsideJurisdiction(f"({lat}, {lon}) is in no grid")
        # On a shared border the lowest id wins, so the answer does not depend on index order.
        grid_id = min(self._grid_ids[i] for i in hits)
        chain = {}
        area = self._areas[grid_id]
        while area is not None:
            chain[area.level] = area.id
            area = self._areas.get(area.parent_id) if area.parent_id else None
        return AreaPath(district_id=chain["district"], street_id=chain["street"],
                        community_id=chain["community"], grid_id=chain["grid"])
