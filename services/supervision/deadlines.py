"""Clocks as stored: the rows of the deadlines table read as clocks and written back, opened, closed and logged on
the case's timeline, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.supervision import tables
from services.supervision.clocks import Clock, Stage, TimeLimitPolicy
from shared.events import CaseDeadlineSet, DeadlineKind, EscalationLevel
from shared.messaging.unit_of_work import UnitOfWork

OPEN, PAUSED, CLOSED = "open", "paused", "closed"
_d = tables.deadlines.c

_OPEN_DEADLINE = pg_insert(tables.deadlines).on_conflict_do_nothing().returning(_d.id, _d.kind)
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


async def store_new(uow: UnitOfWork, case_id: UUID, clocks: Iterable[Clock], *, policy: TimeLimitPolicy,
                      opened_by: str, now: datetime) -> list[int]:
    """Store new clocks (once per opening event, however often it is delivered) and announce each deadline."""
    clocks = list(clocks)
    rows = [{"case_id": case_id, "unit_id": c.unit_id, "kind": c.kind, "policy": policy.name,
             "opened_by_event": opened_by, **_stored(c)} for c in clocks]
    opened = {kind: row_id for row_id, kind in (await uow.session.execute(_OPEN_DEADLINE, rows)).all()}
    for clock in clocks:
        if clock.kind in opened:
            await announce(uow, case_id, clock, policy=policy.name, now=now)
    return list(opened.values())


async def announce(uow: UnitOfWork, case_id: UUID, clock: Clock, *, policy: str, now: datetime) -> None:
    """A deadline set or moved: the event the unit's view follows, and a line on the timeline."""
    uow.record(CaseDeadlineSet(case_id=case_id, unit_id=clock.unit_id, kind=clock.kind, due_at=clock.due_at,
                               policy=policy, set_at=now))
    await log(uow, case_id, now, "deadline_set", clock.unit_id,
              f"{clock.kind.value} due {clock.due_at.isoformat()} ({policy})")


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
    for row in rows:
        result = outcome or outcome_at(row, at)
        await uow.session.execute(update(tables.deadlines).where(_d.id == row.id).values(
            status=CLOSED, next_fire_at=None, closed_at=at, outcome=result))
        await log(uow, row.case_id, at, "clock_closed", row.unit_id,
                  f"{row.kind} {result}" + (f": {why}" if why else ""))


async def log(uow: UnitOfWork, case_id: UUID, at: datetime, kind: str, unit_id: str | None, text: str,
              actor: str | None = None) -> None:
    """One line on supervision's timeline of the case."""
    await uow.session.execute(_LOG, {"case_id": case_id, "at": at, "kind": kind, "unit_id": unit_id,
                                     "text": text[:500], "actor": actor})
