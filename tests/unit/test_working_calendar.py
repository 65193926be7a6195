"""Deadline arithmetic on the working calendar (statutory holidays, adjusted working days, working hours)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.supervision.domain.calendar import WorkingCalendar, statutory_workday
from services.supervision.domain.clocks import TimeLimitPolicy, open_clocks
from shared.events import DeadlineKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOWS = [(time(9), time(12)), (time(13), time(17, 30))]
CALENDAR = WorkingCalendar(windows=WINDOWS)


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_the_statutory_calendar_knows_holidays_and_adjusted_working_days_of_2026():
    assert not statutory_workday(date(2026, 10, 1))   # National Day
    assert not statutory_workday(date(2026, 2, 17))   # Spring Festival
    assert statutory_workday(date(2026, 11, 23))      # an ordinary Monday
    assert not statutory_workday(date(2026, 11, 22))  # an ordinary Sunday


def test_an_unknown_year_falls_back_to_monday_to_friday():
    assert statutory_workday(date(2099, 6, 1)) is (date(2099, 6, 1).weekday() < 5)


def test_working_hours_skip_lunch_nights_and_weekends():
    assert CALENDAR.add_working_hours(at(2026, 11, 23, 11), 2) == at(2026, 11, 23, 14)      # over lunch
    assert CALENDAR.add_working_hours(at(2026, 11, 23, 17), 2) == at(2026, 11, 24, 10, 30)  # over the night
    assert CALENDAR.add_working_hours(at(2026, 11, 21, 10), 2) == at(2026, 11, 23, 11)      # Saturday -> Monday


def test_the_national_day_holiday_is_skipped():
    # 30 Sep 2026 is a working day; 1-7 Oct are holidays; 8 Oct is the next working day.
    assert CALENDAR.add_working_hours(at(2026, 9, 30, 17), 1) == at(2026, 10, 8, 9, 30)
    assert CALENDAR.add_working_days(at(2026, 9, 30, 10), 1) == at(2026, 10, 8, 17, 30)


def test_working_days_end_at_the_close_of_the_nth_working_day_after_the_start():
    assert CALENDAR.add_working_days(at(2026, 11, 23, 10), 5) == at(2026, 11, 30, 17, 30)
    assert CALENDAR.add_working_days(at(2026, 11, 22, 10), 1) == at(2026, 11, 23, 17, 30)


def test_deadlines_of_a_policy_on_working_time_and_on_the_clock():
    help_policy = TimeLimitPolicy("help", sign_for_hours=2, completion_days=5)
    sign, done = open_clocks(help_policy, CALENDAR, "u", at(2026, 11, 23, 16))
    assert (sign.kind, sign.due_at) == (DeadlineKind.SIGN_FOR, at(2026, 11, 24, 9, 30))
    assert (done.kind, done.due_at) == (DeadlineKind.COMPLETION, at(2026, 11, 30, 17, 30))
    urgent = TimeLimitPolicy("urgent", sign_for_hours=0.5, completion_hours=4, clock=True)
    sunday_night = at(2026, 11, 22, 23)
    sign, done = open_clocks(urgent, CALENDAR, "u", sunday_night)
    assert sign.due_at == sunday_night + timedelta(minutes=30) and done.due_at == sunday_night + timedelta(hours=4)


def test_a_calendar_without_windows_is_refused():
    with pytest.raises(ValueError):
        WorkingCalendar(windows=[])
    with pytest.raises(ValueError):
        WorkingCalendar(windows=[(time(12), time(9))])


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20),
                       timezones=st.just(UTC))
hours = st.floats(min_value=0.01, max_value=80, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(start=moments, hours=hours)
def test_a_deadline_in_working_hours_lies_in_working_time_and_spends_exactly_those_hours(start, hours):
    due = CALENDAR.add_working_hours(start, hours)
    local = due.astimezone(SHANGHAI)
    assert statutory_workday(local.date())
    assert any(s <= local.time() <= e for s, e in WINDOWS)
    assert abs(CALENDAR.working_time_between(start, due) - timedelta(hours=hours)) < timedelta(seconds=1)


@settings(max_examples=100, deadline=None)
@given(start=moments, a=hours, b=hours)
def test_more_working_hours_never_give_an_earlier_deadline(start, a, b):
    low, high = sorted((a, b))
    assert CALENDAR.add_working_hours(start, low) <= CALENDAR.add_working_hours(start, high)


@settings(max_examples=100, deadline=None)
@given(start=moments, days=st.integers(min_value=1, max_value=15))
def test_n_working_days_end_on_a_working_day_with_n_working_days_after_the_start(start, days):
    due = CALENDAR.add_working_days(start, days).astimezone(SHANGHAI)
    assert statutory_workday(due.date()) and due.time() == time(17, 30)
    first = start.astimezone(SHANGHAI).date() + timedelta(days=1)
    counted = sum(statutory_workday(first + timedelta(days=i)) for i in range((due.date() - first).days + 1))
    assert counted == days


def test_the_holiday_oracle_is_injected_so_a_jurisdiction_can_keep_its_own_days():
    # A fake oracle: only Tuesdays and Thursdays are working days.
    calendar = WorkingCalendar(windows=[(time(9), time(17))], is_workday=lambda d: d.weekday() in (1, 3))
    assert calendar.add_working_hours(at(2026, 11, 23, 10), 10) == at(2026, 11, 26, 11)  # Mon -> Tue 8h -> Thu 2h
    assert calendar.add_working_days(at(2026, 11, 24, 10), 2) == at(2026, 12, 1, 17)       # Thu, then Tue


def test_a_jurisdiction_keeps_its_own_days_and_misses_the_next_year_from_mid_october():
    from services.supervision.domain.calendar import CalendarDay, LoadedDays, missing_years, statutory_days

    days = statutory_days(2026)
    assert CalendarDay(date(2026, 10, 1), False, "National Day") in days
    assert any(d.workday and d.day == date(2026, 9, 20) for d in days)  # a Sunday worked in lieu
    loaded = LoadedDays(days + [CalendarDay(date(2026, 12, 1), False, "district flood day")], [2026])
    assert not loaded(date(2026, 12, 1)) and loaded(date(2026, 9, 20)) and loaded(date(2026, 12, 2))
    assert missing_years([2026], date(2026, 6, 1)) == []
    assert missing_years([2026], date(2026, 11, 22)) == [2027]
    assert missing_years([], date(2026, 3, 1)) == [2026]
    assert statutory_days(2099) is None


def test_the_statutory_days_are_named_in_chinese_for_the_people_who_read_them():
    from services.supervision.domain.calendar import name_zh, statutory_days

    days = {d.day.isoformat(): d for d in statutory_days(2026)}
    assert name_zh(days["2026-10-01"].name) == "国庆节"
    assert all(not any("a" <= ch.lower() <= "z" for ch in name_zh(d.name)) for d in days.values())
    assert name_zh("社区活动日") == "社区活动日"  # an admin's own name as given
