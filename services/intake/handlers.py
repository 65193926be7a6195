"""Intake's handler table: the commands it takes from residents and the events it reacts to."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import structlog
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import tables
from services.intake.domain import CaseStatus, Category, UnknownCategory, new_tracking_code
from services.intake.location import Area, JurisdictionMap
from shared.events import (
    CaseDeadlineSet,
    CaseDispatched,
    CaseReported,
    Channel,
    DeadlineKind,
    ReportedLocation,
    Reporter,
)
from shared.masking import mask_numbers_in_text, mask_phone
from shared.messaging.consumer import PermanentFailure
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.versioned_cache import VersionedCache


async def current_category(session: AsyncSession, code: str) -> Category:
    c = tables.categories.c
    row = (await session.execute(select(tables.categories).where(c.code == code, c.current))).first()
    if row is None:
        raise UnknownCategory(code)
    return Category(code=row.code, class_code=row.class_code, version=row.version, name_zh=row.name_zh,
                    name_en=row.name_en, time_limit_class=row.time_limit_class, priority=row.priority,
                    handle_locally=row.handle_locally)


async def load_jurisdiction_map(session: AsyncSession) -> JurisdictionMap:
    rows = (await session.execute(select(tables.areas))).all()
    return JurisdictionMap(Area(id=r.id, level=r.level, parent_id=r.parent_id, name_zh=r.name_zh, polygon=r.polygon)
                           for r in rows)


jurisdiction_cache = VersionedCache(tables.ground_version, load_jurisdiction_map)


async def submit_report(uow: UnitOfWork, *, channel: Channel, category_code: str, description: str, lat: float,
                        lon: float, address: str | None, name: str | None, phone: str | None, anonymous: bool,
                        urgent: bool) -> str:
    """Accept a report: one case, its first timeline entry and ``case.reported``, in one transaction."""
    session = uow.session
    category = await current_category(session, category_code)
    area = (await jurisdiction_cache.get(session)).place(lat, lon)
    now = datetime.now(UTC)
    case_id, reporter_id = uuid4(), None
    structlog.contextvars.bind_contextvars(case_id=str(case_id))
    if not anonymous and (name or phone):
        reporter_id = uuid4()
        await session.execute(insert(tables.reporters).values(id=reporter_id, name=name, phone=phone))
    code = new_tracking_code()
    await session.execute(insert(tables.cases).values(
        id=case_id, tracking_code=code, category_code=category.code, category_version=category.version,
        description=description, channel=channel, urgent=urgent, lat=lat, lon=lon, address=address,
        grid_id=area.grid_id, reporter_id=reporter_id, anonymous=anonymous, status=CaseStatus.RECEIVED,
        reported_at=now, updated_at=now))
    await _add_timeline(session, case_id, now, "received", f"已受理，查询码 {code}", f"Received, tracking code {code}",
                        None)
    uow.record(CaseReported(
        case_id=case_id, tracking_code=code, category_code=category.code, category_class=category.class_code,
        category_version=category.version, time_limit_class="urgent" if urgent else category.time_limit_class,
        handle_locally=category.handle_locally, urgent=urgent,
        # Residents write their numbers into the text too: what leaves intake carries them masked.
        description=mask_numbers_in_text(description), channel=channel,
        location=ReportedLocation(lat=lat, lon=lon, address=address, area=area),
        reporter=Reporter(ref=f"rp-{reporter_id}" if reporter_id else f"anon-{case_id}",
                          phone_masked=None if anonymous else mask_phone(phone), anonymous=anonymous or not reporter_id),
        reported_at=now))
    return code


async def _add_timeline(session: AsyncSession, case_id: UUID, at: datetime, kind: str, text_zh: str, text_en: str,
                        event_id: str | None) -> None:
    await session.execute(pg_insert(tables.timeline).values(
        case_id=case_id, at=at, kind=kind, text_zh=text_zh, text_en=text_en, event_id=event_id).on_conflict_do_nothing())


async def _locked_case(session: AsyncSession, case_id: UUID):
    row = (await session.execute(select(tables.cases).where(tables.cases.c.id == case_id).with_for_update())).first()
    if row is None:
        raise PermanentFailure("the case is not known to intake")
    return row


async def on_case_dispatched(event: CaseDispatched, uow: UnitOfWork) -> None:
    case = await _locked_case(uow.session, event.case_id)
    values = {"unit_name": event.unit_name, "updated_at": datetime.now(UTC)}
    if CaseStatus(case.status).rank < CaseStatus.DISPATCHED.rank:
        values["status"] = CaseStatus.DISPATCHED
    await uow.session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id).values(**values))
    await _add_timeline(uow.session, event.case_id, event.dispatched_at, "dispatched",
                        f"已派发至{event.unit_name}办理", f"Dispatched to {event.unit_name}", uow.causation_id)


async def on_case_deadline_set(event: CaseDeadlineSet, uow: UnitOfWork) -> None:
    if event.kind is not DeadlineKind.COMPLETION:
        return
    await _locked_case(uow.session, event.case_id)
    await uow.session.execute(update(tables.cases).where(tables.cases.c.id == event.case_id)
                              .values(expected_at=event.due_at, updated_at=datetime.now(UTC)))


#: Every event intake reacts to, and its handler.
HANDLERS = {
    CaseDispatched: on_case_dispatched,
    CaseDeadlineSet: on_case_deadline_set,
}
