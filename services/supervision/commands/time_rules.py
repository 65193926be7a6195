"""Each jurisdiction's time rules as an admin edits them: a year of the working calendar entered by hand or loaded
from the statutory calendar, a class's or a sub-item's time-limit policy; clocks opened from then on follow them."""

from __future__ import annotations

from datetime import datetime

from services.supervision.domain.calendar import CalendarDay, missing_years
from services.supervision.domain.clocks import TimeLimitPolicy
from shared.local_time import LOCAL_ZONE
from shared.messaging.unit_of_work import UnitOfWork, UnitOfWorkFactory
from shared.refusals import Refused


async def enter_year(uow: UnitOfWork, jurisdiction_id: str, year: int, days: list[CalendarDay]) -> None:
    """A year's holidays and adjusted working days as the State Council published them."""
    wrong = [d.day for d in days if d.day.year != year]
    if wrong:
        raise Refused("out_of_range", f"{wrong[0].isoformat()} is not in {year}", "days")
    if len({d.day for d in days}) != len(days):
        raise Refused("duplicate_day", "a day is listed twice", "days")
    await uow.store.save_calendar_year(jurisdiction_id, year, days, source="edited")


async def load_statutory(uow: UnitOfWork, jurisdiction_id: str, year: int) -> None:
    """A year from the statutory calendar (the chinese-calendar package), replacing edits."""
    if not await uow.store.load_statutory_year(jurisdiction_id, year):
        raise Refused("unknown_year", f"the statutory calendar of {year} is not published in this version of "
                      "chinese-calendar; enter it by hand", "year", status=409)


async def set_policy(uow: UnitOfWork, jurisdiction_id: str, time_limit_class: str, category_code: str | None,
                     values: dict) -> TimeLimitPolicy:
    """The policy of a class (or of one sub-item of it), checked whole before it is kept."""
    try:
        policy = TimeLimitPolicy(time_limit_class=time_limit_class, category_code=category_code,
                                 **{**values, "warn_at": tuple(values["warn_at"]),
                                    "pauses_for": frozenset(values["pauses_for"])})
    except ValueError as exc:
        raise Refused("invalid_policy", str(exc), "body") from None
    if not await uow.store.jurisdiction_exists(jurisdiction_id):
        raise Refused("not_found", "no such jurisdiction", "jurisdiction_id", status=404)
    await uow.store.save_policy(jurisdiction_id, time_limit_class, category_code, values)
    return policy


async def calendar_gaps(uow_factory: UnitOfWorkFactory) -> list[str]:
    """What the service's readiness reports as degraded: each needed year of a working calendar that is missing
    (deadlines in it count Monday to Friday only until someone loads or enters it)."""
    today = datetime.now(LOCAL_ZONE).date()
    async with uow_factory() as uow:
        loaded = await uow.store.calendar_years()
    return [f"calendar_year_missing: {jurisdiction} {year}" for jurisdiction, years in sorted(loaded.items())
            for year in missing_years(years, today)]
