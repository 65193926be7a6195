"""Dispatch's store: every read and write its commands make, over one unit of work's session (the storage seam;
unit tests put an in-memory one in its place)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.adapters import tables
from services.dispatch.domain.lifecycle import CaseFile, State, Summons
from services.dispatch.domain.routing import CaseToRoute, Directory, Rule, Unit
from shared.events import AreaPath, DeadlineKind, SuspensionReason, UnitChanged
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.records import record_of
from shared.persistence.versioned_cache import VersionedCache
from shared.photos import CleanPhoto
from shared.reference.keeping import names as kept_names
from shared.reference.names import Names
from shared.reference.publishing import publish_changed
from shared.scopes import AREA_LEVELS


@dataclass(frozen=True)
class CaseRecord:
    """One row of ``cases`` as stored: the life cycle's file plus what the routes and events show."""

    id: UUID
    category_code: str
    time_limit_class: str
    urgent: bool
    area: dict
    status: str
    lead_unit_id: str | None
    assisting_unit_ids: list
    rule_id: str | None
    version: int
    reported_at: datetime
    updated_at: datetime
    redo_count: int = 0
    excluded_unit_ids: list = ()
    parts_reported: list = ()
    transfer_to: str | None = None
    state_before_transfer: str | None = None
    summons: dict | None = None
    planned_date: date | None = None
    extensions_requested: int = 0
    sign_due_at: datetime | None = None
    due_at: datetime | None = None
    category_class: str | None = None
    handle_locally: bool = False
    extension_pending: bool = False
    suspended: str | None = None
    escalation_level: str | None = None
    reply_by: datetime | None = None
    description: str = ""
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    channel: str | None = None
    resident_photo_ids: list = ()
    residents_affected: int = 1
    suggested_category_code: str | None = None
    source_kind: str | None = None
    handed_in_on: date | None = None

    @property
    def district_id(self) -> str | None:
        return self.area.get("district_id")

    @property
    def area_ids(self) -> tuple[str | None, ...]:
        """Where the case lies, district first (the scope a caller must cover)."""
        return tuple(self.area.get(f"{level}_id") for level in AREA_LEVELS)

    def casefile(self) -> CaseFile:
        summons = None
        if self.summons:
            summons = Summons(check_in_by=datetime.fromisoformat(self.summons["check_in_by"]),
                              checked_in={u: datetime.fromisoformat(at) if at else None
                                          for u, at in self.summons["checked_in"].items()},
                              alerted="alerted" in self.summons)
        return CaseFile(
            case_id=str(self.id), state=State(self.status), version=self.version, lead=self.lead_unit_id,
            assisting=tuple(self.assisting_unit_ids), parts_reported=frozenset(self.parts_reported),
            excluded=frozenset(self.excluded_unit_ids), redo_count=self.redo_count,
            state_before_transfer=State(self.state_before_transfer) if self.state_before_transfer else None,
            transfer_to=self.transfer_to, summons=summons, planned_date=self.planned_date,
            extensions_requested=self.extensions_requested, extension_pending=self.extension_pending,
            suspended=SuspensionReason(self.suspended) if self.suspended else None,
            routing=CaseToRoute(category_code=self.category_code, category_class=self.category_class or "",
                                handle_locally=self.handle_locally, area=AreaPath.model_validate(self.area)))


CASE_COLUMNS = tuple(f.name for f in fields(CaseRecord))


def columns_of(case: CaseFile) -> dict:
    """The columns a life-cycle step changes, as stored."""
    summons = None
    if case.summons is not None:
        summons = {"check_in_by": case.summons.check_in_by.isoformat(),
                   "checked_in": {u: at.isoformat() if at else None for u, at in case.summons.checked_in.items()}}
        if case.summons.alerted:  # a key, not a value: the poller's partial index asks whether it is there
            summons["alerted"] = True
    return {"status": case.state, "version": case.version, "lead_unit_id": case.lead,
            "assisting_unit_ids": list(case.assisting), "parts_reported": sorted(case.parts_reported),
            "excluded_unit_ids": sorted(case.excluded), "redo_count": case.redo_count,
            "state_before_transfer": case.state_before_transfer, "transfer_to": case.transfer_to,
            "summons": summons, "planned_date": case.planned_date,
            "extensions_requested": case.extensions_requested, "extension_pending": case.extension_pending,
            "suspended": case.suspended}


