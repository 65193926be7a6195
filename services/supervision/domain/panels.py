"""Three-party panels in plain Python: who must sit on one, and what its ratings say of each unit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

PARTIES = ("community", "party_member", "resident")
PARTY_NAMES = {"community": "社区代表", "party_member": "党员代表", "resident": "居民代表"}


def missing_parties(roles: Iterable[str]) -> list[str]:
    """A panel needs at least one representative of each of the three parties."""
    present = set(roles)
    return [p for p in PARTIES if p not in present]


@dataclass(frozen=True)
class UnitStanding:
    unit_id: str
    cases: int
    community: float
    party_member: float
    resident: float

    @property
    def overall(self) -> float:
        return round((self.community + self.party_member + self.resident) / 3, 2)


def standings(ratings: Iterable[tuple[str, int, int, int]]) -> list[UnitStanding]:
    """Per unit, the mean score each party gave (``(unit, community, party_member, resident)`` per rated case),
    best first."""
    by_unit: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for unit, *scores in ratings:
        by_unit[unit].append(tuple(scores))
    result = [UnitStanding(unit, len(rows), *(round(sum(r[i] for r in rows) / len(rows), 2) for i in range(3)))
              for unit, rows in by_unit.items()]
    return sorted(result, key=lambda s: (-s.overall, s.unit_id))


def on_docket(*, panel_district: str, panel_street: str, quarter: tuple[datetime, datetime], district_id: str,
              street_id: str, wide_impact: bool, completed_at: datetime | None) -> bool:
    """A panel rates the wide-impact cases of its street completed in its quarter (``[start, end)``)."""
    start, end = quarter
    return (district_id == panel_district and street_id == panel_street and wide_impact
            and completed_at is not None and start <= completed_at < end)
