"""Clocks on the working calendar: warnings at shares of the allowed time, the breach, skipped stages after downtime,
the escalation ladder, pauses, extensions and their limits."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.supervision.domain import clocks
from services.supervision.domain.calendar import WorkingCalendar
from services.supervision.domain.clocks import TimeLimitPolicy
from shared.events import DeadlineKind, EscalationLevel

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar(windows=[(time(9), time(12)), (time(13), time(17, 30))])
HELP = TimeLimitPolicy("help", sign_for_hours=2, completion_days=5)


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def completion(start=None):
    return clocks.open_clocks(HELP, CALENDAR, "unit-a", start or at(2026, 11, 23, 9))[1]


def test_a_clock_warns_at_half_and_four_fifths_of_its_working_time_then_breaches_once():
    clock = completion()
    assert clock.due_at == at(2026, 11, 30, 17, 30)
    half, most = clock.warnings
    assert (half.threshold, most.threshold) == (0.5, 0.8)
    assert CALENDAR.working_time_between(clock.started_at, half.at) == CALENDAR.working_time_between(
        clock.started_at, clock.due_at) / 2
    assert clocks.fire(clock, half.at - timedelta(seconds=1)) is None
    first = clocks.fire(clock, half.at)
    assert first.threshold == 0.5 and not first.is_breach and first.clock.next_fire_at == most.at
    second = clocks.fire(first.clock, most.at)
    breach = clocks.fire(second.clock, clock.due_at)
    assert breach.is_breach and breach.clock.breached and breach.clock.next_fire_at is None
    assert clocks.fire(breach.clock, clock.due_at + timedelta(days=3)) is None


def test_a_clock_that_breached_while_nobody_watched_says_so_once_without_stale_warnings():
    clock = completion()
    late = clocks.fire(clock, clock.due_at + timedelta(days=2))
    assert late.is_breach and late.skipped == 2 and late.clock.fired == 3


def test_an_unanswered_supervision_order_climbs_to_the_street_leader_then_the_district_then_stops():
    order = clocks.open_reply_clock(HELP, CALENDAR, "unit-a", at(2026, 11, 23, 10))
    assert order.level is EscalationLevel.SUPERVISION_ORDER and order.kind is DeadlineKind.REPLY
    assert order.due_at == at(2026, 11, 24, 10, 30)  # eight working hours: 6.5 on Monday, 1.5 on Tuesday
    street = clocks.climb(order, HELP, CALENDAR, order.due_at)
    district = clocks.climb(street, HELP, CALENDAR, street.due_at)
    assert (street.level, district.level) == (EscalationLevel.STREET_LEADER, EscalationLevel.DISTRICT)
    assert clocks.climb(district, HELP, CALENDAR, district.due_at) is None


def test_the_ladder_s_reply_clock_follows_the_policy_s_clock():
    """An urgent matter runs on the clock: its supervision order is answered within hours of the clock, at night and
    on a Sunday too; a working-time policy's order waits for the working day."""
    urgent = TimeLimitPolicy("urgent", sign_for_hours=0.5, completion_hours=4, clock=True, reply_hours=2)
    sunday_night = at(2026, 11, 29, 22)
    order = clocks.open_reply_clock(urgent, CALENDAR, "unit-a", sunday_night)
    assert order.due_at == at(2026, 11, 30, 0) and order.on_the_clock
    assert clocks.climb(order, urgent, CALENDAR, order.due_at).due_at == at(2026, 11, 30, 2)
    working = clocks.open_reply_clock(HELP, CALENDAR, "unit-a", sunday_night)
    assert working.due_at == at(2026, 12, 1, 9, 30) and not working.on_the_clock  # 7.5 hours Monday, 0.5 Tuesday


def test_a_paused_clock_stands_still_and_resumes_with_the_working_time_it_had_left():
    clock = completion()
    paused = clocks.pause(clock, at(2026, 11, 24, 9))  # one working day used
    assert paused.next_fire_at is None
    resumed = clocks.resume(paused, CALENDAR, at(2026, 11, 26, 9))  # two working days later
    assert resumed.paused_at is None
    assert resumed.due_at == at(2026, 12, 2, 17, 30)
    assert CALENDAR.working_time_between(at(2026, 11, 26, 9), resumed.due_at) == \
        CALENDAR.working_time_between(at(2026, 11, 24, 9), clock.due_at)


