"""Clocks in plain Python: time-limit policies, the deadlines they open, the warnings and breach each fires, pauses,
extensions, and the escalation ladder a breach starts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from services.supervision.domain.calendar import WorkingCalendar
from shared.events import DeadlineKind, EscalationLevel

# After a breach, the ladder: each step gives the unit a reply deadline, and an unanswered step climbs one more.
LADDER = (EscalationLevel.SUPERVISION_ORDER, EscalationLevel.STREET_LEADER, EscalationLevel.DISTRICT)


@dataclass(frozen=True)
class TimeLimitPolicy:
    """The limits of one class of case (urgent, consultation, help, complaint, complex) in one jurisdiction, or of
    one sub-item when it differs from its class."""

    time_limit_class: str
    sign_for_hours: float
    completion_days: int | None = None
    completion_hours: float | None = None
    # Urgent matters (water, power, gas) run on the clock, not on working time.
    clock: bool = False
    category_code: str | None = None
    # Fractions of the allowed time at which the unit and its supervisor are warned (yellow); the breach is red.
    warn_at: tuple[float, ...] = (0.5, 0.8)
    # Reasons a unit may give for waiting that stop the clock (the resident cannot be reached, is away ...).
    pauses_for: frozenset[str] = frozenset({"waiting_for_resident"})
    max_extensions: int = 1
    max_extension_days: int = 10
    # Working hours a unit has to answer each step of the ladder.
    reply_hours: float = 8
    # Working days a resident has to judge a completion before an operator calls back.
    callback_after_days: int = 3
    # Dissatisfied rounds sent back to the units; one more goes to an explanation meeting instead.
    max_reopenings: int = 2

    def __post_init__(self):
        if self.sign_for_hours <= 0:
            raise ValueError("sign_for_hours must be positive")
        if (self.completion_days is None) == (self.completion_hours is None):
            raise ValueError("exactly one of completion_days and completion_hours")
        if (self.completion_days or 1) < 1 or (self.completion_hours or 1) <= 0:
            raise ValueError("the completion limit must be positive")
        if any(not 0 < f < 1 for f in self.warn_at) or list(self.warn_at) != sorted(set(self.warn_at)):
            raise ValueError("warn_at must be increasing fractions between 0 and 1")
        if self.max_extensions < 0 or self.max_extension_days < 0 or self.reply_hours <= 0:
            raise ValueError("extension limits must not be negative and the reply limit must be positive")
        if self.callback_after_days < 1 or self.max_reopenings < 0:
            raise ValueError("the call-back wait must be at least a day and the reopening cap not negative")

    @property
    def name(self) -> str:
        scope = self.category_code or self.time_limit_class
        return f"{scope}:sign{self.sign_for_hours:g}h:" + (
            f"done{self.completion_days}d" if self.completion_days else f"done{self.completion_hours:g}h")


_CLASS_ZH = {"urgent": "紧急", "consultation": "咨询", "help": "求助", "complaint": "投诉", "complex": "复杂"}
_POLICY = re.compile(r"^(?P<scope>[^:]+):sign(?P<sign>[\d.]+)h:done(?P<done>[\d.]+)(?P<unit>[dh])(?P<extended>:extended)?$")


def policy_in_words(policy: str) -> str:
    """A policy's name (``urgent:sign0.5h:done4h``) as a person reads it: 紧急类时限（签收0.5小时，办结4小时）."""
    found = _POLICY.match(policy)
    if found is None:
        return policy
    scope = f"{_CLASS_ZH[found['scope']]}类" if found["scope"] in _CLASS_ZH else "本事项专项"
    done = f"{found['done']}{'个工作日' if found['unit'] == 'd' else '小时'}"
    return f"{scope}时限（签收{found['sign']}小时，办结{done}）" + ("，已延期" if found["extended"] else "")


