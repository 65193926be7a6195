"""Supervision's store: every read and write its commands make, over one unit of work's session (the storage seam;
unit tests put an in-memory one in its place). Clocks are stored as rows of ``deadlines`` and read back as
``domain.clocks.Clock``; each kind of write of a batch is one statement."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.adapters import tables
from services.supervision.adapters.time_rules import JurisdictionRules, load_statutory_year, store_year, time_rules
from services.supervision.domain.assignment import SupervisorScope
from services.supervision.domain.calendar import CalendarDay
from services.supervision.domain.clocks import Clock, Stage
from services.supervision.domain.statuses import CaseStatus, ClockOutcome, ClockStatus, MeetingStatus, RequestStatus
from shared.events import AreaPath, DeadlineKind, EscalationLevel
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.records import record_of
from shared.persistence.versioned_cache import VersionedCache
from shared.reference.keeping import names as kept_names
from shared.reference.names import Names


@dataclass(frozen=True)
class CaseRecord:
    """What supervision knows of a case: where it lies, its class, who handles and watches it, its state."""

    id: UUID
    district_id: str
    street_id: str
    grid_id: str
    category_code: str
    status: str
    updated_at: datetime
    community_id: str | None = None
    unit_id: str | None = None
    time_limit_class: str | None = None
    escalation_level: str | None = None
    suspended: str | None = None
    supervisor_id: str | None = None
    completion_round: int = 0
    completed_at: datetime | None = None
    residents_affected: int = 1
    wide_impact: bool = False
    reported_at: datetime | None = None
    response: str | None = None
    tracking_code: str | None = None

    @property
    def area_ids(self) -> tuple[str | None, ...]:
        """Where the case lies, district first (the scope a caller must cover)."""
        return (self.district_id, self.street_id, self.community_id, self.grid_id)


@dataclass(frozen=True)
class DeadlineRecord:
    """One clock as stored: the row's id and what it belongs to, and the clock itself."""

    id: int
    case_id: UUID
    unit_id: str
    kind: str
    due_at: datetime
    status: str
    policy: str
    started_at: datetime
    next_fire_at: datetime | None = None
    warnings: list = ()
    fired: int = 0
    on_the_clock: bool = False
    level: str | None = None
    paused_at: datetime | None = None
    breached_at: datetime | None = None
    opened_by_event: str = ""

    @property
    def clock(self) -> Clock:
        return Clock(kind=DeadlineKind(self.kind), unit_id=self.unit_id, started_at=self.started_at,
                     due_at=self.due_at,
                     warnings=tuple(Stage(datetime.fromisoformat(at), threshold) for at, threshold in self.warnings),
                     fired=self.fired, on_the_clock=self.on_the_clock,
                     level=EscalationLevel(self.level) if self.level else None, paused_at=self.paused_at)


@dataclass(frozen=True)
class DueClock:
    """A clock fallen due, with what the poller needs of its case to judge it (the case may be unknown)."""

    deadline: DeadlineRecord
    district_id: str | None
    category_code: str | None
    time_limit_class: str | None
    supervisor_id: str | None
    completion_round: int | None


@dataclass(frozen=True)
class ClockChange:
    """A clock changed in place; ``next_fire_at`` overrides its own next stage (a firing put off to spread a burst)."""

    row_id: int
    clock: Clock
    breached_at: datetime | None = None
    next_fire_at: datetime | None = None


@dataclass(frozen=True)
class NewClock:
    case_id: UUID
    clock: Clock
    policy: str
    opened_by: str


@dataclass(frozen=True)
class ClosedClock:
    row: DeadlineRecord
    outcome: str
    why: str | None = None


@dataclass(frozen=True)
class TimelineLine:
    case_id: UUID
    at: datetime
    kind: str
    unit_id: str | None
    text: str
    actor: str | None = None


@dataclass(frozen=True)
class ExtensionRequest:
    id: int
    case_id: UUID
    unit_id: str
    district_id: str
    reason: str
    proposed_date: date
    requested_at: datetime
    status: str
    requested_by_event: str = ""
    due_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Panel:
    id: UUID
    district_id: str
    quarter: str
    street_id: str
    members: list = ()
    created_by: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class CertificateRecord:
    """A resident supervisor's certificate as kept: the holder masked, the credential only as its hash."""

    id: UUID
    number: str
    holder: str
    jurisdiction_id: str
    areas: list
    credential_hash: str
    issued_by: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revocation_reason: str | None = None


