"""Each jurisdiction's time rules as stored: its working calendar and its time-limit policies, loaded into every
process and rebuilt there when an edit bumps their version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from prometheus_client import Gauge
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.adapters import tables
from services.supervision.domain.calendar import CalendarDay, LoadedDays, WorkingCalendar, parse_windows, statutory_days
from services.supervision.domain.clocks import TimeLimitPolicy, pick_policy
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.versioned_cache import VersionedCache


@dataclass(frozen=True)
class JurisdictionRules:
    id: str
    calendar: WorkingCalendar
    days: LoadedDays
    policies: tuple[TimeLimitPolicy, ...]

    def policy(self, *, category_code: str, time_limit_class: str) -> TimeLimitPolicy | None:
        return pick_policy(list(self.policies), category_code=category_code, time_limit_class=time_limit_class)


def policy_of(row) -> TimeLimitPolicy:
    return TimeLimitPolicy(
        time_limit_class=row.time_limit_class, sign_for_hours=row.sign_for_hours, completion_days=row.completion_days,
        completion_hours=row.completion_hours, clock=row.clock, category_code=row.category_code or None,
        warn_at=tuple(row.warn_at), pauses_for=frozenset(row.pauses_for), max_extensions=row.max_extensions,
        max_extension_days=row.max_extension_days, reply_hours=row.reply_hours,
        callback_after_days=row.callback_after_days, max_reopenings=row.max_reopenings)


def rules_from_rows(jurisdiction_rows, year_rows, day_rows, policy_rows) -> dict[str, JurisdictionRules]:
    """Every jurisdiction's rules from the rows of ``jurisdictions``, ``calendar_years``, ``calendar_days`` and
    ``policies``."""
    years: dict[str, list[int]] = {}
    for r in year_rows:
        years.setdefault(r.jurisdiction_id, []).append(r.year)
    days: dict[str, list[CalendarDay]] = {}
    for r in day_rows:
        days.setdefault(r.jurisdiction_id, []).append(CalendarDay(r.day, r.workday, r.name))
    policies: dict[str, list[TimeLimitPolicy]] = {}
    for r in policy_rows:
        policies.setdefault(r.jurisdiction_id, []).append(policy_of(r))
    rules = {}
    for j in jurisdiction_rows:
        loaded = LoadedDays(days.get(j.id, ()), years.get(j.id, ()))
        rules[j.id] = JurisdictionRules(
            id=j.id, days=loaded, policies=tuple(policies.get(j.id, ())),
            calendar=WorkingCalendar(windows=parse_windows(j.working_hours), is_workday=loaded, tz=j.timezone))
    return rules


async def load_time_rules(session: AsyncSession) -> dict[str, JurisdictionRules]:
    return rules_from_rows(*[(await session.execute(select(table))).all() for table in (
        tables.jurisdictions, tables.calendar_years, tables.calendar_days, tables.policies)])


CALENDAR_MISSING = Gauge("supervision_calendar_year_missing", "1 while a jurisdiction lacks a year's working calendar",
                         ["jurisdiction", "year"])

# Read the version at most once a second; an edit through this process invalidates at once.
time_rules = VersionedCache(tables.time_rules_version, load_time_rules, recheck_seconds=1.0)


async def load_statutory_year(uow: UnitOfWork, jurisdiction: str, year: int) -> bool:
    """The statutory holidays of ``year`` into the jurisdiction's calendar; False if the package does not know it."""
    days = statutory_days(year)
    if days is None:
        return False
    await store_year(uow, jurisdiction, year, days, source="statutory")
    return True


async def store_year(uow: UnitOfWork, jurisdiction: str, year: int, days, *, source: str) -> None:
    """Replace one year of a jurisdiction's calendar; every process reloads its time rules."""
    cd, cy = tables.calendar_days.c, tables.calendar_years.c
    await uow.session.execute(delete(tables.calendar_days).where(
        cd.jurisdiction_id == jurisdiction, cd.day >= date(year, 1, 1), cd.day <= date(year, 12, 31)))
    if days:
        await uow.session.execute(pg_insert(tables.calendar_days), [
            {"jurisdiction_id": jurisdiction, "day": d.day, "workday": d.workday, "name": d.name} for d in days])
    await uow.session.execute(pg_insert(tables.calendar_years).values(
        jurisdiction_id=jurisdiction, year=year, source=source, loaded_at=datetime.now(UTC))
        .on_conflict_do_update(index_elements=[cy.jurisdiction_id, cy.year],
                               set_={"source": source, "loaded_at": datetime.now(UTC)}))
    await time_rules.changed(uow)
    CALENDAR_MISSING.labels(jurisdiction, str(year)).set(0)
