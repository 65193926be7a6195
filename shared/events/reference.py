"""The reference data each owner publishes whenever an entry changes, so every service keeps the names it shows:
units (dispatch), sub-items and areas (intake). Each event carries the whole entry as it now is, keyed by its id."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime

from shared.events.contract import DISPATCH_REFERENCE, INTAKE_REFERENCE, Event, event_type

AreaLevel = Literal["district", "street", "community", "grid"]


class UnitChanged(Event, type=event_type("reference.unit_changed"), topic=DISPATCH_REFERENCE, key="unit_id"):
    """A unit of the directory was added or edited (or is published again as it is)."""

    unit_id: str
    kind: str
    parent_id: str | None = None
    name_zh: str
    name_en: str
    #: The areas the unit works in (their ids), as the directory says.
    areas: list[str] = []
    changed_at: AwareDatetime


class CategoryChanged(Event, type=event_type("reference.category_changed"), topic=INTAKE_REFERENCE, key="code"):
    """A sub-item of the category tree was added, edited or retired; the class it belongs to is named with it."""

    code: str
    version: int
    class_code: str
    class_name_zh: str
    class_name_en: str
    name_zh: str
    name_en: str
    time_limit_class: str
    #: New reports may be filed under it (a retired sub-item still names the old cases).
    active: bool
    changed_at: AwareDatetime


class AreaChanged(Event, type=event_type("reference.area_changed"), topic=INTAKE_REFERENCE, key="area_id"):
    """An area of the jurisdiction (the district, a street, a community or a grid) was added or renamed."""

    area_id: str
    level: AreaLevel
    parent_id: str | None = None
    name_zh: str
    name_en: str
    #: Its boundary, a GeoJSON Polygon or MultiPolygon (lon, lat), for maps that need no tile server.
    polygon: dict | None = None
    changed_at: AwareDatetime
