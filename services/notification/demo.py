"""Loads notification's part of the demo ground: the leaders' contact points (idempotent; an admin's edits are
kept)."""

from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert

from services.notification.adapters import tables
from services.notification.adapters.store import locales_cache
from shared.demo import demo_data
from shared.messaging.unit_of_work import UnitOfWorkFactory


def contact_point_rows() -> list[dict]:
    now = datetime.now(UTC)
    return [{**point, "updated_by": "demo", "updated_at": now}
            for point in demo_data("contact_points")["contact_points"]]


async def seed_demo(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        added = await uow.session.execute(insert(tables.contact_points).values(contact_point_rows())
                                          .on_conflict_do_nothing().returning(tables.contact_points.c.recipient))
        if added.first() is not None:
            await locales_cache.changed(uow)
