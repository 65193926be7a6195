"""The demo ground from DOMAIN.md (Changning District, Shanghai) as data files, read by each service's seeding."""

from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).parent


@cache
def demo_data(name: str) -> dict:
    """One of ``ground``, ``categories``, ``units``, ``routing``, ``time_limits``, ``supervisors``,
    ``contact_points``."""
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
