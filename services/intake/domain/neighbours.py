"""Where a report outside the jurisdiction belongs: the neighbouring jurisdictions (their outline as a box, the
hotline that takes their residents' reports), and the city's hotline for anywhere else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Neighbour:
    id: str
    name_zh: str
    name_en: str
    hotline: str
    box: tuple[float, float, float, float] | None = None  # south, west, north, east; None: anywhere (the city's)

    def holds(self, lat: float, lon: float) -> bool:
        south, west, north, east = self.box or (-90, -180, 90, 180)
        return south <= lat <= north and west <= lon <= east

    def as_answer(self) -> dict:
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "hotline": self.hotline}


def load_neighbours(path: Path) -> tuple[Neighbour, ...]:
    """The list from its file: the neighbours first, the catch-all (no ``box``) last."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(Neighbour(n["id"], n["name_zh"], n["name_en"], n["hotline"], tuple(n["box"]) if n.get("box") else None)
                 for n in raw["neighbours"])


def where_it_belongs(neighbours: Sequence[Neighbour], lat: float | None, lon: float | None) -> Neighbour | None:
    """The neighbour whose outline holds the point (the first that does), else the catch-all."""
    if lat is not None and lon is not None:
        for neighbour in neighbours:
            if neighbour.box is not None and neighbour.holds(lat, lon):
                return neighbour
    return next((n for n in neighbours if n.box is None), None)
