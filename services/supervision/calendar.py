"""The working calendar in plain Python: working hours, statutory holidays and adjusted working days."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
import structlog

log = structlog.get_logger(__name__)


@lru_cache(maxsize=4096)  # a handful of days per deadline, the same days for every case of the week
def statutory_workday(day: date) -> bool:
    """China's official working days (holidays off, adjusted weekend days on), from ``chinese-calendar``.

    For a year the package does not know yet, Monday to Friday, with a warning: the alarm for a missing calendar.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("working calendar unknown for this year; using Monday-Friday", year=day.year)
        return day.weekday() < 5


class WorkingCalendar:
    """Deadline arithmetic in working time. Every datetime in and out is aware; arithmetic is in the local zone."""

    def __init__(self, *, windows: Sequence[tuple[time, time]], is_workday: Callable[[date], bool] = statutory_workday,
                 tz: str = "Asia/Shanghai"):
        if not windows or any(start >= end for start, end in windows):
            raise ValueError("working windows must be non-empty and each start before its end")
        self.windows = sorted(windows)
        self.is_workday = is_workday
        self.tz = ZoneInfo(tz)

    def _day_windows(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(day):
            return []
        return [(datetime.combine(day, s, self.tz), datetime.combine(day, e, self.tz)) for s, e in self.windows]

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment when ``hours`` of working time have passed since ``start``."""
        if hours < 0:
            raise ValueError("hours must not be negative")
        remaining = timedelta(hours=hours)
        now = start.astimezone(self.tz)
        day = now.date()
        for _ in range(3660):  # ten years of days: a calendar with no working day at all is a configuration error
            for open_, close in self._day_windows(day):
                if close <= now:
                    continue
                begin = max(open_, now)
                available = close - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
            now = datetime.combine(day, time(0), self.tz)
        raise ValueError("no working time found within ten years")

    def end_of_working_day(self, day: date) -> datetime:
        return datetime.combine(day, self.windows[-1][1], self.tz)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Close of the ``days``-th working day after the day of ``start`` (hotline practice: "within N working days")."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day = start.astimezone(self.tz).date()
        counted = 0
        for _ in range(3660):
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
                if counted == days:
                    return self.end_of_working_day(day)
        raise ValueError("no working day found within ten years")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        total = timedelta()
        day = start.astimezone(self.tz).date()
        while datetime.combine(day, time(0), self.tz) < end:
            for open_, close in self._day_windows(day):
                lo, hi = max(open_, start), min(close, end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total


def parse_windows(pairs: Sequence[Sequence[str]]) -> list[tuple[time, time]]:
    return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in pairs]
