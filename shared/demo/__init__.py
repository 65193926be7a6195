"""The demo ground from DOMAIN.md (Changning District, Shanghai) as data files, read by each service's seeding."""

from functools import cache
from pathlib import Path

import yaml

from shared.reference.names import Name, Names

HERE = Path(__file__).parent


@cache
def demo_data(name: str) -> dict:
    """One of ``ground``, ``categories``, ``units``, ``routing``, ``time_limits``, ``supervisors``,
    ``contact_points``, ``knowledge``."""
    return yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))


def demo_area_path(area_id: str) -> tuple[str, ...]:
    """The path from the district down to one of the demo ground's areas (a token's scope)."""
    parents = {area["id"]: area["parent"] for area in demo_data("ground")["areas"]}
    if area_id not in parents:
        raise KeyError(area_id)
    path = [area_id]
    while parents[path[0]] is not None:
        path.insert(0, parents[path[0]])
    return tuple(path)


def demo_names() -> Names:
    """The names of the demo ground's units, sub-items and areas, as every service keeps them from the reference
    events (for tests and tools that run without the broker)."""
    entries = {("unit", u["id"]): Name(u["name_zh"], u["name_en"], u["parent"], u["kind"])
               for u in demo_data("units")["units"]}
    tree = demo_data("categories")
    entries |= {("category_class", c["code"]): Name(c["name_zh"], c["name_en"]) for c in tree["classes"]}
    entries |= {("category", i["code"]): Name(i["name_zh"], i["name_en"], i["class"]) for i in tree["items"]}
    entries |= {("area", a["id"]): Name(a["name_zh"], a.get("name_en", a["name_zh"]), a["parent"], a["level"])
                for a in demo_data("ground")["areas"]}
    return Names(entries)
