"""Loads intake's part of the demo ground: the areas with their polygons and the category tree (idempotent)."""

from sqlalchemy.dialects.postgresql import insert

from services.intake import tables
from shared.demo import demo_data
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.persistence.versioned_cache import bump_version


async def seed_demo(uow_factory: UnitOfWorkFactory) -> None:
    ground, tree = demo_data("ground"), demo_data("categories")
    async with uow_factory() as uow:
        await uow.session.execute(insert(tables.areas).values([
            {"id": a["id"], "level": a["level"], "parent_id": a["parent"], "name_zh": a["name_zh"],
             "name_en": a["name_en"], "polygon": a["polygon"]} for a in ground["areas"]]).on_conflict_do_nothing())
        await bump_version(uow.session, tables.ground_version)
        await uow.session.execute(insert(tables.categories).values([
            {"code": i["code"], "version": tree["version"], "class_code": i["class"], "name_zh": i["name_zh"],
             "name_en": i["name_en"], "time_limit_class": i["time_limit_class"], "priority": i["priority"],
             "handle_locally": i["local"], "keywords": i["keywords"], "current": True}
            for i in tree["items"]]).on_conflict_do_nothing())
