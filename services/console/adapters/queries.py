"""What the pages read from the read model, in SQL: the board's counts by state (one pass, however many cases), its
filtered list, a unit's workbench, one case and its timeline."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.adapters import tables
from services.console.domain.board import BUCKETS, OPEN_STATUSES, buckets_of

_c = tables.cases.c
_open = _c.status.in_(OPEN_STATUSES)

#: Each of the board's states as a condition on the read model (the same as ``domain.board.buckets_of``).
BUCKET_CONDITIONS = {
    "received": _c.status == "received",
    "triage": _c.status.in_(("triage", "on_claiming_board")),
    "dispatched": _c.status == "dispatched",
    "signed": _c.status == "signed",
    "in_progress": _c.status == "in_progress",
    "warned": and_(_open, _c.clock_state == "warned"),
    "breached": and_(_open, _c.clock_state == "breached"),
    "supervision_order": and_(_open, _c.escalation_level.is_not(None)),
    "awaiting_verdict": and_(_c.status == "completed", _c.awaiting_verdict),
    "reopened": _c.status == "reopened",
}
assert set(BUCKET_CONDITIONS) == set(BUCKETS)

#: The board's filters: query parameter -> column.
FILTERS = {"street": _c.street_id, "community": _c.community_id, "category": _c.category_code, "unit": _c.unit_id,
           "channel": _c.channel}


class KeptCounts:
    """The board's counts of each view (a scope, a unit), kept while the read model has not changed since (its latest
    change, read from an index) and for a few seconds at most: a change committed late with an earlier time shows
    by then. Every dispatcher of a district reads the same counts; they are counted once per change, not per page.
    (Not ``shared.persistence.versioned_cache``: that one holds one value behind a version row bumped by each edit;
    the read model changes with every event, and a version row bumped by each would be one more hot write.)"""

    def __init__(self, *, most_seconds: float = 5.0, views: int = 512):
        self._most, self._views = most_seconds, views
        self._kept: dict[tuple, tuple[datetime | None, float, dict[str, int]]] = {}

    async def counts(self, session: AsyncSession, view: tuple, visible, since: datetime) -> dict[str, int]:
        latest = await session.scalar(select(func.max(_c.updated_at)))
        now, kept = time.monotonic(), self._kept.get((view, since))
        if kept and kept[0] == latest and now - kept[1] < self._most:
            return kept[2]
        tally = await board_counts(session, visible, since)
        if len(self._kept) >= self._views:
            self._kept.clear()
        self._kept[(view, since)] = (latest, now, tally)
        return tally


#: This process's kept counts.
KEPT_COUNTS = KeptCounts()


async def board_counts(session: AsyncSession, visible, since: datetime) -> dict[str, int]:
    """The count under each state, cases open and cases received since ``since``, in one pass: the cases grouped by
    what their states depend on, each group counted under its states by the rule a single case follows
    (``domain.board.buckets_of``); half the database's time of a count per state."""
    escalated = _c.escalation_level.is_not(None)
    rows = await session.execute(
        select(_c.status, _c.clock_state, escalated.label("escalation_level"), _c.awaiting_verdict,
               func.count().label("cases"), func.count().filter(_c.reported_at >= since).label("today"))
        .where(visible).group_by(_c.status, _c.clock_state, escalated, _c.awaiting_verdict))
    tally = {**dict.fromkeys(BUCKETS, 0), "open": 0, "today": 0}
    for group in rows:
        for bucket in buckets_of(group._mapping):
            tally[bucket] += group.cases
        tally["open"] += group.cases if group.status in OPEN_STATUSES else 0
        tally["today"] += group.today
    return tally


#: The columns a list of cases shows (``api.board.case_row``) and counts them by (``domain.board.buckets_of``).
LISTED = (_c.id, _c.tracking_code, _c.category_code, _c.street_id, _c.community_id, _c.grid_id, _c.unit_id, _c.status,
          _c.urgent, _c.clock_state, _c.channel, _c.reported_at, _c.escalation_level, _c.awaiting_verdict)


async def board_cases(session: AsyncSession, visible, *, state: str | None, filters: Mapping[str, str],
                      urgent: bool | None, clock: str | None, limit: int = 200, offset: int = 0) -> list[dict]:
    """The cases the board lists: open ones (and those awaiting a verdict when asked), newest first; only what a
    list shows (not the words, photos or clocks a case page reads)."""
    query = select(*LISTED).where(visible)
    query = query.where(BUCKET_CONDITIONS[state] if state else _open)
    for name, value in filters.items():
        if value:
            query = query.where(FILTERS[name] == value)
    if urgent is not None:
        query = query.where(_c.urgent.is_(urgent))
    if clock == "running":
        query = query.where(_c.clock_state.is_(None))
    elif clock:
        query = query.where(_c.clock_state == clock)
    rows = await session.execute(query.order_by(_c.reported_at.desc().nulls_last(), _c.id).limit(limit)
                                 .offset(offset))
    return [dict(r._mapping) for r in rows]


async def map_cases(session: AsyncSession, visible, limit: int = 2000) -> list[dict]:
    """The open cases placed on the map: where, and how their clocks stand."""
    rows = await session.execute(select(_c.tracking_code, _c.lat, _c.lon, _c.clock_state, _c.category_code, _c.status)
                                 .where(visible, _open, _c.lat.is_not(None)).order_by(_c.reported_at.desc())
                                 .limit(limit))
    return [dict(r._mapping) for r in rows]


async def workbench_cases(session: AsyncSession, visible, limit: int = 500) -> list[dict]:
    """A unit's cases still to sign for or to finish (the lead's and those it assists), and the claiming board's
    (``visible`` is a unit's view: ``api.rendering.visible_cases``)."""
    rows = await session.execute(select(tables.cases).where(
        visible, _c.status.in_(("dispatched", "signed", "in_progress", "on_claiming_board", "reopened")))
        .order_by(_c.reported_at).limit(limit))
    return [dict(r._mapping) for r in rows]


async def one_case(session: AsyncSession, visible, tracking_code: str) -> dict | None:
    row = (await session.execute(select(tables.cases).where(_c.tracking_code == tracking_code, visible))).first()
    return dict(row._mapping) if row else None


async def timeline(session: AsyncSession, case_id) -> list:
    lines = tables.case_lines.c
    return list((await session.execute(select(tables.case_lines).where(lines.case_id == case_id)
                                       .order_by(lines.at))).all())


async def queue_cases(session: AsyncSession, visible, queue: str, limit: int = 200) -> list[dict]:
    """The cases of one of the linkage centre's queues, oldest first: ``triage``, ``claiming`` (the board),
    ``joint`` (joint handling under way), ``supervision`` (on the escalation ladder)."""
    condition = {"triage": _c.status == "triage", "claiming": _c.status == "on_claiming_board",
                 "joint": and_(_open, _c.summons.is_not(None)),
                 "supervision": BUCKET_CONDITIONS["supervision_order"]}[queue]
    rows = await session.execute(select(tables.cases).where(visible, condition)
                                 .order_by(_c.reported_at.nulls_last()).limit(limit))
    return [dict(r._mapping) for r in rows]


async def tracking_codes(session: AsyncSession, case_ids: list) -> dict[str, str]:
    rows = await session.execute(select(_c.id, _c.tracking_code).where(_c.id.in_(case_ids)))
    return {str(r.id): r.tracking_code for r in rows}
