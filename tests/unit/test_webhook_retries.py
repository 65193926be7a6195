"""The webhook back-off schedule: parsed from settings, jittered within bounds, spent after its last wait; what an
answer means."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.notification.retries import DEFAULT_SCHEDULE, JITTER, Outcome, next_attempt_at, outcome_of, parse_schedule

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_the_default_schedule_spans_about_three_days_from_seconds_to_hours():
    waits = parse_schedule(DEFAULT_SCHEDULE)
    assert waits[0] == timedelta(seconds=5) and waits[1] == timedelta(minutes=5)
    assert list(waits) == sorted(waits)
    assert timedelta(days=2.5) < sum(waits, timedelta()) < timedelta(days=3.5)


@pytest.mark.parametrize("text", ["", "5s,,5m", "5 minutes", "-5s", "5w"])
def test_a_schedule_that_is_not_durations_is_refused(text):
    with pytest.raises(ValueError):
        parse_schedule(text)


def test_each_wait_is_jittered_within_bounds_and_the_schedule_is_spent_after_the_last():
    waits = parse_schedule("10s,1h")
    rng = random.Random(7)
    drawn = [next_attempt_at(waits, 1, NOW, rng=rng) - NOW for _ in range(500)]
    low, high = timedelta(seconds=10 * (1 - JITTER)), timedelta(seconds=10 * (1 + JITTER))
    assert all(low <= d <= high for d in drawn)
    assert len(set(drawn)) > 400  # endpoints that failed together do not come back together
    assert timedelta(minutes=48) <= next_attempt_at(waits, 2, NOW, rng=rng) - NOW <= timedelta(minutes=72)
    assert next_attempt_at(waits, 3, NOW) is None


@pytest.mark.parametrize(("status", "outcome"), [
    (200, Outcome.DELIVERED), (204, Outcome.DELIVERED), (410, Outcome.GONE), (301, Outcome.RETRY),
    (302, Outcome.RETRY), (404, Outcome.RETRY), (429, Outcome.RETRY), (500, Outcome.RETRY), (None, Outcome.RETRY)])
def test_only_a_2xx_delivers_and_only_a_410_gives_the_endpoint_up(status, outcome):
    assert outcome_of(status) is outcome