def test_an_extension_moves_the_deadline_and_counts_warnings_already_past_as_spoken():
    clock = completion()
    now = at(2026, 11, 27, 15)  # past the half of the old span
    new_due = at(2026, 12, 4, 17, 30)
    moved = clocks.extend(clock, HELP, CALENDAR, new_due, now)
    assert moved.due_at == new_due and moved.fired == sum(1 for s in moved.warnings if s.at <= now)
    assert clocks.fire(moved, now) is None


def test_extensions_are_limited_in_number_and_length_by_the_policy():
    due = at(2026, 11, 30, 17, 30)
    ok = clocks.check_extension(HELP, CALENDAR, granted_before=0, current_due=due, new_due=at(2026, 12, 7, 17, 30))
    assert ok.allowed
    again = clocks.check_extension(HELP, CALENDAR, granted_before=1, current_due=due, new_due=at(2026, 12, 7, 17, 30))
    assert (again.allowed, again.code) == (False, "extension_limit_reached")
    too_long = clocks.check_extension(HELP, CALENDAR, granted_before=0, current_due=due,
                                      new_due=at(2027, 1, 29, 17, 30))
    assert (too_long.allowed, too_long.code) == (False, "extension_too_long")
    earlier = clocks.check_extension(HELP, CALENDAR, granted_before=0, current_due=due, new_due=due)
    assert earlier.code == "extension_not_later"


def test_a_sub_item_policy_refines_its_class_and_a_bad_policy_is_refused():
    elderly = TimeLimitPolicy("help", sign_for_hours=1, completion_days=2, category_code="elderly-care")
    assert clocks.pick_policy([HELP, elderly], category_code="elderly-care", time_limit_class="help") is elderly
    assert clocks.pick_policy([HELP, elderly], category_code="roads", time_limit_class="help") is HELP
    assert clocks.pick_policy([HELP], category_code="roads", time_limit_class="complaint") is None
    for bad in (dict(warn_at=(0.8, 0.5)), dict(warn_at=(1.2,)), dict(sign_for_hours=0),
                dict(completion_hours=3)):
        with pytest.raises(ValueError):
            TimeLimitPolicy("help", **{"sign_for_hours": 2, "completion_days": 5, **bad})


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 11, 1), timezones=st.just(UTC))


@settings(max_examples=80, deadline=None)
@given(start=moments, fraction=st.floats(min_value=0.05, max_value=0.95))
def test_every_warning_falls_between_the_start_and_the_deadline_in_order(start, fraction):
    policy = TimeLimitPolicy("help", sign_for_hours=2, completion_days=5, warn_at=(round(fraction, 2),))
    for clock in clocks.open_clocks(policy, CALENDAR, "u", start):
        times = [clock.started_at, *(s.at for s in clock.warnings), clock.due_at]
        assert times == sorted(times)


@settings(max_examples=60, deadline=None)
@given(start=moments, pause_after=st.floats(min_value=0.1, max_value=30), wait=st.floats(min_value=0.1, max_value=200))
def test_a_pause_never_shortens_the_working_time_left(start, pause_after, wait):
    clock = completion(start)
    paused_at = start + timedelta(hours=pause_after)
    if paused_at >= clock.due_at:
        return
    resumed_at = paused_at + timedelta(hours=wait)
    resumed = clocks.resume(clocks.pause(clock, paused_at), CALENDAR, resumed_at)
    left_before = CALENDAR.working_time_between(paused_at, clock.due_at)
    left_after = CALENDAR.working_time_between(resumed_at, resumed.due_at)
    assert abs(left_after - left_before) < timedelta(seconds=1)


def test_the_verdict_clock_gives_the_resident_working_days_and_the_cap_sends_a_round_to_a_meeting():
    verdict = clocks.open_verdict_clock(HELP, CALENDAR, "unit-a", at(2026, 11, 27, 16))  # a Friday
    assert verdict.kind is DeadlineKind.VERDICT and verdict.due_at == at(2026, 12, 2, 17, 30)
    assert clocks.reopens(HELP, 1) and clocks.reopens(HELP, 2) and not clocks.reopens(HELP, 3)


def test_a_policy_is_named_in_words_on_the_timeline():
    assert clocks.policy_in_words(HELP.name) == "求助类时限（签收2小时，办结5个工作日）"
    urgent = TimeLimitPolicy("urgent", sign_for_hours=0.5, completion_hours=4, clock=True)
    assert clocks.policy_in_words(f"{urgent.name}:extended") == "紧急类时限（签收0.5小时，办结4小时），已延期"
    assert clocks.policy_in_words("an admin's own words") == "an admin's own words"