@dataclass(frozen=True)
class Meeting:
    id: int
    case_id: UUID
    district_id: str
    round: int
    reason: str
    called_at: datetime
    status: str
    scheduled_for: datetime | None = None
    place: str | None = None
    held_at: datetime | None = None
    summary: str | None = None
    accepted: bool | None = None
    recorded_by: str | None = None


def stored_columns(clock: Clock) -> dict:
    """The columns of ``deadlines`` that hold a clock."""
    return {"due_at": clock.due_at, "warnings": [[s.at.isoformat(), s.threshold] for s in clock.warnings],
            "fired": clock.fired, "next_fire_at": clock.next_fire_at,
            "level": clock.level.value if clock.level else None, "paused_at": clock.paused_at,
            "status": ClockStatus.PAUSED if clock.paused_at is not None else ClockStatus.OPEN,
            "started_at": clock.started_at}


async def load_supervisors(session: AsyncSession) -> dict[str, list[SupervisorScope]]:
    """Active supervisors by jurisdiction."""
    s = tables.supervisors.c
    scopes: dict[str, list[SupervisorScope]] = {}
    for r in (await session.execute(select(tables.supervisors).where(s.active))).all():
        scopes.setdefault(r.jurisdiction_id, []).append(
            SupervisorScope(r.id, frozenset(r.areas), frozenset(r.categories), r.name))
    return scopes


# Read the version at most once a second; an edit through this process invalidates at once.
supervisors_cache = VersionedCache(tables.supervisors_version, load_supervisors, recheck_seconds=1.0)

_c, _d = tables.cases.c, tables.deadlines.c
# The hot path's statements, built once: only their parameters change from event to event.
_NEW_CASE = pg_insert(tables.cases)
_KNOW_CASE = _NEW_CASE.on_conflict_do_update(index_elements=["id"], set_={
    "category_code": _NEW_CASE.excluded.category_code, "time_limit_class": _NEW_CASE.excluded.time_limit_class,
    "reported_at": _NEW_CASE.excluded.reported_at, "tracking_code": _NEW_CASE.excluded.tracking_code,
    "updated_at": _NEW_CASE.excluded.updated_at})
_NEW_UNIT_NAME = pg_insert(tables.unit_names)
_NAME_UNIT = _NEW_UNIT_NAME.on_conflict_do_update(index_elements=["id"], set_={"name": _NEW_UNIT_NAME.excluded.name})
# Both return the case as it is now, which the clocks and the supervisor's choice read.
_FOLLOW_DISPATCHED = _NEW_CASE.on_conflict_do_update(index_elements=["id"], set_={
    "unit_id": _NEW_CASE.excluded.unit_id, "status": _NEW_CASE.excluded.status,
    "category_code": _NEW_CASE.excluded.category_code, "time_limit_class": _NEW_CASE.excluded.time_limit_class,
    "updated_at": _NEW_CASE.excluded.updated_at}).returning(tables.cases)
_FOLLOWED = update(tables.cases).where(_c.id == bindparam("case")).values(
    unit_id=bindparam("unit"), status=bindparam("new_status"), updated_at=bindparam("now")).returning(tables.cases)
_CASE = select(tables.cases).where(_c.id == bindparam("case"))
_OPEN_DEADLINE = pg_insert(tables.deadlines).on_conflict_do_nothing().returning(_d.opened_by_event, _d.kind)
_CLOSE = (update(tables.deadlines).where(_d.id == bindparam("row_id"))
          .values(status=ClockStatus.CLOSED, next_fire_at=None, closed_at=bindparam("at"), outcome=bindparam("result")))
_SAVE = (update(tables.deadlines).where(_d.id == bindparam("row_id"))
         .values(due_at=bindparam("due"), warnings=bindparam("stages"), fired=bindparam("spoken"),
                 next_fire_at=bindparam("next_fire"), level=bindparam("step"), paused_at=bindparam("paused"),
                 status=bindparam("state"), started_at=bindparam("started"),
                 breached_at=bindparam("breached")))
_LOG = insert(tables.case_log)
_ESCALATE = update(tables.cases).where(_c.id == bindparam("case")).values(escalation_level=bindparam("level"))
_JOURNAL = pg_insert(tables.rate_journal).on_conflict_do_nothing()
_STALE = pg_insert(tables.rate_stale).on_conflict_do_nothing()


