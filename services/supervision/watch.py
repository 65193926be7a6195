"""Supervision's watch: the deadline poller that fires warnings, breaches and the escalation ladder exactly once
whatever the number of supervision instances, the rates' refresh of cases that moved, the weekly bulletin, and the
daily check for a missing working calendar."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import structlog
from sqlalchemy import select, update

from services.supervision import clocks, deadlines, tables
from services.supervision.bulletins import publish_last_week
from services.supervision.calendar import missing_years
from services.supervision.periods import week_of
from services.supervision.read_model import refresh_stale
from services.supervision.time_rules import CALENDAR_MISSING, load_statutory_year, time_rules
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
        rules = await time_rules.get(uow.session)
        per_unit_so_far: Counter[str] = Counter()
        changes = []
        for row in rows:
            per_unit_so_far[row.unit_id] += 1
            wave = (per_unit_so_far[row.unit_id] - 1) // per_unit
            clock = deadlines.clock_of(row)
            if wave:
                changes.append(deadlines.save_parameters(row.id, clock, breached_at=row.breached_at,
                                                         next_fire_at=now + spread * wave))
                continue
            firing = clocks.fire(clock, now)
            if firing is None:  # moved since it was due (an extension, a pause): store its own next stage
                changes.append(deadlines.save_parameters(row.id, clock, breached_at=row.breached_at))
                continue
            changes.append(await _speak(uow, row, firing, rules.get(row.district_id), now))
        await deadlines.save(uow, [c for c in changes if c is not None])
    return len(rows)


async def _speak(uow: UnitOfWork, row, firing: clocks.Firing, rules, now: datetime) -> dict | None:
    """The events and timeline lines of one firing; the clock's new state to save (None if it was closed)."""
    clock, case_id = firing.clock, row.case_id
    if not firing.is_breach:
        uow.record(CaseDeadlineWarned(case_id=case_id, unit_id=clock.unit_id, kind=clock.kind,
                                      threshold=firing.threshold, due_at=clock.due_at, warned_at=now,
                                      supervisor_id=row.supervisor_id))
        await deadlines.log(uow, case_id, now, "warning", clock.unit_id,
                            f"yellow: {firing.threshold:.0%} of the {clock.kind.value} time used, due "
                            f"{clock.due_at.isoformat()}")
        return deadlines.save_parameters(row.id, clock)
    policy = None if rules is None or row.time_limit_class is None else rules.policy(
        category_code=row.category_code, time_limit_class=row.time_limit_class)
    if clock.kind is DeadlineKind.REPLY:
        return await _climb(uow, row, clock, policy, rules, now)
    if clock.kind is DeadlineKind.VERDICT:
        uow.record(CaseCallbackRequested(case_id=case_id, round=max(row.completion_round or 1, 1),
                                         completed_at=clock.started_at, requested_at=now))
        await deadlines.close(uow, [row], at=now, outcome="callback_requested", why="no verdict in time")
        return None
    uow.record(CaseDeadlineBreached(case_id=case_id, unit_id=clock.unit_id, kind=clock.kind, due_at=clock.due_at,
                                    breached_at=now, supervisor_id=row.supervisor_id))
    await deadlines.log(uow, case_id, now, "breach", clock.unit_id,
                        f"red: the {clock.kind.value} deadline {clock.due_at.isoformat()} passed")
    if policy is None:
        log.warning("breach without a policy for the ladder", case_id=str(case_id))
    elif not await _ladder_under_way(uow, case_id):
        order = clocks.open_reply_clock(policy, rules.calendar, clock.unit_id, now)
        await deadlines.store_new(uow, case_id, [order], policy=policy, opened_by=f"breach:{row.id}", now=now)
        await _escalated(uow, row, order, now, f"{clock.kind.value} deadline passed")
    return deadlines.save_parameters(row.id, clock, breached_at=now)


async def _ladder_under_way(uow: UnitOfWork, case_id) -> bool:
    """A step awaiting its reply, or a ladder that reached the top unanswered (the district has the case already;
    starting again at a supervision order would step down)."""
    return bool(await uow.session.scalar(select(_d.id).where(
        _d.case_id == case_id, _d.kind == DeadlineKind.REPLY,
        (_d.status != deadlines.CLOSED) | (_d.outcome == "unanswered")).limit(1)))


async def _climb(uow: UnitOfWork, row, clock: clocks.Clock, policy, rules, now: datetime) -> dict | None:
    """An unanswered step of the ladder: the next one up, or at the top the record that nobody answered."""
    higher = clocks.climb(clock, policy, rules.calendar, now) if policy is not None else None
    if higher is None:
        uow.record(CaseDeadlineBreached(case_id=row.case_id, unit_id=clock.unit_id, kind=clock.kind,
                                        due_at=clock.due_at, breached_at=now, level=clock.level,
                                        supervisor_id=row.supervisor_id))
        await deadlines.close(uow, [row], at=now, outcome="unanswered", why=f"at {clock.level}")
        return None
    await _escalated(uow, row, higher, now, f"no reply to the {clock.level} by {clock.due_at.isoformat()}")
    return deadlines.save_parameters(row.id, higher)


async def _escalated(uow: UnitOfWork, row, order: clocks.Clock, now: datetime, reason: str) -> None:
    case_id = row.case_id
    uow.record(CaseEscalated(case_id=case_id, unit_id=order.unit_id, level=order.level, reason=reason,
                             reply_by=order.due_at, escalated_at=now, supervisor_id=row.supervisor_id))
    await uow.session.execute(update(tables.cases).where(_c.id == case_id).values(escalation_level=order.level))
    await deadlines.log(uow, case_id, now, "escalation", order.unit_id,
                        f"{order.level}: {reason}; reply by {order.due_at.isoformat()}")


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
