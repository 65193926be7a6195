"""Loads dispatch's part of the demo ground: units of every kind and the routing rules (idempotent)."""

from sqlalchemy.dialects.postgresql import insert

from services.dispatch.adapters import tables
from shared.demo import demo_data
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.persistence.versioned_cache import bump_version


async def seed_demo(uow_factory: UnitOfWorkFactory) -> None:
    units, routing = demo_data("units")["units"], demo_data("routing")["rules"]
    async with uow_factory() as uow:
        await uow.session.execute(insert(tables.units).values([
            {"id": u["id"], "kind": u["kind"], "parent_id": u["parent"], "name_zh": u["name_zh"],
             "name_en": u["name_en"], "areas": u["areas"], "categories": u["categories"], "contact": u["contact"],
             "hours": u["hours"]} for u in units]).on_conflict_do_nothing())
        await uow.session.execute(insert(tables.rules).values([
            {"id": r["id"], "category": r.get("category"), "area": r.get("area"), "lead_unit_id": r.get("lead"),
             "lead_kind": r.get("lead_kind"), "assisting": r.get("assisting", []),
             "assisting_kind": r.get("assisting_kind"), "local_only": r.get("local_only", False)}
            for r in routing]).on_conflict_do_nothing())
        await bump_version(uow.session, tables.directory_version)
