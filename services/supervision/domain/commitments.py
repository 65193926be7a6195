"""Officials' commitments (source 002: contact cards, matters committed to with a deadline, scored by residents) in
plain Python: where a commitment stands on a given day, and what the residents' scores say."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum


class CommitmentState(StrEnum):
    OPEN = "open"                # under way, its day not passed
    OVERDUE = "overdue"          # its day passed, not kept
    KEPT = "kept"                # kept by its day
    KEPT_LATE = "kept_late"      # kept, after its day


STATE_NAMES = {CommitmentState.OPEN: ("进行中", "under way"), CommitmentState.OVERDUE: ("已逾期", "overdue"),
               CommitmentState.KEPT: ("已兑现", "kept"), CommitmentState.KEPT_LATE: ("逾期兑现", "kept late")}


def state_of(due_on: date, kept_on: date | None, today: date) -> CommitmentState:
    """A commitment is tracked like a case's deadline: by its own day, in the jurisdiction's calendar."""
    if kept_on is not None:
        return CommitmentState.KEPT if kept_on <= due_on else CommitmentState.KEPT_LATE
    return CommitmentState.OVERDUE if today > due_on else CommitmentState.OPEN


def mean_score(scores: Iterable[int]) -> float | None:
    """The residents' mean score (1-5), or None before anyone scored."""
    scores = list(scores)
    return round(sum(scores) / len(scores), 2) if scores else None
