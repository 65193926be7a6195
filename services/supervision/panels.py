"""Three-party panels in plain Python: the quarter a panel sits for, who must sit on it, and what its ratings say
of each unit."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

PARTIES = ("community", "party_member", "resident")
_QUARTER = re.compile(r"^(20\d\d)Q([1-4])$")


def quarter_bounds(quarter: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """``2026Q4`` -> its first moment and the first moment of the next quarter, in the jurisdiction's zone."""
    m = _QUARTER.match(quarter)
    if m is None:
        raise ValueError("a quarter is written like 2026Q4")
    year, q = int(m.group(1)), int(m.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return datetime.combine(start, datetime.min.time(), tz), datetime.combine(end, datetime.min.time(), tz)


def quarter_of(moment: datetime) -> str:
    return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"


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
