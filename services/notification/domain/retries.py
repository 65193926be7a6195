"""When a failed message is tried again, in plain Python: for webhooks a back-off schedule with jitter over about
three days (after Standard Webhooks' recommendation) and what one attempt's answer means; for SMS, e-mail and group
replies a few quick tries, then the next channel, then the dead letters."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: The waits after the 1st, 2nd, … failed attempt: the last attempt is about three days after the first.
DEFAULT_SCHEDULE = "5s,5m,30m,2h,5h,10h,14h,20h,20h"
JITTER = 0.2  # each wait is drawn from ±20 % of its nominal length, so endpoints that failed together do not retry together
_PART = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class Outcome(StrEnum):
    DELIVERED = "delivered"  # 2xx
    GONE = "gone"            # 410: the partner says the endpoint is no more; it is disabled at once
    RETRY = "retry"          # anything else: another status, a redirect (never followed), a timeout, a refused connection


def parse_schedule(text: str) -> tuple[timedelta, ...]:
    """``"5s,5m,2h"`` → the waits; a bare number is seconds. ``ValueError`` on anything else."""
    waits = []
    for part in (p.strip() for p in text.split(",")):
        match = _PART.match(part)
        if not match:
            raise ValueError(f"not a duration: {part!r} (use e.g. 5s, 30m, 2h)")
        waits.append(timedelta(seconds=float(match[1]) * _UNIT[match[2]]))
    if not waits:
        raise ValueError("the schedule is empty")
    return tuple(waits)


def next_attempt_at(schedule: tuple[timedelta, ...], attempts_made: int, now: datetime, *,
                    rng: random.Random | None = None) -> datetime | None:
    """When to try again after ``attempts_made`` failed attempts; None when the schedule is spent (give up)."""
    if attempts_made > len(schedule):
        return None
    wait = schedule[attempts_made - 1].total_seconds()
    return now + timedelta(seconds=wait * (rng or random).uniform(1 - JITTER, 1 + JITTER))


def outcome_of(status_code: int | None) -> Outcome:
    """What an answer means; ``None`` is no answer at all (timeout, refused connection, refused target)."""
    if status_code is not None and 200 <= status_code < 300:
        return Outcome.DELIVERED
    if status_code == 410:
        return Outcome.GONE
    return Outcome.RETRY


#: The first wait after a passing failure of SMS, e-mail or a group reply; it doubles with each try, up to an hour.
CHANNEL_FIRST_WAIT, CHANNEL_LONGEST_WAIT = timedelta(seconds=30), timedelta(hours=1)


@dataclass(frozen=True)
class NextStep:
    """What becomes of a message whose channel failed: ``retry`` it there at ``not_before``, go on to ``channel``
    (``fallback``), or ``dead_letter`` it (every channel failed)."""

    action: str
    channel: str
    fallbacks: tuple[str, ...]
    attempts: int
    not_before: datetime | None


def after_failure(channel: str, fallbacks: tuple[str, ...] | list[str], attempts_made: int, *, permanent: bool,
                  max_attempts: int, now: datetime, rng: random.Random | None = None) -> NextStep:
    """A passing failure is tried again on the same channel (doubling waits, jittered) until ``max_attempts``; a
    lasting one, or the last try, moves to the next channel; with none left the message is dead-lettered."""
    if not permanent and attempts_made < max_attempts:
        wait = min(CHANNEL_FIRST_WAIT * 2 ** (attempts_made - 1), CHANNEL_LONGEST_WAIT)
        wait *= (rng or random).uniform(1 - JITTER, 1 + JITTER)
        return NextStep("retry", channel, tuple(fallbacks), attempts_made, now + wait)
    if fallbacks:
        return NextStep("fallback", fallbacks[0], tuple(fallbacks[1:]), 0, None)
    return NextStep("dead_letter", channel, (), attempts_made, None)
