"""Reporting periods in plain Python: an ISO week (2026-W47), a month (2026-11), a quarter (2026Q4) or a year
(2026), as local moments."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

_MONTH, _QUARTER, _YEAR = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$"), re.compile(r"^(20\d\d)Q([1-4])$"), \
    re.compile(r"^(20\d\d)$")
_WEEK = re.compile(r"^(20\d\d)-W(0[1-9]|[1-4]\d|5[0-3])$")


def period_bounds(period: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The period's first moment and the first moment after it, in the jurisdiction's zone."""
    if m := _WEEK.match(period):
        try:
            start = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            raise ValueError(f"{period} has no such week") from None
        end = start + timedelta(days=7)
    elif m := _MONTH.match(period):
        year, month = int(m.group(1)), int(m.group(2))
        start, end = date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1)
    elif m := _QUARTER.match(period):
        year, q = int(m.group(1)), int(m.group(2))
        start, end = date(year, 3 * q - 2, 1), date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    elif m := _YEAR.match(period):
        start, end = date(int(m.group(1)), 1, 1), date(int(m.group(1)) + 1, 1, 1)
    else:
        raise ValueError("a period is a week (2026-W47), a month (2026-11), a quarter (2026Q4) or a year (2026)")
    return datetime.combine(start, time(), tz), datetime.combine(end, time(), tz)


def quarter_of(moment: datetime) -> str:
    return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"


def week_of(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"