def pick_policy(policies: list[TimeLimitPolicy], *, category_code: str, time_limit_class: str) -> TimeLimitPolicy | None:
    """The sub-item's own policy if it has one, else its class's."""
    by_item = [p for p in policies if p.category_code == category_code]
    by_class = [p for p in policies if p.category_code is None and p.time_limit_class == time_limit_class]
    return (by_item or by_class or [None])[0]


@dataclass(frozen=True)
class Stage:
    """One moment a clock speaks: a warning at a fraction of its time, or (threshold None) the breach."""

    at: datetime
    threshold: float | None = None


@dataclass(frozen=True)
class Clock:
    """One deadline of one unit on one case. ``fired`` counts the stages already spoken, in order."""

    kind: DeadlineKind
    unit_id: str
    started_at: datetime
    due_at: datetime
    warnings: tuple[Stage, ...] = ()
    fired: int = 0
    on_the_clock: bool = False  # calendar time (urgent) rather than working time
    level: EscalationLevel | None = None  # the ladder's step, for a reply clock
    paused_at: datetime | None = None

    @property
    def stages(self) -> tuple[Stage, ...]:
        return (*self.warnings, Stage(self.due_at))

    @property
    def breached(self) -> bool:
        return self.fired > len(self.warnings)

    @property
    def next_fire_at(self) -> datetime | None:
        if self.paused_at is not None or self.breached:
            return None
        return self.stages[self.fired].at


@dataclass(frozen=True)
class Firing:
    """What a due clock says now: a warning (threshold) or the breach; ``skipped`` stages passed unspoken."""

    clock: Clock
    threshold: float | None
    skipped: int = 0

    @property
    def is_breach(self) -> bool:
        return self.threshold is None


def _elapse(calendar: WorkingCalendar, on_the_clock: bool, start: datetime, span: timedelta) -> datetime:
    return start + span if on_the_clock else calendar.add_working_hours(start, span.total_seconds() / 3600)


def _span(calendar: WorkingCalendar, on_the_clock: bool, start: datetime, end: datetime) -> timedelta:
    if end <= start:
        return timedelta()
    return end - start if on_the_clock else calendar.working_time_between(start, end)


def _warnings(policy: TimeLimitPolicy, calendar: WorkingCalendar, start: datetime, due: datetime) -> tuple[Stage, ...]:
    allowed = _span(calendar, policy.clock, start, due)
    return tuple(Stage(_elapse(calendar, policy.clock, start, allowed * f), f) for f in policy.warn_at)


def open_clocks(policy: TimeLimitPolicy, calendar: WorkingCalendar, unit_id: str, start: datetime) -> list[Clock]:
    """A unit's sign-for and completion clocks from the moment it is given the case."""
    if policy.clock:
        sign_for = start + timedelta(hours=policy.sign_for_hours)
        done = start + timedelta(hours=policy.completion_hours or 0)
    else:
        sign_for = calendar.add_working_hours(start, policy.sign_for_hours)
        done = (calendar.add_working_days(start, policy.completion_days) if policy.completion_days
                else calendar.add_working_hours(start, policy.completion_hours or 0))
    done = max(done, sign_for)
    return [Clock(kind, unit_id, start, due, _warnings(policy, calendar, start, due), on_the_clock=policy.clock)
            for kind, due in ((DeadlineKind.SIGN_FOR, sign_for), (DeadlineKind.COMPLETION, done))]


def open_reply_clock(policy: TimeLimitPolicy, calendar: WorkingCalendar, unit_id: str, start: datetime,
                     level: EscalationLevel = LADDER[0]) -> Clock:
    """The time a unit has to answer a step of the ladder (a supervision order, then its leaders), on the policy's own
    clock: an urgent matter's order is answered within hours of the clock, not of working time."""
    due = _elapse(calendar, policy.clock, start, timedelta(hours=policy.reply_hours))
    return Clock(DeadlineKind.REPLY, unit_id, start, due, level=level, on_the_clock=policy.clock)


