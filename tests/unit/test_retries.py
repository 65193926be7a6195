"""The webhook back-off schedule: parsed from settings, jittered within bounds, spent after its last wait; what an
answer means. For SMS, e-mail and group replies: retry, then the next channel, then the dead letters."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.notification.domain.retries import (
    CHANNEL_LONGEST_WAIT,
    DEFAULT_SCHEDULE,
    JITTER,
    Outcome,
    after_failure,
    next_attempt_at,
    outcome_of,
    parse_schedule,
)

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


def test_a_passing_failure_is_tried_again_on_the_same_channel_with_doubling_waits():
    waits = [after_failure("sms", ["group"], n, permanent=False, max_attempts=9, now=NOW, rng=random.Random(n))
             for n in range(1, 9)]
    assert all(w.action == "retry" and w.channel == "sms" and w.fallbacks == ("group",) for w in waits)
    lengths = [w.not_before - NOW for w in waits]
    assert timedelta(seconds=24) <= lengths[0] <= timedelta(seconds=36)
    assert lengths[3] > lengths[1] > lengths[0]
    assert max(lengths) <= CHANNEL_LONGEST_WAIT * (1 + JITTER)


def test_a_lasting_failure_or_the_last_try_moves_to_the_next_channel_and_with_none_left_dead_letters():
    lasting = after_failure("sms", ["group", "x"], 1, permanent=True, max_attempts=5, now=NOW)
    assert (lasting.action, lasting.channel, lasting.fallbacks, lasting.attempts) == ("fallback", "group", ("x",), 0)
    last_try = after_failure("email", ["inbox"], 5, permanent=False, max_attempts=5, now=NOW)
    assert (last_try.action, last_try.channel, last_try.not_before) == ("fallback", "inbox", None)
    dead = after_failure("group", [], 2, permanent=True, max_attempts=5, now=NOW)
    assert (dead.action, dead.channel, dead.attempts) == ("dead_letter", "group", 2)