async def load_directory(session: AsyncSession) -> Directory:
    units = [Unit(id=r.id, kind=r.kind, name_zh=r.name_zh, areas=frozenset(r.areas), categories=frozenset(r.categories))
             for r in (await session.execute(select(tables.units))).all()]
    rules = [Rule(id=r.id, category=r.category, area=r.area, lead=r.lead_unit_id, lead_kind=r.lead_kind,
                  assisting=tuple(r.assisting), assisting_kind=r.assisting_kind, local_only=r.local_only)
             for r in (await session.execute(select(tables.rules))).all()]
    return Directory(units, rules)


async def publish_units(uow) -> None:
    """Every unit whose names or place changed since dispatch last published it (``reference.unit_changed``)."""
    now = datetime.now(UTC)
    await publish_changed(uow, [
        UnitChanged(unit_id=r.id, kind=r.kind, parent_id=r.parent_id, name_zh=r.name_zh, name_en=r.name_en,
                    areas=sorted(r.areas), changed_at=now)
        for r in (await uow.session.execute(select(tables.units))).all()])


# Read the directory's version at most once a second; an edit through this process invalidates at once. Every edit
# publishes the units that changed, so every service names them.
directory_cache = VersionedCache(tables.directory_version, load_directory, recheck_seconds=1.0,
                                 published_by=publish_units)

# The hot path's statements, built once: only their parameters change from case to case.
_OPEN_CASE = pg_insert(tables.cases).on_conflict_do_nothing().returning(tables.cases.c.id)
_ADD_HISTORY = insert(tables.history)
_CLOCK_COLUMN = {DeadlineKind.SIGN_FOR: "sign_due_at", DeadlineKind.COMPLETION: "due_at"}
_SET_CLOCK = {kind: update(tables.cases).where(tables.cases.c.id == bindparam("case"),
                                               tables.cases.c.lead_unit_id == bindparam("unit"))
              .values({column: bindparam("due")}) for kind, column in _CLOCK_COLUMN.items()}


