"""The working calendar in plain Python: working hours, statutory holidays and adjusted working days, as loaded for
a jurisdiction, and the alarm when a year it will soon need is missing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CalendarDay:
    """An exception to Monday-Friday: a holiday on a weekday, or an adjusted working day on a weekend."""

    day: date
    workday: bool
    name: str


# The statutory calendar's holidays by their Chinese names (the package names them in English).
HOLIDAY_NAMES_ZH = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}
_ADJUSTED = " (adjusted working day)"


def name_zh(name: str) -> str:
    """A calendar day's name as a person in the jurisdiction reads it (an admin's own name as given)."""
    if name.endswith(_ADJUSTED):
        base = name.removesuffix(_ADJUSTED)
        return f"{HOLIDAY_NAMES_ZH.get(base, base)}调休上班"
    return HOLIDAY_NAMES_ZH.get(name, name)


def statutory_days(year: int) -> list[CalendarDay] | None:
    """The State Council's holidays and adjusted working days of ``year``, from ``chinese-calendar``; None if the
    package does not know the year yet (it is published each autumn for the next year)."""
    if year not in statutory_years():
        return None
    days = [CalendarDay(d, False, name) for d, name in chinese_calendar.constants.holidays.items() if d.year == year]
    days += [CalendarDay(d, True, f"{name}{_ADJUSTED}")
             for d, name in chinese_calendar.constants.workdays.items() if d.year == year]
    return sorted(days, key=lambda d: d.day)


@lru_cache(maxsize=1)
def statutory_years() -> frozenset[int]:
    return frozenset(d.year for d in chinese_calendar.constants.holidays)


class LoadedDays:
    """``is_workday`` for a jurisdiction: its stored exceptions in the years it has loaded, Monday-Friday elsewhere.

    A day in a year that is not loaded is counted Monday-Friday; ``missing_years`` is what raises the alarm.
    """

    def __init__(self, days: Iterable[CalendarDay], years: Iterable[int]):
        self.exceptions = {d.day: d.workday for d in days}
        self.years = frozenset(years)

    def __call__(self, day: date) -> bool:
        found = self.exceptions.get(day)
        return found if found is not None else day.weekday() < 5


# The State Council publishes next year's holidays in the autumn; from this day on a missing next year is an alarm.
NEXT_YEAR_EXPECTED_FROM = (10, 15)


def missing_years(loaded: Iterable[int], today: date) -> list[int]:
    """The years the jurisdiction needs and has not loaded: this year always, next year from mid-October."""
    needed = [today.year] + ([today.year + 1] if (today.month, today.day) >= NEXT_YEAR_EXPECTED_FROM else [])
    have = set(loaded)
    return [y for y in needed if y not in have]


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
