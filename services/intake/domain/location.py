"""Where a report is: a point placed in its grid and that grid's ancestors, or an address matched in the gazetteer."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape

from shared.events import AreaPath
from shared.scopes import within

EARTH_RADIUS_M = 6_371_000


class OutsideJurisdiction(Exception):
    pass


class AddressNotFound(Exception):
    """No road or compound of the gazetteer is named in the address."""


class AddressNotPrecise(Exception):
    """A road is named but not a house number that places it."""


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
        self._grids_within: dict[tuple[str, ...], frozenset[str]] = {}

    def place(self, lat: float, lon: float) -> AreaPath:
        point = Point(lon, lat)  # GeoJSON order: longitude first
        hits = self._tree.query(point, predicate="intersects")
        if len(hits) == 0:
            raise OutsideJurisdiction(f"({lat}, {lon}) is in no grid")
        # On a shared border the lowest id wins, so the answer does not depend on index order.
        return self.path_of(min(self._grid_ids[i] for i in hits))

    def path_of(self, grid_id: str) -> AreaPath:
        """The grid and its ancestors."""
        chain = {}
        area = self._areas[grid_id]
        while area is not None:
            chain[area.level] = area.id
            area = self._areas.get(area.parent_id) if area.parent_id else None
        return AreaPath(district_id=chain["district"], street_id=chain["street"],
                        community_id=chain["community"], grid_id=chain["grid"])

    def area(self, area_id: str) -> Area | None:
        return self._areas.get(area_id)

    def name_of(self, area_id: str) -> str:
        return self._areas[area_id].name_zh

    def grids_within(self, scope: Sequence[str]) -> frozenset[str]:
        """The grids lying within a caller's scope (a path from the district down): what their cases may be in.
        Kept per scope: the map is rebuilt, not changed, when the areas are edited."""
        scope = tuple(scope)
        if scope not in self._grids_within:
            self._grids_within[scope] = frozenset(grid for grid in self._grid_ids
                                                  if within(scope, self.path_of(grid).ids()))
        return self._grids_within[scope]

    @property
    def area_names(self) -> list[str]:
        return [a.name_zh for a in self._areas.values()]


@dataclass(frozen=True)
class Compound:
    id: str
    name_zh: str
    aliases: Sequence[str]
    lat: float
    lon: float


@dataclass(frozen=True)
class RoadSegment:
    first: int
    last: int
    lat: float
    lon: float


@dataclass(frozen=True)
class Road:
    id: str
    name_zh: str
    segments: Sequence[RoadSegment]


@dataclass(frozen=True)
class AddressSuggestion:
    """One place the typed text may mean: a compound (its point), or a road segment (its house numbers)."""

    id: str
    kind: str  # compound | road
    name_zh: str
    lat: float
    lon: float


@dataclass(frozen=True)
class MatchedAddress:
    gazetteer_id: str
    lat: float
    lon: float


class Gazetteer:
    """Residential compounds by name (or alias) and roads by house number, as a hotline operator would place them."""

    def __init__(self, compounds: Iterable[Compound], roads: Iterable[Road], noise: Iterable[str] = ()):
        self._compounds = list(compounds)
        self._roads = {r.name_zh: r for r in roads}
        self._by_id = {c.id: (c.lat, c.lon) for c in self._compounds}
        # Longest first, so "华阳路街道" is removed before it could be read as the road "华阳路".
        self._noise = sorted({"上海市", "上海", "中国", *noise}, key=len, reverse=True)
        road_names = "|".join(re.escape(name) for name in sorted(self._roads, key=len, reverse=True)) or "(?!)"
        self._road_number = re.compile(rf"({road_names})(\d+)(?:号|弄|支弄)?")
        self._road_only = re.compile(rf"({road_names})")

    def point_of(self, gazetteer_id: str) -> tuple[float, float] | None:
        """The point of a compound, as Open311's ``address_id`` names it."""
        return self._by_id.get(gazetteer_id)

    def _plain(self, address: str) -> str:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", address))
        for noise in self._noise:
            text = text.replace(noise, "")
        return text

    def suggest(self, typed: str, limit: int = 8) -> list[AddressSuggestion]:
        """Places whose name (or alias) holds what was typed, or is held in it: compounds first, then each road's
        segments by house number (a segment's exact match when a number is typed)."""
        text = self._plain(typed)
        if not text:
            return []
        found: list[AddressSuggestion] = []
        for c in self._compounds:
            if any(name and (text in name or name in text) for name in (c.name_zh, *c.aliases)):
                found.append(AddressSuggestion(c.id, "compound", c.name_zh, c.lat, c.lon))
        number = re.search(r"(\d+)", text)
        for road in self._roads.values():
            if road.name_zh not in text and text.rstrip("0123456789号弄") not in road.name_zh:
                continue
            for s in road.segments:
                if number and not s.first <= int(number.group(1)) <= s.last:
                    continue
                label = (f"{road.name_zh}{number.group(1)}号" if number else f"{road.name_zh}{s.first}–{s.last}号")
                found.append(AddressSuggestion(f"{road.id}#{number.group(1) if number else s.first}", "road", label,
                                               s.lat, s.lon))
        return found[:limit]

    def match(self, address: str) -> MatchedAddress:
        text = self._plain(address)
        best: tuple[int, Compound] | None = None
        for compound in self._compounds:
            for name in (compound.name_zh, *compound.aliases):
                if name and name in text and (best is None or len(name) > best[0]):
                    best = (len(name), compound)
        if best is not None:
            compound = best[1]
            return MatchedAddress(compound.id, compound.lat, compound.lon)
        for match in self._road_number.finditer(text):
            road, number = self._roads[match.group(1)], int(match.group(2))
            for segment in road.segments:
                if segment.first <= number <= segment.last:
                    return MatchedAddress(f"{road.id}#{number}", segment.lat, segment.lon)
        if self._road_only.search(text):
            raise AddressNotPrecise("the road is known but not the house number")
        raise AddressNotFound("no road or compound of the gazetteer is named")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