class DispatchStore:
    """Cases, their history, the unit directory and photos, as the commands see them."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow
        self._session = uow.session

    async def directory(self) -> Directory:
        return await directory_cache.get(self._session)

    async def names(self) -> Names:
        """The names of units, sub-items and areas, kept from their owners' events."""
        return await kept_names(self._session)

    async def open_case(self, case: CaseRecord) -> bool:
        """Store a new case; False when it is there already (the same report under another event id)."""
        values = {name: getattr(case, name) for name in CASE_COLUMNS if name not in _LATER_COLUMNS}
        return await self._session.scalar(_OPEN_CASE, values) is not None

    async def note_residents(self, case_id: UUID, residents_affected: int) -> None:
        """How many residents raised the case (never fewer than known: the linking events may come out of order)."""
        c = tables.cases.c
        await self._session.execute(update(tables.cases).where(c.id == case_id, c.residents_affected < residents_affected)
                                    .values(residents_affected=residents_affected))

    async def lock_case(self, case_id: UUID) -> CaseRecord | None:
        """The case, locked until the transaction ends (a concurrent step waits)."""
        row = (await self._session.execute(select(tables.cases).where(tables.cases.c.id == case_id)
                                           .with_for_update())).first()
        return record_of(CaseRecord, row) if row else None

    async def save_case(self, case_id: UUID, case: CaseFile, *, now: datetime, **more) -> CaseRecord:
        """Store what a step changed (and ``more`` columns), returning the case as stored."""
        row = (await self._session.execute(update(tables.cases).where(tables.cases.c.id == case_id)
                                           .values(**columns_of(case), **more, updated_at=now)
                                           .returning(tables.cases))).one()
        return record_of(CaseRecord, row)

    async def update_case(self, case_id: UUID, **values) -> CaseRecord | None:
        """Change some columns of a case; None when dispatch does not know it."""
        row = (await self._session.execute(update(tables.cases).where(tables.cases.c.id == case_id)
                                           .values(**values).returning(tables.cases))).first()
        return record_of(CaseRecord, row) if row else None

    async def has_case(self, case_id: UUID) -> bool:
        return await self._session.scalar(select(tables.cases.c.id).where(tables.cases.c.id == case_id)) is not None

    async def add_history(self, case_id: UUID, *, at: datetime, action: str, note: str, unit_id: str | None = None,
                          rule_id: str | None = None) -> None:
        await self._session.execute(_ADD_HISTORY, {"case_id": case_id, "at": at, "action": action,
                                                   "unit_id": unit_id, "rule_id": rule_id, "note": note})

    async def set_clock(self, kind: DeadlineKind, case_id: UUID, unit_id: str, due_at: datetime) -> None:
        """Keep supervision's clock on the case while ``unit_id`` still leads it (else it is stale)."""
        statement = _SET_CLOCK.get(kind)
        if statement is not None:
            await self._session.execute(statement, dict(case=case_id, unit=unit_id, due=due_at))

    async def unit_name(self, unit_id: str) -> str:
        name = await self._session.scalar(select(tables.units.c.name_zh).where(tables.units.c.id == unit_id))
        return name or unit_id

    async def known_units(self, unit_ids: set[str]) -> set[str]:
        return set((await self._session.execute(select(tables.units.c.id).where(tables.units.c.id.in_(unit_ids))))
                   .scalars())

    async def unit_ids(self) -> set[str]:
        return set((await self._session.execute(select(tables.units.c.id))).scalars())

    async def add_unit(self, unit: dict) -> bool:
        """False when a unit has this id."""
        created = await self._session.scalar(pg_insert(tables.units).values(**unit).on_conflict_do_nothing()
                                             .returning(tables.units.c.id))
        if created is not None:
            await directory_cache.changed(self._uow)
        return created is not None

    async def edit_unit(self, unit_id: str, unit: dict) -> bool:
        """False when there is no such unit."""
        changed = await self._session.scalar(update(tables.units).where(tables.units.c.id == unit_id)
                                             .values(**unit).returning(tables.units.c.id))
        if changed is not None:
            await directory_cache.changed(self._uow)
        return changed is not None

    async def save_units(self, units: list[dict]) -> None:
        """Add the new units and update the known ones, in one statement."""
        statement = pg_insert(tables.units).values(units)
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["id"], set_={c: statement.excluded[c] for c in units[0] if c != "id"}))
        await directory_cache.changed(self._uow)

    async def add_rule(self, rule: dict) -> bool:
        """False when a rule has this id."""
        created = await self._session.scalar(pg_insert(tables.rules).values(**rule).on_conflict_do_nothing()
                                             .returning(tables.rules.c.id))
        if created is not None:
            await directory_cache.changed(self._uow)
        return created is not None

    async def edit_rule(self, rule_id: str, rule: dict) -> bool:
        changed = await self._session.scalar(update(tables.rules).where(tables.rules.c.id == rule_id)
                                             .values(**rule).returning(tables.rules.c.id))
        if changed is not None:
            await directory_cache.changed(self._uow)
        return changed is not None

    async def remove_rule(self, rule_id: str) -> bool:
        removed = await self._session.scalar(delete(tables.rules).where(tables.rules.c.id == rule_id)
                                             .returning(tables.rules.c.id))
        if removed is not None:
            await directory_cache.changed(self._uow)
        return removed is not None

    async def add_photo(self, photo_id: UUID, photo: CleanPhoto, *, unit_id: str) -> None:
        await self._session.execute(insert(tables.photos).values(
            id=photo_id, unit_id=unit_id, content_type=photo.content_type, width=photo.width, height=photo.height,
            sha256=photo.sha256, content=photo.content))

    async def attach_photos(self, case_id: UUID, unit_id: str, photo_ids: set[UUID], *,
                            shown_to_residents: bool) -> set[UUID]:
        """Tie the unit's own photos, unattached or on this case, to it; the ids that were."""
        p = tables.photos.c
        return set((await self._session.execute(
            update(tables.photos).where(p.id.in_(photo_ids), p.unit_id == unit_id,
                                        or_(p.case_id.is_(None), p.case_id == case_id))
            .values(case_id=case_id, shown_to_residents=shown_to_residents).returning(p.id))).scalars())

    async def cases_past_check_in(self, now: datetime, *, limit: int) -> list[UUID]:
        """Cases whose check-in limit passed unflagged, locked (another instance skips them)."""
        c = tables.cases.c
        # check_in_by is kept as ISO text in UTC, so text order is time order (and the partial index serves it).
        return list((await self._session.execute(
            select(c.id).where(c.summons.is_not(None), text("NOT (cases.summons ? 'alerted')"),
                               c.summons["check_in_by"].astext < now.isoformat())
            .limit(limit).with_for_update(skip_locked=True))).scalars())

    async def drop_unattached_photos(self, uploaded_before: datetime) -> int:
        p = tables.photos.c
        result = await self._session.execute(delete(tables.photos).where(p.case_id.is_(None),
                                                                         p.uploaded_at < uploaded_before))
        return result.rowcount or 0


# Columns a new case does not set: the life cycle and supervision fill them later (server defaults meanwhile).
_LATER_COLUMNS = frozenset({"redo_count", "excluded_unit_ids", "parts_reported", "transfer_to",
                            "state_before_transfer", "summons", "planned_date", "extensions_requested",
                            "sign_due_at", "due_at", "extension_pending", "suspended", "escalation_level", "reply_by"})