class SupervisionStore:
    """Cases as supervision follows them, their clocks and timeline, supervisors, time rules, reopenings, meetings,
    extension requests and the rates' journal."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow
        self._session = uow.session

    async def names(self) -> Names:
        """The names of units, sub-items and areas, kept from their owners' events."""
        return await kept_names(self._session)

    # --- officials' commitments -------------------------------------------------------------------------------------

    async def add_official(self, official: dict) -> None:
        await self._session.execute(insert(tables.officials).values(**official))

    async def official(self, official_id: UUID) -> dict | None:
        row = (await self._session.execute(select(tables.officials).where(tables.officials.c.id == official_id))
               ).first()
        return dict(row._mapping) if row else None

    async def add_commitment(self, commitment: dict) -> None:
        await self._session.execute(insert(tables.commitments).values(**commitment))

    async def commitment(self, commitment_id: UUID) -> dict | None:
        """The commitment with its official's jurisdiction and area, locked until the transaction ends."""
        m, o = tables.commitments.c, tables.officials.c
        row = (await self._session.execute(
            select(tables.commitments, o.jurisdiction_id, o.area_id).join(tables.officials, o.id == m.official_id)
            .where(m.id == commitment_id).with_for_update(of=tables.commitments))).first()
        return dict(row._mapping) if row else None

    async def keep_commitment(self, commitment_id: UUID, *, kept_on: date, note: str) -> dict:
        m = tables.commitments.c
        row = (await self._session.execute(update(tables.commitments).where(m.id == commitment_id)
                                           .values(kept_on=kept_on, kept_note=note).returning(tables.commitments))
               ).one()
        return dict(row._mapping)

    async def score_commitment(self, commitment_id: UUID, certificate_id: UUID, *, score: int, comment: str | None,
                               at: datetime) -> None:
        statement = pg_insert(tables.commitment_scores).values(commitment_id=commitment_id,
                                                               certificate_id=certificate_id, score=score,
                                                               comment=comment, scored_at=at)
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["commitment_id", "certificate_id"],
            set_={c: statement.excluded[c] for c in ("score", "comment", "scored_at")}))

    # --- reference data ---------------------------------------------------------------------------------------------

    async def rules(self, jurisdiction_id: str) -> JurisdictionRules | None:
        return (await time_rules.get(self._session)).get(jurisdiction_id)

    async def all_rules(self) -> dict[str, JurisdictionRules]:
        return await time_rules.get(self._session)

    async def calendar_years(self) -> dict[str, set[int]]:
        """Every jurisdiction and the years of its working calendar loaded."""
        loaded: dict[str, set[int]] = {j: set() for j in (await self._session.execute(
            select(tables.jurisdictions.c.id))).scalars()}
        for r in (await self._session.execute(select(tables.calendar_years))).all():
            loaded.setdefault(r.jurisdiction_id, set()).add(r.year)
        return loaded

    async def jurisdiction_exists(self, jurisdiction_id: str) -> bool:
        j = tables.jurisdictions.c
        return await self._session.scalar(select(j.id).where(j.id == jurisdiction_id)) is not None

    async def save_policy(self, jurisdiction_id: str, time_limit_class: str, category_code: str | None,
                          values: dict) -> None:
        """A class's (or, with ``category_code``, a sub-item's) time-limit policy; every process reloads it."""
        p = tables.policies.c
        await self._session.execute(pg_insert(tables.policies).values(
            jurisdiction_id=jurisdiction_id, time_limit_class=time_limit_class, category_code=category_code or "",
            **values).on_conflict_do_update(index_elements=[p.jurisdiction_id, p.time_limit_class, p.category_code],
                                            set_=values))
        await time_rules.changed(self._uow)

    async def save_calendar_year(self, jurisdiction_id: str, year: int, days: list[CalendarDay], *,
                                 source: str) -> None:
        """Replace one year of the jurisdiction's working calendar."""
        await store_year(self._uow, jurisdiction_id, year, days, source=source)

    async def load_statutory_year(self, jurisdiction_id: str, year: int) -> bool:
        """The statutory holidays of ``year`` into the calendar; False if the package does not know the year."""
        return await load_statutory_year(self._uow, jurisdiction_id, year)

    async def supervisor_jurisdiction(self, supervisor_id: str) -> str | None:
        s = tables.supervisors.c
        return await self._session.scalar(select(s.jurisdiction_id).where(s.id == supervisor_id))

    async def save_supervisor(self, supervisor_id: str, jurisdiction_id: str, remit: dict) -> None:
        """Add a supervisor or change one's remit (name, areas, sub-items, active)."""
        s = tables.supervisors.c
        await self._session.execute(pg_insert(tables.supervisors).values(
            id=supervisor_id, jurisdiction_id=jurisdiction_id, **remit)
            .on_conflict_do_update(index_elements=[s.id], set_=remit))
        await supervisors_cache.changed(self._uow)

    async def supervisors(self, jurisdiction_id: str) -> list[SupervisorScope]:
        return (await supervisors_cache.get(self._session)).get(jurisdiction_id, [])

    async def open_cases_watched(self, supervisor_ids: list[str]) -> dict[str, int]:
        """How many open cases each of the supervisors watches."""
        return dict((await self._session.execute(
            select(_c.supervisor_id, func.count()).where(_c.supervisor_id.in_(supervisor_ids),
                                                         _c.status != CaseStatus.COMPLETED)
            .group_by(_c.supervisor_id))).all())

    # --- cases ------------------------------------------------------------------------------------------------------

    async def know_case(self, case_id: UUID, area: AreaPath, *, category_code: str, time_limit_class: str,
                        reported_at: datetime, now: datetime, tracking_code: str | None = None) -> None:
        """Where a case lies and its class (the sub-item and class again if it is known already)."""
        await self._session.execute(_KNOW_CASE, dict(
            id=case_id, district_id=area.district_id, street_id=area.street_id, community_id=area.community_id,
            grid_id=area.grid_id, category_code=category_code, time_limit_class=time_limit_class,
            status=CaseStatus.REPORTED, reported_at=reported_at, updated_at=now, tracking_code=tracking_code))

    async def follow_dispatched(self, case_id: UUID, area: AreaPath, *, category_code: str, time_limit_class: str,
                                unit_id: str, now: datetime) -> CaseRecord:
        """The case dispatched to ``unit_id`` (known now if it was not), as it is now."""
        row = (await self._session.execute(_FOLLOW_DISPATCHED, dict(
            id=case_id, district_id=area.district_id, street_id=area.street_id, community_id=area.community_id,
            grid_id=area.grid_id, category_code=category_code, time_limit_class=time_limit_class,
            unit_id=unit_id, status=CaseStatus.DISPATCHED, updated_at=now))).one()
        return record_of(CaseRecord, row)

    async def follow(self, case_id: UUID, *, unit_id: str | None, status: str, now: datetime) -> CaseRecord | None:
        """The unit now handling the case and its status; the case as it is now (None: unknown)."""
        row = (await self._session.execute(_FOLLOWED, dict(case=case_id, unit=unit_id, new_status=status,
                                                           now=now))).first()
        return record_of(CaseRecord, row)

    async def case(self, case_id: UUID) -> CaseRecord | None:
        return record_of(CaseRecord, (await self._session.execute(_CASE, dict(case=case_id))).first())

    async def update_case(self, case_id: UUID, **values) -> CaseRecord | None:
        row = (await self._session.execute(update(tables.cases).where(_c.id == case_id).values(**values)
                                           .returning(tables.cases))).first()
        return record_of(CaseRecord, row)

    async def complete_case(self, case_id: UUID, *, unit_id: str, at: datetime, response: str,
                            now: datetime) -> CaseRecord | None:
        """Completed by ``unit_id``: one more completion round."""
        return await self.update_case(case_id, unit_id=unit_id, status=CaseStatus.COMPLETED, completed_at=at,
                                      response=response, completion_round=_c.completion_round + 1, updated_at=now)

    async def note_residents(self, case_id: UUID, residents_affected: int, *, wide_from: int) -> None:
        """More residents raised the case's problem; from ``wide_from`` on, it is wide-impact (never undone here)."""
        await self._session.execute(update(tables.cases).where(_c.id == case_id).values(
            residents_affected=func.greatest(_c.residents_affected, residents_affected),
            wide_impact=_c.wide_impact | (residents_affected >= wide_from)))

    async def district_of(self, case_id: UUID) -> str | None:
        return await self._session.scalar(select(_c.district_id).where(_c.id == case_id))

    async def name_unit(self, unit_id: str, name: str) -> None:
        await self._session.execute(_NAME_UNIT, dict(id=unit_id, name=name))

    async def mark_escalated(self, levels: list[tuple[UUID, str | None]]) -> None:
        """The escalation step each case reached (None: answered or done, no longer under an order)."""
        if levels:
            await self._session.execute(_ESCALATE, [{"case": case_id, "level": level} for case_id, level in levels])

    # --- clocks -----------------------------------------------------------------------------------------------------

    async def running(self, case_id: UUID, kinds: Iterable[DeadlineKind] | None = None) -> list[DeadlineRecord]:
        """The clocks still running (or paused) on a case, locked for this transaction."""
        query = select(tables.deadlines).where(_d.case_id == case_id, _d.status != ClockStatus.CLOSED)
        if kinds is not None:
            query = query.where(_d.kind.in_([k.value for k in kinds]))
        return [record_of(DeadlineRecord, r) for r in
                (await self._session.execute(query.order_by(_d.id).with_for_update())).all()]

    async def add_clocks(self, new: list[NewClock]) -> list[NewClock]:
        """Store new clocks in one statement; the ones stored (those an event opened already are skipped)."""
        if not new:
            return []
        rows = [{"case_id": n.case_id, "unit_id": n.clock.unit_id, "kind": n.clock.kind, "policy": n.policy,
                 "opened_by_event": n.opened_by, **stored_columns(n.clock)} for n in new]
        opened = set((await self._session.execute(_OPEN_DEADLINE, rows)).all())
        return [n for n in new if (n.opened_by, n.clock.kind) in opened]

    async def save_clocks(self, changes: list[ClockChange]) -> None:
        """Clocks changed in place: one statement, many parameter sets."""
        if not changes:
            return
        params = []
        for change in changes:
            s = stored_columns(change.clock)
            params.append({"row_id": change.row_id, "due": s["due_at"], "stages": s["warnings"], "spoken": s["fired"],
                           "next_fire": change.next_fire_at or s["next_fire_at"], "step": s["level"],
                           "paused": s["paused_at"], "state": s["status"], "started": s["started_at"],
                           "breached": change.breached_at})
        await self._session.execute(_SAVE, params)

    async def close_clocks(self, closing: list[ClosedClock], *, at: datetime) -> None:
        if closing:
            await self._session.execute(_CLOSE, [{"row_id": c.row.id, "result": c.outcome, "at": at}
                                                 for c in closing])

    async def due_clocks(self, now: datetime, *, limit: int) -> list[DueClock]:
        """Open clocks due by ``now``, soonest first, locked (another instance skips them)."""
        rows = (await self._session.execute(
            select(tables.deadlines, _c.district_id, _c.category_code, _c.time_limit_class, _c.supervisor_id,
                   _c.completion_round)
            .join(tables.cases, _c.id == _d.case_id, isouter=True)
            .where(_d.status == ClockStatus.OPEN, _d.next_fire_at <= now)
            .order_by(_d.next_fire_at).limit(limit).with_for_update(of=tables.deadlines, skip_locked=True))).all()
        return [DueClock(record_of(DeadlineRecord, r), r.district_id, r.category_code, r.time_limit_class,
                         r.supervisor_id, r.completion_round) for r in rows]

    async def ladders_under_way(self, case_ids: list[UUID]) -> set[UUID]:
        """Cases with a step of the ladder awaiting its reply, or a ladder that reached the top unanswered."""
        return set((await self._session.execute(select(_d.case_id).where(
            _d.case_id.in_(case_ids), _d.kind == DeadlineKind.REPLY,
            (_d.status != ClockStatus.CLOSED) | (_d.outcome == ClockOutcome.UNANSWERED)))).scalars())

    async def log(self, lines: list[TimelineLine]) -> None:
        """Lines on supervision's timeline of the cases."""
        if lines:
            await self._session.execute(_LOG, [{"case_id": x.case_id, "at": x.at, "kind": x.kind,
                                                "unit_id": x.unit_id, "text": x.text[:500], "actor": x.actor}
                                               for x in lines])

    # --- evaluation -------------------------------------------------------------------------------------------------

    async def add_reopening(self, case_id: UUID, round: int, at: datetime) -> bool:
        """False when this completion round was reopened already."""
        return await self._session.scalar(pg_insert(tables.reopenings).values(
            case_id=case_id, round=round, reopened_at=at).on_conflict_do_nothing()
            .returning(tables.reopenings.c.round)) is not None

    async def call_meeting(self, case_id: UUID, *, district_id: str, round: int, reason: str, at: datetime) -> None:
        await self._session.execute(pg_insert(tables.meetings).values(
            case_id=case_id, district_id=district_id, round=round, reason=reason, called_at=at,
            status=MeetingStatus.CALLED).on_conflict_do_nothing())

    async def lock_meeting(self, meeting_id: int) -> Meeting | None:
        m = tables.meetings.c
        return record_of(Meeting, (await self._session.execute(select(tables.meetings).where(m.id == meeting_id)
                                                             .with_for_update())).first())

    async def update_meeting(self, meeting_id: int, **values) -> Meeting:
        row = (await self._session.execute(update(tables.meetings).where(tables.meetings.c.id == meeting_id)
                                           .values(**values).returning(tables.meetings))).one()
        return record_of(Meeting, row)

    async def add_extension_request(self, case_id: UUID, *, unit_id: str, district_id: str, reason: str,
                                    proposed_date: date, requested_at: datetime, event_id: str) -> None:
        """A unit's request (once per requesting event), pending."""
        await self._session.execute(pg_insert(tables.extension_requests).values(
            case_id=case_id, unit_id=unit_id, district_id=district_id, reason=reason, proposed_date=proposed_date,
            requested_at=requested_at, requested_by_event=event_id, status=RequestStatus.PENDING)
            .on_conflict_do_nothing())

    async def lock_extension_request(self, request_id: int) -> ExtensionRequest | None:
        e = tables.extension_requests.c
        return record_of(ExtensionRequest, (await self._session.execute(
            select(tables.extension_requests).where(e.id == request_id).with_for_update())).first())

    async def extensions_granted(self, case_id: UUID, unit_id: str) -> int:
        e = tables.extension_requests.c
        return await self._session.scalar(select(func.count()).where(
            e.case_id == case_id, e.unit_id == unit_id, e.status == RequestStatus.APPROVED))

    async def decide_extension_request(self, request_id: int, **values) -> ExtensionRequest:
        row = (await self._session.execute(update(tables.extension_requests)
                                           .where(tables.extension_requests.c.id == request_id).values(**values)
                                           .returning(tables.extension_requests))).one()
        return record_of(ExtensionRequest, row)

    async def add_panel(self, panel: Panel) -> None:
        await self._session.execute(tables.panels.insert().values(
            id=panel.id, district_id=panel.district_id, quarter=panel.quarter, street_id=panel.street_id,
            members=list(panel.members), created_by=panel.created_by, created_at=panel.created_at))

    async def certificates_issued(self, jurisdiction_id: str) -> int:
        n = tables.certificates.c
        return await self._session.scalar(select(func.count()).where(n.jurisdiction_id == jurisdiction_id))

    async def add_certificate(self, certificate: CertificateRecord) -> None:
        await self._session.execute(tables.certificates.insert().values(
            **{f.name: getattr(certificate, f.name) for f in fields(CertificateRecord)}))

    async def lock_certificate(self, certificate_id: UUID) -> CertificateRecord | None:
        n = tables.certificates.c
        return record_of(CertificateRecord, (await self._session.execute(
            select(tables.certificates).where(n.id == certificate_id).with_for_update())).first())

    async def revoke_certificate(self, certificate_id: UUID, *, by: str, reason: str,
                                 at: datetime) -> CertificateRecord:
        row = (await self._session.execute(update(tables.certificates)
                                           .where(tables.certificates.c.id == certificate_id)
                                           .values(revoked_at=at, revoked_by=by, revocation_reason=reason)
                                           .returning(tables.certificates))).one()
        return record_of(CertificateRecord, row)

    async def panel(self, panel_id: UUID) -> Panel | None:
        return record_of(Panel, (await self._session.execute(
            select(tables.panels).where(tables.panels.c.id == panel_id))).first())

    async def add_rating(self, panel_id: UUID, case_id: UUID, *, unit_id: str, scores: dict[str, int],
                         comment: str | None, at: datetime) -> bool:
        """A panel's rating of the unit that handled a case; False when the panel rated the case already."""
        return await self._session.scalar(pg_insert(tables.panel_ratings).values(
            panel_id=panel_id, case_id=case_id, unit_id=unit_id, **scores, comment=comment, rated_at=at)
            .on_conflict_do_nothing().returning(tables.panel_ratings.c.case_id)) is not None

    # --- the rates' journal -----------------------------------------------------------------------------------------

    async def journal(self, event_id: str, case_id: UUID, event_type: str, data: dict) -> None:
        """Keep a rated event (once, whatever the redeliveries) and mark its case's facts stale."""
        await self._session.execute(_JOURNAL, dict(event_id=event_id, case_id=case_id, type=event_type, data=data))
        await self._session.execute(_STALE, dict(case_id=case_id))
