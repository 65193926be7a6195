"""Which supervisor watches a case, in plain Python: the most specific one by area and sub-item, the least loaded
among equals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.events import AreaPath


@dataclass(frozen=True)
class SupervisorScope:
    """A supervisor's remit: areas (street, community or grid ids; none = the whole jurisdiction) and sub-items
    (none = all)."""

    id: str
    areas: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    name: str = ""  # as people call them; the id is their token's subject

    def fit(self, area: AreaPath, category_code: str) -> int | None:
        """How closely the remit fits the case, higher is closer: a grid 6, a community 4, a sub-item 3, a street 2
        (a sub-item specialist for the district comes before a street's team, after a community's), both added;
        None if the case is outside the remit."""
        if self.categories and category_code not in self.categories:
            return None
        depth = 0
        if self.areas:
            levels = [area.street_id, area.community_id, area.grid_id]
            matched = [i + 1 for i, a in enumerate(levels) if a in self.areas]
            if not matched:
                return None
            depth = max(matched)
        return depth * 2 + (3 if self.categories else 0)


def pick_supervisor(scopes: Iterable[SupervisorScope], *, area: AreaPath, category_code: str,
                    load: Mapping[str, int]) -> str | None:
    """The closest fit; among equally close ones the one with fewest open cases, then by id (stable)."""
    fits = [(fit, s.id) for s in scopes if (fit := s.fit(area, category_code)) is not None]
    if not fits:
        return None
    best = max(f for f, _ in fits)
    return min((load.get(sid, 0), sid) for f, sid in fits if f == best)[1]
