"""Supervision's watch: the deadline poller that fires warnings, breaches and the escalation ladder exactly once
whatever the number of supervision instances, the rates' refresh of cases that moved, the weekly bulletin, and the
daily check for a missing working calendar."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import structlog
from sqlalchemy import bindparam, select, update

from services.supervision.adapters import deadlines, tables
from services.supervision.adapters.read_model import refresh_stale
from services.supervision.adapters.time_rules import CALENDAR_MISSING, load_statutory_year, time_rules
from services.supervision.api.bulletins import publish_last_week
from services.supervision.domain import clocks
from services.supervision.domain.calendar import missing_years
from services.supervision.domain.periods import week_of
from shared.events import CaseCallbackRequested, CaseDeadlineBreached, CaseDeadlineWarned, CaseEscalated, DeadlineKind
from shared.local_time import LOCAL_ZONE
from shared.messaging.unit_of_work import UnitOfWork, UnitOfWorkFactory
from shared.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)
_d, _c = tables.deadlines.c, tables.cases.c


async def fire_due(uow_factory: UnitOfWorkFactory, *, now: datetime, batch: int = 1000, per_unit: int = 50,
                   spread: timedelta = timedelta(minutes=1)) -> int:
    """Fire every clock due by ``now``, up to ``batch``; the count of clocks handled.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED``, and each firing moves its clock on in the same transaction as
    the events it publishes, so two instances never fire the same stage. A unit with more than ``per_unit`` firings
    in one poll (the morning after a long holiday) gets the rest ``spread`` apart: the record keeps each ``due_at``.
    Each kind of write of the whole batch is one statement, so a burst drains at thousands a second.
    """
    async with uow_factory() as uow:
        rows = (await uow.session.execute(
            select(tables.deadlines, _c.district_id, _c.category_code, _c.time_limit_class, _c.supervisor_id,
                   _c.completion_round)
            .join(tables.cases, _c.id == _d.case_id, isouter=True)
            .where(_d.status == deadlines.OPEN, _d.next_fire_at <= now)
            .order_by(_d.next_fire_at).limit(batch).with_for_update(of=tables.deadlines, skip_locked=True))).all()
        if not rows:
            return 0
        poll = _Poll(uow, await time_rules.get(uow.session), now)
        per_unit_so_far: Counter[str] = Counter()
        for row in rows:
            per_unit_so_far[row.unit_id] += 1
            wave = (per_unit_so_far[row.unit_id] - 1) // per_unit
            clock = deadlines.clock_of(row)
            if wave:
                poll.saves.append(deadlines.save_parameters(row.id, clock, breached_at=row.breached_at,
                                                            next_fire_at=now + spread * wave))
            elif (firing := clocks.fire(clock, now)) is None:
                # Moved since it was due (an extension, a pause): store its own next stage.
                poll.saves.append(deadlines.save_parameters(row.id, clock, breached_at=row.breached_at))
            else:
                poll.speak(row, firing)
        await poll.finish()
    return len(rows)


class _Poll:
    """What one poll's firings do, gathered so that each kind of write is one statement for the whole batch."""

    def __init__(self, uow: UnitOfWork, rules, now: datetime):
        self.uow, self.rules, self.now = uow, rules, now
        self.saves: list[dict] = []
        self.lines: list[deadlines.TimelineLine] = []
        self.closing: list[tuple] = []
        self.breached: list[tuple] = []    # (row, clock, policy): may start the ladder
        self.escalations: list[tuple] = []  # (row, reply clock, reason)

    def _policy(self, row):
        rules = self.rules.get(row.district_id)
        if rules is None or row.time_limit_class is None:
            return None, None
        return rules, rules.policy(category_code=row.category_code, time_limit_class=row.time_limit_class)

    def _line(self, row, kind: str, unit_id: str, text: str) -> None:
        self.lines.append(deadlines.TimelineLine(row.case_id, self.now, kind, unit_id, text))

    def speak(self, row, firing: clocks.Firing) -> None:
        clock, now, record = firing.clock, self.now, self.uow.record
        if not firing.is_breach:
            record(CaseDeadlineWarned(case_id=row.case_id, unit_id=clock.unit_id, kind=clock.kind,
                                      threshold=firing.threshold, due_at=clock.due_at, warned_at=now,
                                      supervisor_id=row.supervisor_id))
            self._line(row, "warning", clock.unit_id, f"yellow: {firing.threshold:.0%} of the {clock.kind.value} "
                       f"time used, due {clock.due_at.isoformat()}")
            self.saves.append(deadlines.save_parameters(row.id, clock))
            return
        rules, policy = self._policy(row)
        if clock.kind is DeadlineKind.REPLY:
            higher = clocks.climb(clock, policy, rules.calendar, now) if policy is not None else None
            if higher is not None:
                self.escalations.append((row, higher, f"no reply to the {clock.level} by "
                                                      f"{clock.due_at.isoformat()}"))
                self.saves.append(deadlines.save_parameters(row.id, higher))
                return
            record(CaseDeadlineBreached(case_id=row.case_id, unit_id=clock.unit_id, kind=clock.kind,
                                        due_at=clock.due_at, breached_at=now, level=clock.level,
                                        supervisor_id=row.supervisor_id))
            self.closing.append((row, "unanswered", f"at {clock.level}"))
            return
        if clock.kind is DeadlineKind.VERDICT:
            record(CaseCallbackRequested(case_id=row.case_id, round=max(row.completion_round or 1, 1),
                                         completed_at=clock.started_at, requested_at=now))
            self.closing.append((row, "callback_requested", "no verdict in time"))
            return
        record(CaseDeadlineBreached(case_id=row.case_id, unit_id=clock.unit_id, kind=clock.kind, due_at=clock.due_at,
                                    breached_at=now, supervisor_id=row.supervisor_id))
        self._line(row, "breach", clock.unit_id,
                   f"red: the {clock.kind.value} deadline {clock.due_at.isoformat()} passed")
        self.saves.append(deadlines.save_parameters(row.id, clock, breached_at=now))
        if policy is None:
            log.warning("breach without a policy for the ladder", case_id=str(row.case_id))
        else:
            self.breached.append((row, clock, policy, rules))

    async def finish(self) -> None:
        await self._start_ladders()
        uow, now = self.uow, self.now
        for row, order, reason in self.escalations:
            uow.record(CaseEscalated(case_id=row.case_id, unit_id=order.unit_id, level=order.level, reason=reason,
                                     reply_by=order.due_at, escalated_at=now, supervisor_id=row.supervisor_id))
            self._line(row, "escalation", order.unit_id,
                       f"{order.level}: {reason}; reply by {order.due_at.isoformat()}")
        if self.escalations:
            await uow.session.execute(_ESCALATE, [{"case": row.case_id, "level": order.level}
                                                  for row, order, _ in self.escalations])
        await deadlines.save(uow, self.saves)
        await deadlines.close_many(uow, self.closing, at=now)
        await deadlines.log_many(uow, self.lines)

    async def _start_ladders(self) -> None:
        """A breach starts the ladder with a supervision order, unless a step awaits its reply already or a ladder
        reached the top unanswered (the district has the case; starting again would step down). One per case."""
        if not self.breached:
            return
        case_ids = list({row.case_id for row, *_ in self.breached})
        under_way = set((await self.uow.session.execute(select(_d.case_id).where(
            _d.case_id.in_(case_ids), _d.kind == DeadlineKind.REPLY,
            (_d.status != deadlines.CLOSED) | (_d.outcome == "unanswered")))).scalars())
        orders = []
        for row, clock, policy, rules in self.breached:
            if row.case_id in under_way:
                continue
            under_way.add(row.case_id)
            order = clocks.open_reply_clock(policy, rules.calendar, clock.unit_id, self.now)
            orders.append(deadlines.NewClock(row.case_id, order, policy.name, f"breach:{row.id}"))
            self.escalations.append((row, order, f"{clock.kind.value} deadline passed"))
        await deadlines.store_many(self.uow, orders, now=self.now)


