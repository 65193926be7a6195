"""Time-limit policies in plain Python: when a unit must sign for a case and when it must complete it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.supervision.calendar import WorkingCalendar
from shared.events import DeadlineKind


@dataclass(frozen=True)
class TimeLimitPolicy:
    """One class of case (urgent, consultation, help, complaint, complex) in one jurisdiction."""

    time_limit_class: str
    sign_for_hours: float
    completion_days: int | None = None
    completion_hours: float | None = None
    # Urgent matters (water, power, gas) run on the clock, not on working time.
    clock: bool = False

    @property
    def name(self) -> str:
        return f"{self.time_limit_class}:sign{self.sign_for_hours}h:" + (
            f"done{self.completion_days}d" if self.completion_days else f"done{self.completion_hours}h")


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due_at: datetime


def deadlines_for(policy: TimeLimitPolicy, calendar: WorkingCalendar, dispatched_at: datetime) -> list[Deadline]:
    if policy.clock:
        sign_for = dispatched_at + timedelta(hours=policy.sign_for_hours)
        done = dispatched_at + timedelta(hours=policy.completion_hours or 0)
    else:
        sign_for = calendar.add_working_hours(dispatched_at, policy.sign_for_hours)
        done = (calendar.add_working_days(dispatched_at, policy.completion_days) if policy.completion_days
                else calendar.add_working_hours(dispatched_at, policy.completion_hours or 0))
    return [Deadline(DeadlineKind.SIGN_FOR, sign_for), Deadline(DeadlineKind.COMPLETION, max(done, sign_for))]
