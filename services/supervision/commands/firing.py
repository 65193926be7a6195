"""Firing what falls due: warnings, breaches and the escalation ladder exactly once whatever the number of
supervision instances; and the daily check for a missing working calendar."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import structlog

from services.supervision.adapters.store import ClockChange, ClosedClock, DueClock, NewClock, TimelineLine
from services.supervision.adapters.time_rules import CALENDAR_MISSING
from services.supervision.commands import deadlines
from services.supervision.domain import clocks
from services.supervision.domain.calendar import missing_years
from services.supervision.domain.statuses import ClockOutcome
from shared.events import CaseCallbackRequested, CaseDeadlineBreached, CaseDeadlineWarned, CaseEscalated, DeadlineKind
from shared.messaging.unit_of_work import UnitOfWork, UnitOfWorkFactory
from shared.reference.labels import label, local_time

log = structlog.get_logger(__name__)


async def fire_due(uow_factory: UnitOfWorkFactory, *, now: datetime, batch: int = 1000, per_unit: int = 50,
                   spread: timedelta = timedelta(minutes=1)) -> int:
    """Fire every clock due by ``now``, up to ``batch``; the count of clocks handled.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED``, and each firing moves its clock on in the same transaction as
    the events it publishes, so two instances never fire the same stage. A unit with more than ``per_unit`` firings
    in one poll (the morning after a long holiday) gets the rest ``spread`` apart: the record keeps each ``due_at``.
    Each kind of write of the whole batch is one statement, so a burst drains at thousands a second.
    """
    async with uow_factory() as uow:
        due = await uow.store.due_clocks(now, limit=batch)
        if not due:
            return 0
        poll = _Poll(uow, await uow.store.all_rules(), now)
        per_unit_so_far: Counter[str] = Counter()
        for row in due:
            deadline = row.deadline
            per_unit_so_far[deadline.unit_id] += 1
            wave = (per_unit_so_far[deadline.unit_id] - 1) // per_unit
            clock = deadline.clock
            if wave:
                poll.saves.append(ClockChange(deadline.id, clock, breached_at=deadline.breached_at,
                                              next_fire_at=now + spread * wave))
            elif (firing := clocks.fire(clock, now)) is None:
                # Moved since it was due (an extension, a pause): store its own next stage.
                poll.saves.append(ClockChange(deadline.id, clock, breached_at=deadline.breached_at))
            else:
                poll.speak(row, firing)
        await poll.finish()
    return len(due)


class _Poll:
    """What one poll's firings do, gathered so that each kind of write is one statement for the whole batch."""

    def __init__(self, uow: UnitOfWork, rules, now: datetime):
        self.uow, self.rules, self.now = uow, rules, now
        self.saves: list[ClockChange] = []
        self.lines: list[TimelineLine] = []
        self.closing: list[ClosedClock] = []
        self.breached: list[tuple] = []    # (due clock, clock, policy, rules): may start the ladder
        self.escalations: list[tuple] = []  # (due clock, reply clock, reason)

    def _policy(self, row: DueClock):
        rules = self.rules.get(row.district_id)
        if rules is None or row.time_limit_class is None:
            return None, None
        return rules, rules.policy(category_code=row.category_code, time_limit_class=row.time_limit_class)

    def _line(self, row: DueClock, kind: str, unit_id: str, text: str) -> None:
        self.lines.append(TimelineLine(row.deadline.case_id, self.now, kind, unit_id, text))

    def speak(self, row: DueClock, firing: clocks.Firing) -> None:
        clock, now, record, deadline = firing.clock, self.now, self.uow.record, row.deadline
        if not firing.is_breach:
            record(CaseDeadlineWarned(case_id=deadline.case_id, unit_id=clock.unit_id, kind=clock.kind,
                                      threshold=firing.threshold, due_at=clock.due_at, warned_at=now,
                                      supervisor_id=row.supervisor_id))
            self._line(row, "warning", clock.unit_id, f"黄色预警：{label('kind', clock.kind)}时限已用"
                       f"{firing.threshold:.0%}，截止{local_time(clock.due_at)}")
            self.saves.append(ClockChange(deadline.id, clock))
            return
        rules, policy = self._policy(row)
        if clock.kind is DeadlineKind.REPLY:
            higher = clocks.climb(clock, policy, rules.calendar, now) if policy is not None else None
            if higher is not None:
                self.escalations.append((row, higher, f"{label('level', clock.level)}未在"
                                                      f"{local_time(clock.due_at)}前答复"))
                self.saves.append(ClockChange(deadline.id, higher))
                return
            record(CaseDeadlineBreached(case_id=deadline.case_id, unit_id=clock.unit_id, kind=clock.kind,
                                        due_at=clock.due_at, breached_at=now, level=clock.level,
                                        supervisor_id=row.supervisor_id))
            self.closing.append(ClosedClock(deadline, ClockOutcome.UNANSWERED,
                                            f"{label('level', clock.level)}仍未答复"))
            return
        if clock.kind is DeadlineKind.VERDICT:
            record(CaseCallbackRequested(case_id=deadline.case_id, round=max(row.completion_round or 1, 1),
                                         completed_at=clock.started_at, requested_at=now))
            self.closing.append(ClosedClock(deadline, ClockOutcome.CALLBACK_REQUESTED, "居民未在时限内评价，转回访"))
            return
        record(CaseDeadlineBreached(case_id=deadline.case_id, unit_id=clock.unit_id, kind=clock.kind,
                                    due_at=clock.due_at, breached_at=now, supervisor_id=row.supervisor_id))
        self._line(row, "breach", clock.unit_id,
                   f"红色超时：{label('kind', clock.kind)}时限{local_time(clock.due_at)}已过")
        self.saves.append(ClockChange(deadline.id, clock, breached_at=now))
        if policy is None:
            log.warning("breach without a policy for the ladder", case_id=str(deadline.case_id))
        else:
            self.breached.append((row, clock, policy, rules))

    async def finish(self) -> None:
        await self._start_ladders()
        uow, now = self.uow, self.now
        for row, order, reason in self.escalations:
            uow.record(CaseEscalated(case_id=row.deadline.case_id, unit_id=order.unit_id, level=order.level,
                                     reason=reason, reply_by=order.due_at, escalated_at=now,
                                     supervisor_id=row.supervisor_id))
            self._line(row, "escalation", order.unit_id,
                       f"{label('level', order.level)}：{reason}；请于{local_time(order.due_at)}前答复")
        await uow.store.mark_escalated([(row.deadline.case_id, order.level) for row, order, _ in self.escalations])
        await uow.store.save_clocks(self.saves)
        await deadlines.close_many(uow, self.closing, at=now)
        await uow.store.log(self.lines)

    async def _start_ladders(self) -> None:
        """A breach starts the ladder with a supervision order, unless a step awaits its reply already or a ladder
        reached the top unanswered (the district has the case; starting again would step down). One per case."""
        if not self.breached:
            return
        under_way = await self.uow.store.ladders_under_way(list({row.deadline.case_id for row, *_ in self.breached}))
        orders = []
        for row, clock, policy, rules in self.breached:
            case_id = row.deadline.case_id
            if case_id in under_way:
                continue
            under_way.add(case_id)
            order = clocks.open_reply_clock(policy, rules.calendar, clock.unit_id, self.now)
            orders.append(NewClock(case_id, order, policy.name, f"breach:{row.deadline.id}"))
            self.escalations.append((row, order, f"{label('kind', clock.kind)}时限已过"))
        await deadlines.open_many(self.uow, orders, now=self.now)


async def check_calendars(uow_factory: UnitOfWorkFactory, *, today: date) -> dict[str, list[int]]:
    """Load a needed year from the statutory calendar when the package knows it; what is still missing raises the
    alarm (a gauge and an error in the log) until someone loads or enters it."""
    missing: dict[str, list[int]] = {}
    async with uow_factory() as uow:
        for jurisdiction, loaded in (await uow.store.calendar_years()).items():
            for year in missing_years(loaded, today):
                if await uow.store.load_statutory_year(jurisdiction, year):
                    log.info("working calendar loaded from the statutory calendar", jurisdiction=jurisdiction,
                             year=year)
                else:
                    missing.setdefault(jurisdiction, []).append(year)
    for jurisdiction, years in missing.items():
        for year in years:
            CALENDAR_MISSING.labels(jurisdiction, str(year)).set(1)
            log.error("working calendar missing: deadlines in that year count Monday to Friday only",
                      jurisdiction=jurisdiction, year=year)
    return missing
