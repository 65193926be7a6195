"""Loads intake's part of the demo ground: areas with polygons, the gazetteer, the category tree and the hotline's
knowledge base (idempotent)."""

from sqlalchemy.dialects.postgresql import insert

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree, ground
from shared.demo import demo_data
from shared.messaging.unit_of_work import UnitOfWorkFactory


def area_rows() -> list[dict]:
    return [{"id": a["id"], "level": a["level"], "parent_id": a["parent"], "name_zh": a["name_zh"],
             "name_en": a["name_en"], "polygon": a["polygon"]} for a in demo_data("ground")["areas"]]


def gazetteer_rows() -> list[dict]:
    gazetteer = demo_data("ground")["gazetteer"]
    return ([{"id": g["id"], "kind": "compound", "name_zh": g["name_zh"], "aliases": g["aliases"], "lat": g["lat"],
              "lon": g["lon"], "segments": []} for g in gazetteer["compounds"]]
            + [{"id": r["id"], "kind": "road", "name_zh": r["name_zh"], "aliases": [], "lat": None, "lon": None,
                "segments": r["segments"]} for r in gazetteer["roads"]])


def category_rows() -> list[dict]:
    tree = demo_data("categories")
    return [{"code": i["code"], "version": tree["version"], "class_code": i["class"], "name_zh": i["name_zh"],
             "name_en": i["name_en"], "time_limit_class": i["time_limit_class"], "priority": i["priority"],
             "handle_locally": i["local"], "keywords": i["keywords"], "examples": i.get("examples", []),
             "attributes": i.get("attributes", []), "service_code": i["service_code"], "current": True}
            for i in tree["items"]]


def knowledge_rows() -> list[dict]:
    return [{"id": a["id"], "question": a["question"], "answer": a["answer"], "keywords": a["keywords"],
             "category_code": a.get("category"), "changed_by": "demo"} for a in demo_data("knowledge")["articles"]]


def class_rows() -> list[dict]:
    return demo_data("categories")["classes"]


async def seed_demo(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.session.execute(insert(tables.areas).values(area_rows()).on_conflict_do_nothing())
        await uow.session.execute(insert(tables.gazetteer).values(gazetteer_rows()).on_conflict_do_nothing())
        await ground.changed(uow)
        await uow.session.execute(insert(tables.category_classes).values(class_rows()).on_conflict_do_nothing())
        # Only a sub-item the tree does not have yet is added: edits made through the admin API are kept.
        await uow.session.execute(insert(tables.categories).values(category_rows()).on_conflict_do_update(
            index_elements=["code", "version"],
            # A tree loaded before sub-items had service codes gets them; nothing else is overwritten.
            set_={"service_code": insert(tables.categories).excluded.service_code,
                  "examples": insert(tables.categories).excluded.examples,
                  "attributes": insert(tables.categories).excluded.attributes},
            where=tables.categories.c.service_code == ""))
        await category_tree.changed(uow)
        # Articles an admin edited or retired stay as they are.
        await uow.session.execute(insert(tables.knowledge_articles).values(knowledge_rows()).on_conflict_do_nothing())