_ESCALATE = update(tables.cases).where(_c.id == bindparam("case")).values(escalation_level=bindparam("level"))


async def check_calendars(uow_factory: UnitOfWorkFactory, *, today: date) -> dict[str, list[int]]:
    """Load a needed year from the statutory calendar when the package knows it; what is still missing raises the
    alarm (a gauge and an error in the log) until someone loads or enters it."""
    missing: dict[str, list[int]] = {}
    async with uow_factory() as uow:
        jurisdictions = (await uow.session.execute(select(tables.jurisdictions.c.id))).scalars().all()
        loaded = {}
        for r in (await uow.session.execute(select(tables.calendar_years))).all():
            loaded.setdefault(r.jurisdiction_id, set()).add(r.year)
        for jurisdiction in jurisdictions:
            for year in missing_years(loaded.get(jurisdiction, ()), today):
                if await load_statutory_year(uow, jurisdiction, year):
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


async def watch(runtime: ServiceRuntime, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    """Poll for due clocks and fold the rates of cases that moved, until stopped; check the calendars at start and
    once a day; publish last week's bulletin once a week has ended."""
    settings = runtime.settings
    checked_on = published_for = None
    while True:
        now = clock()
        try:
            if checked_on != now.date():
                await check_calendars(runtime.uow, today=now.astimezone(UTC).date())
                checked_on = now.date()
            if published_for != week_of(now.astimezone(LOCAL_ZONE)):
                await publish_last_week(runtime.uow, now=now)
                published_for = week_of(now.astimezone(LOCAL_ZONE))
            while (handled := await fire_due(runtime.uow, now=now, batch=settings.deadline_batch,
                                             per_unit=settings.deadline_per_unit)) >= settings.deadline_batch:
                log.info("deadlines fired; more are due", clocks=handled)
            while await refresh_stale(runtime.uow) >= 500:
                pass
        except Exception as exc:
            log.warning("deadline poll failed; will try again", error=type(exc).__name__)
        await asyncio.sleep(settings.deadline_poll_seconds)
