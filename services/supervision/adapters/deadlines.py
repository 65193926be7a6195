"""Clocks as stored: the rows of the deadlines table read as clocks and written back, opened, closed and logged on
the case's timeline, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.supervision.adapters import tables
from services.supervision.domain.clocks import Clock, Stage, TimeLimitPolicy
from shared.events import CaseDeadlineSet, DeadlineKind, EscalationLevel
from shared.messaging.unit_of_work import UnitOfWork

OPEN, PAUSED, CLOSED = "open", "paused", "closed"
_d = tables.deadlines.c

_OPEN_DEADLINE = pg_insert(tables.deadlines).on_conflict_do_nothing().returning(_d.opened_by_event, _d.kind)
_CLOSE = (update(tables.deadlines).where(_d.id == bindparam("row_id"))
          .values(status=CLOSED, next_fire_at=None, closed_at=bindparam("at"), outcome=bindparam("result")))
_SAVE = (update(tables.deadlines).where(_d.id == bindparam("row_id"))
         .values(due_at=bindparam("due"), warnings=bindparam("stages"), fired=bindparam("spoken"),
                 next_fire_at=bindparam("next_fire"), level=bindparam("step"), paused_at=bindparam("paused"),
                 status=bindparam("state"), started_at=bindparam("started"),
                 breached_at=bindparam("breached")))
_LOG = insert(tables.case_log)


def clock_of(row) -> Clock:
    return Clock(kind=DeadlineKind(row.kind), unit_id=row.unit_id, started_at=row.started_at, due_at=row.due_at,
                 warnings=tuple(Stage(datetime.fromisoformat(at), threshold) for at, threshold in row.warnings),
                 fired=row.fired, on_the_clock=row.on_the_clock,
                 level=EscalationLevel(row.level) if row.level else None, paused_at=row.paused_at)


def _stored(clock: Clock) -> dict:
    return {"due_at": clock.due_at, "warnings": [[s.at.isoformat(), s.threshold] for s in clock.warnings],
            "fired": clock.fired, "next_fire_at": clock.next_fire_at,
            "level": clock.level.value if clock.level else None, "paused_at": clock.paused_at,
            "status": PAUSED if clock.paused_at is not None else OPEN, "started_at": clock.started_at}


def save_parameters(row_id: int, clock: Clock, *, breached_at: datetime | None = None,
                    next_fire_at: datetime | None = None) -> dict:
    """``next_fire_at`` overrides the clock's own next stage (a firing put off to spread a burst)."""
    s = _stored(clock)
    return {"row_id": row_id, "due": s["due_at"], "stages": s["warnings"], "spoken": s["fired"],
            "next_fire": next_fire_at or s["next_fire_at"], "step": s["level"], "paused": s["paused_at"], "state": s["status"],
            "started": s["started_at"], "breached": breached_at}


async def save(uow: UnitOfWork, changes: list[dict]) -> None:
    """Clocks changed in place (``save_parameters`` each): one statement, many parameter sets."""
    if changes:
        await uow.session.execute(_SAVE, changes)


@dataclass(frozen=True)
class NewClock:
    case_id: UUID
    clock: Clock
    policy: str
    opened_by: str


async def store_new(uow: UnitOfWork, case_id: UUID, clocks: Iterable[Clock], *, policy: TimeLimitPolicy,
                    opened_by: str, now: datetime) -> None:
    """Store a case's new clocks (once per opening event, however often it is delivered) and announce each."""
    await store_many(uow, [NewClock(case_id, c, policy.name, opened_by) for c in clocks], now=now)


async def store_many(uow: UnitOfWork, new: list[NewClock], *, now: datetime) -> None:
    """Many new clocks in one statement; those already opened by the same event are skipped silently."""
    if not new:
        return
    rows = [{"case_id": n.case_id, "unit_id": n.clock.unit_id, "kind": n.clock.kind, "policy": n.policy,
             "opened_by_event": n.opened_by, **_stored(n.clock)} for n in new]
    opened = set((await uow.session.execute(_OPEN_DEADLINE, rows)).all())
    fresh = [n for n in new if (n.opened_by, n.clock.kind) in opened]
    await announce_many(uow, [(n.case_id, n.clock, n.policy) for n in fresh], now=now)


async def announce(uow: UnitOfWork, case_id: UUID, clock: Clock, *, policy: str, now: datetime) -> None:
    """A deadline set or moved: the event the unit's view follows, and a line on the timeline."""
    await announce_many(uow, [(case_id, clock, policy)], now=now)


async def announce_many(uow: UnitOfWork, items: list[tuple[UUID, Clock, str]], *, now: datetime) -> None:
    for case_id, clock, policy in items:
        uow.record(CaseDeadlineSet(case_id=case_id, unit_id=clock.unit_id, kind=clock.kind, due_at=clock.due_at,
                                   policy=policy, set_at=now))
    await log_many(uow, [TimelineLine(case_id, now, "deadline_set", clock.unit_id,
                                      f"{clock.kind.value} due {clock.due_at.isoformat()} ({policy})")
                         for case_id, clock, policy in items])


async def running(uow: UnitOfWork, case_id: UUID, kinds: Iterable[DeadlineKind] | None = None) -> list:
    """The clocks still running (or paused) on a case, locked for this transaction."""
    query = select(tables.deadlines).where(_d.case_id == case_id, _d.status != CLOSED)
    if kinds is not None:
        query = query.where(_d.kind.in_([k.value for k in kinds]))
    return (await uow.session.execute(query.order_by(_d.id).with_for_update())).all()


def outcome_at(row, at: datetime) -> str:
    return "met" if at <= row.due_at else "late"


async def close(uow: UnitOfWork, rows: Iterable, *, at: datetime, outcome: str | None = None,
                why: str | None = None) -> None:
    """Stop clocks: ``outcome`` for all of them, or (None) met or late by their own deadline."""
    await close_many(uow, [(row, outcome or outcome_at(row, at), why) for row in rows], at=at)


async def close_many(uow: UnitOfWork, closing: list[tuple[object, str, str | None]], *, at: datetime) -> None:
    """Stop clocks, each with its outcome and why, in one statement."""
    if not closing:
        return
    await uow.session.execute(_CLOSE, [{"row_id": row.id, "result": outcome, "at": at} for row, outcome, _ in closing])
    await log_many(uow, [TimelineLine(row.case_id, at, "clock_closed", row.unit_id,
                                      f"{row.kind} {outcome}" + (f": {why}" if why else ""))
                         for row, outcome, why in closing])


@dataclass(frozen=True)
class TimelineLine:
    case_id: UUID
    at: datetime
    kind: str
    unit_id: str | None
    text: str
    actor: str | None = None


async def log(uow: UnitOfWork, case_id: UUID, at: datetime, kind: str, unit_id: str | None, text: str,
              actor: str | None = None) -> None:
    """One line on supervision's timeline of the case."""
    await log_many(uow, [TimelineLine(case_id, at, kind, unit_id, text, actor)])


async def log_many(uow: UnitOfWork, lines: list[TimelineLine]) -> None:
    if lines:
        await uow.session.execute(_LOG, [{"case_id": x.case_id, "at": x.at, "kind": x.kind, "unit_id": x.unit_id,
                                          "text": x.text[:500], "actor": x.actor} for x in lines])
