"""When a new report is the same problem as an open case: same sub-item, close by, recent, and saying much the same."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from services.intake.domain.location import distance_m

T = TypeVar("T")


@dataclass(frozen=True)
class DuplicatePolicy:
    radius_m: float = 150.0
    window: timedelta = timedelta(hours=72)
    min_similarity: float = 0.35
    #: A problem of the same sub-item at the same place within this long after a case there was completed is a
    #: rebound (返潮): the new case is linked to the old one and counted against its result.
    rebound_window: timedelta = timedelta(days=90)
    #: Open cases shown to a resident about to report ("already reported? add your voice"): wider and longer than
    #: what is linked without asking, since the resident judges.
    shown_radius_m: float = 300.0
    shown_window: timedelta = timedelta(days=30)

    def bounding_box(self, lat: float, lon: float, radius_m: float | None = None) -> tuple[float, float, float, float]:
        """A box around the point that holds the whole radius (a cheap first filter for the database)."""
        dlat = (radius_m or self.radius_m) / 111_000
        dlon = dlat / max(0.01, abs(math.cos(math.radians(lat))))
        return lat - dlat, lat + dlat, lon - dlon, lon + dlon


@dataclass(frozen=True)
class OpenCase:
    case_id: UUID
    tracking_code: str
    category_code: str
    lat: float
    lon: float
    reported_at: datetime
    words: frozenset[str]


@dataclass(frozen=True)
class DuplicateFinding:
    """``link`` is the open case to join; ``suspected`` a similar case of another sub-item, only shown to people."""

    link: OpenCase | None = None
    suspected: OpenCase | None = None
    similarity: float = 0.0


@dataclass(frozen=True)
class CompletedCase:
    case_id: UUID
    tracking_code: str
    category_code: str
    lat: float
    lon: float
    completed_at: datetime


def find_rebound(*, category_code: str, lat: float, lon: float, at: datetime, completed: Iterable[CompletedCase],
                 policy: DuplicatePolicy) -> CompletedCase | None:
    """The nearest case of the same sub-item completed here within the rebound window, if the problem came back."""
    found = [(distance_m(lat, lon, c.lat, c.lon), c) for c in completed
             if c.category_code == category_code and timedelta(0) <= at - c.completed_at <= policy.rebound_window]
    found = [(d, c) for d, c in found if d <= policy.radius_m]
    return min(found, key=lambda x: (x[0], -x[1].completed_at.timestamp()))[1] if found else None


def nearest_first(lat: float, lon: float, cases: Iterable[T], radius_m: float) -> list[tuple[int, T]]:
    """The cases (anything with ``lat`` and ``lon``) within the radius, with their distance in metres, nearest first."""
    found = [(round(distance_m(lat, lon, c.lat, c.lon)), c) for c in cases]
    return sorted(((d, c) for d, c in found if d <= radius_m), key=lambda x: x[0])


def similarity(a: Collection[str], b: Collection[str]) -> float:
    """Dice coefficient of the two reports' word sets (words and their characters, as the classifier reads them)."""
    a, b = set(a), set(b)
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def find_duplicate(*, category_code: str, lat: float, lon: float, at: datetime, words: Collection[str],
                   open_cases: Iterable[OpenCase], policy: DuplicatePolicy) -> DuplicateFinding:
    best_same: tuple[float, OpenCase] | None = None
    best_other: tuple[float, OpenCase] | None = None
    for case in open_cases:
        if at - case.reported_at > policy.window or distance_m(lat, lon, case.lat, case.lon) > policy.radius_m:
            continue
        score = similarity(words, case.words)
        if score < policy.min_similarity:
            continue
        if case.category_code == category_code:
            if best_same is None or score > best_same[0]:
                best_same = (score, case)
        elif best_other is None or score > best_other[0]:
            best_other = (score, case)
    if best_same is not None:
        return DuplicateFinding(link=best_same[1], similarity=round(best_same[0], 3))
    if best_other is not None:
        # Never across sub-items silently: the case is opened on its own and carries the suspicion for a person.
        return DuplicateFinding(suspected=best_other[1], similarity=round(best_other[0], 3))
    return DuplicateFinding()
