"""Clocks as commands use them: opened (once per opening event) and announced, closed met or late with a line on
the case's timeline, moved, and the timeline itself."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from services.supervision.adapters.store import ClockChange, ClosedClock, DeadlineRecord, NewClock, TimelineLine
from services.supervision.domain.clocks import Clock, TimeLimitPolicy, policy_in_words
from services.supervision.domain.statuses import ClockOutcome
from shared.events import CaseDeadlineSet, DeadlineKind
from shared.messaging.unit_of_work import UnitOfWork
from shared.reference.labels import label, local_time


async def running(uow: UnitOfWork, case_id: UUID, kinds: Iterable[DeadlineKind] | None = None) -> list[DeadlineRecord]:
    """The clocks still running (or paused) on a case, locked for this transaction."""
    return await uow.store.running(case_id, kinds)


async def open_clocks(uow: UnitOfWork, case_id: UUID, clocks: Iterable[Clock], *, policy: TimeLimitPolicy,
                      opened_by: str, now: datetime) -> None:
    """Store a case's new clocks (once per opening event, however often it is delivered) and announce each."""
    await open_many(uow, [NewClock(case_id, c, policy.name, opened_by) for c in clocks], now=now)


async def open_many(uow: UnitOfWork, new: list[NewClock], *, now: datetime) -> None:
    """Many new clocks in one statement; those already opened by the same event are skipped silently."""
    fresh = await uow.store.add_clocks(new)
    await announce_many(uow, [(n.case_id, n.clock, n.policy) for n in fresh], now=now)


async def announce(uow: UnitOfWork, case_id: UUID, clock: Clock, *, policy: str, now: datetime) -> None:
    """A deadline set or moved: the event the unit's view follows, and a line on the timeline."""
    await announce_many(uow, [(case_id, clock, policy)], now=now)


async def announce_many(uow: UnitOfWork, items: list[tuple[UUID, Clock, str]], *, now: datetime) -> None:
    for case_id, clock, policy in items:
        uow.record(CaseDeadlineSet(case_id=case_id, unit_id=clock.unit_id, kind=clock.kind, due_at=clock.due_at,
                                   policy=policy, set_at=now))
    await uow.store.log([TimelineLine(case_id, now, "deadline_set", clock.unit_id,
                                      f"{label('kind', clock.kind)}时限至{local_time(clock.due_at)}，{policy_in_words(policy)}")
                         for case_id, clock, policy in items])


def outcome_at(row: DeadlineRecord, at: datetime) -> str:
    return ClockOutcome.MET if at <= row.due_at else ClockOutcome.LATE


async def close(uow: UnitOfWork, rows: Iterable[DeadlineRecord], *, at: datetime, outcome: str | None = None,
                why: str | None = None) -> None:
    """Stop clocks: ``outcome`` for all of them, or (None) met or late by their own deadline."""
    await close_many(uow, [ClosedClock(row, outcome or outcome_at(row, at), why) for row in rows], at=at)


async def close_many(uow: UnitOfWork, closing: list[ClosedClock], *, at: datetime) -> None:
    """Stop clocks, each with its outcome and why, in one statement, each with its line on the timeline."""
    if not closing:
        return
    await uow.store.close_clocks(closing, at=at)
    await uow.store.log([TimelineLine(c.row.case_id, at, "clock_closed", c.row.unit_id,
                                      f"{label('kind', c.row.kind)}：{label('outcome', c.outcome)}" + (f"（{c.why}）" if c.why else ""))
                         for c in closing])


async def save(uow: UnitOfWork, changes: list[ClockChange]) -> None:
    await uow.store.save_clocks(changes)


async def log(uow: UnitOfWork, case_id: UUID, at: datetime, kind: str, unit_id: str | None, text: str,
              actor: str | None = None) -> None:
    """One line on supervision's timeline of the case."""
    await uow.store.log([TimelineLine(case_id, at, kind, unit_id, text, actor)])
