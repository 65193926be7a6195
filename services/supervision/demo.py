"""Loads supervision's part of the demo ground: the district's working hours, its time-limit policies, its
supervisors and the statutory working calendar of the years the package knows (idempotent)."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.supervision.adapters import tables
from services.supervision.adapters.time_rules import load_statutory_year
from services.supervision.commands.firing import check_calendars
from services.supervision.domain.calendar import statutory_years
from shared.demo import demo_data
from shared.messaging.unit_of_work import UnitOfWorkFactory


def jurisdiction_row() -> dict:
    limits = demo_data("time_limits")
    return {"id": limits["jurisdiction"], "timezone": limits["timezone"], "working_hours": limits["working_hours"]}


def policy_rows() -> list[dict]:
    limits = demo_data("time_limits")
    return [{"jurisdiction_id": limits["jurisdiction"], "time_limit_class": p["class"],
             "category_code": p.get("category", ""), "sign_for_hours": p["sign_for_hours"],
             "completion_days": p.get("completion_days"), "completion_hours": p.get("completion_hours"),
             "clock": p.get("clock", False), "warn_at": p.get("warn_at", [0.5, 0.8]),
             "pauses_for": p.get("pauses_for", ["waiting_for_resident"]),
             "max_extensions": p.get("max_extensions", 1), "max_extension_days": p.get("max_extension_days", 10),
             "reply_hours": p.get("reply_hours", 8), "callback_after_days": p.get("callback_after_days", 3),
             "max_reopenings": p.get("max_reopenings", 2)}
            for p in limits["policies"]]


def supervisor_rows() -> list[dict]:
    team = demo_data("supervisors")
    return [{"id": m["id"], "jurisdiction_id": team["jurisdiction"], "name": m["name"], "areas": m.get("areas", []),
             "categories": m.get("categories", [])} for m in team["supervisors"]]


async def seed_demo(uow_factory: UnitOfWorkFactory) -> None:
    jurisdiction = jurisdiction_row()["id"]
    async with uow_factory() as uow:
        await uow.session.execute(insert(tables.jurisdictions).values(jurisdiction_row()).on_conflict_do_nothing())
        await uow.session.execute(insert(tables.policies).on_conflict_do_nothing(), policy_rows())
        await uow.session.execute(insert(tables.supervisors).on_conflict_do_nothing(), supervisor_rows())
        cy = tables.calendar_years.c
        loaded = set((await uow.session.execute(select(cy.year).where(cy.jurisdiction_id == jurisdiction))).scalars())
        this_year = datetime.now(UTC).year
        for year in sorted(statutory_years()):
            if this_year - 2 <= year and year not in loaded:
                await load_statutory_year(uow, jurisdiction, year)
    await check_calendars(uow_factory, today=datetime.now(UTC).date())
