"""Hotspots (热点) in plain Python: problems that recur by sub-item and grid over the weeks, ranked as candidates for
"one topic a month" (每月一题)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Hotspot:
    category_code: str
    grid_id: str
    street_id: str
    cases: int
    residents: int
    weeks_with_cases: int
    recent: int         # cases in the later half of the window
    earlier: int        # cases in the earlier half
    recurrence: float   # how steadily it comes back: 1.0 means some case every week of the window

    @property
    def trend(self) -> str:
        if self.recent > self.earlier * 1.5 and self.recent - self.earlier >= 2:
            return "rising"
        if self.earlier > self.recent * 1.5 and self.earlier - self.recent >= 2:
            return "falling"
        return "steady"

    @property
    def score(self) -> float:
        """Residents touched, weighted by how steadily the problem recurs."""
        return round(self.residents * (0.5 + self.recurrence), 2)


def rank_hotspots(rows: Iterable[tuple[str, str, str, int, int, int]], *, weeks: int, min_cases: int = 3,
                  min_weeks: int = 2) -> list[Hotspot]:
    """``(category, grid, street, week index 0..weeks-1, cases, residents)`` per week -> the recurring problems,
    strongest first. A problem needs ``min_cases`` cases in ``min_weeks`` different weeks to recur."""
    grouped: dict[tuple[str, str, str], dict[int, tuple[int, int]]] = defaultdict(dict)
    for category, grid, street, week, cases, residents in rows:
        grouped[(category, grid, street)][week] = (cases, residents)
    half = weeks // 2
    spots = []
    for (category, grid, street), by_week in grouped.items():
        cases = sum(c for c, _ in by_week.values())
        if cases < min_cases or len(by_week) < min_weeks:
            continue
        spots.append(Hotspot(
            category_code=category, grid_id=grid, street_id=street, cases=cases,
            residents=sum(r for _, r in by_week.values()), weeks_with_cases=len(by_week),
            recent=sum(c for w, (c, _) in by_week.items() if w >= half),
            earlier=sum(c for w, (c, _) in by_week.items() if w < half),
            recurrence=round(len(by_week) / weeks, 4)))
    return sorted(spots, key=lambda s: (-s.score, -s.cases, s.category_code, s.grid_id))
