"""Loads supervision's part of the demo ground: the district's working hours and time-limit policies (idempotent)."""

from sqlalchemy.dialects.postgresql import insert

from services.supervision import tables
from shared.demo import demo_data
from shared.messaging.unit_of_work import UnitOfWorkFactory


async def seed_demo(uow_factory: UnitOfWorkFactory) -> None:
    limits = demo_data("time_limits")
    async with uow_factory() as uow:
        await uow.session.execute(insert(tables.jurisdictions).values(
            id=limits["jurisdiction"], timezone=limits["timezone"], working_hours=limits["working_hours"],
        ).on_conflict_do_nothing())
        await uow.session.execute(insert(tables.policies).values([
            {"jurisdiction_id": limits["jurisdiction"], "time_limit_class": p["class"],
             "sign_for_hours": p["sign_for_hours"], "completion_days": p.get("completion_days"),
             "completion_hours": p.get("completion_hours"), "clock": p.get("clock", False)}
            for p in limits["policies"]]).on_conflict_do_nothing())
