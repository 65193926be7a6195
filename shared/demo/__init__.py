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