def open_verdict_clock(policy: TimeLimitPolicy, calendar: WorkingCalendar, unit_id: str,
                       completed_at: datetime) -> Clock:
    """The time the resident has to judge a completion; when it passes, an operator calls them back."""
    return Clock(DeadlineKind.VERDICT, unit_id, completed_at,
                 calendar.add_working_days(completed_at, policy.callback_after_days))


def reopens(policy: TimeLimitPolicy, dissatisfied_round: int) -> bool:
    """A dissatisfied round goes back to the units up to the cap; past it, to an explanation meeting."""
    return dissatisfied_round <= policy.max_reopenings


def fire(clock: Clock, now: datetime) -> Firing | None:
    """The stage due by ``now``. Stages that passed unspoken (the service was down, the poll was late) are skipped,
    so a clock that breached while nobody watched says so once, not with stale warnings first."""
    if clock.next_fire_at is None or clock.next_fire_at > now:
        return None
    stages = clock.stages
    last = max(i for i in range(clock.fired, len(stages)) if stages[i].at <= now)
    return Firing(replace(clock, fired=last + 1), stages[last].threshold, skipped=last - clock.fired)


def climb(clock: Clock, policy: TimeLimitPolicy, calendar: WorkingCalendar, now: datetime) -> Clock | None:
    """An unanswered reply clock's next step up the ladder, or None at the top."""
    step = LADDER.index(clock.level) + 1 if clock.level in LADDER else len(LADDER)
    if step >= len(LADDER):
        return None
    return open_reply_clock(policy, calendar, clock.unit_id, now, LADDER[step])


def pause(clock: Clock, at: datetime) -> Clock:
    return clock if clock.paused_at is not None or clock.breached else replace(clock, paused_at=at)


def resume(clock: Clock, calendar: WorkingCalendar, at: datetime) -> Clock:
    """Every stage still to come moves on by the (working) time the clock stood still."""
    if clock.paused_at is None:
        return clock
    paused = clock.paused_at

    def moved(t: datetime) -> datetime:
        if t <= paused:
            return t
        return _elapse(calendar, clock.on_the_clock, at, _span(calendar, clock.on_the_clock, paused, t))

    warnings = tuple(Stage(moved(s.at), s.threshold) for s in clock.warnings)
    return replace(clock, paused_at=None, warnings=warnings, due_at=moved(clock.due_at))


def extend(clock: Clock, policy: TimeLimitPolicy, calendar: WorkingCalendar, new_due: datetime,
           at: datetime) -> Clock:
    """An approved extension: the new deadline, warnings recomputed over the whole span; those already past when it
    is approved count as spoken (the unit was warned under the old deadline)."""
    warnings = _warnings(policy, calendar, clock.started_at, new_due)
    fired = sum(1 for s in warnings if s.at <= at)
    return replace(clock, due_at=new_due, warnings=warnings, fired=fired)


@dataclass(frozen=True)
class ExtensionCheck:
    allowed: bool
    code: str | None = None
    message: str | None = None
    latest: date | None = field(default=None)


def check_extension(policy: TimeLimitPolicy, calendar: WorkingCalendar, *, granted_before: int,
                    current_due: datetime, new_due: datetime) -> ExtensionCheck:
    """Whether the policy lets a supervisor grant this extension (how many, how long)."""
    if granted_before >= policy.max_extensions:
        return ExtensionCheck(False, "extension_limit_reached",
                              f"this class allows {policy.max_extensions} extension(s) per unit, already granted")
    if policy.max_extension_days and not policy.clock:
        latest = calendar.add_working_days(current_due, policy.max_extension_days)
        if new_due > latest:
            return ExtensionCheck(False, "extension_too_long",
                                  f"at most {policy.max_extension_days} working days beyond the current deadline",
                                  latest.date())
    if new_due <= current_due:
        return ExtensionCheck(False, "extension_not_later", "the new deadline must be later than the current one")
    return ExtensionCheck(True)
