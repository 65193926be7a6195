"""Jurisdiction scopes: a path in the area tree, from the district down to the street, community or grid a caller
works in; a record lies within a scope when its own path begins with it."""

from __future__ import annotations

from collections.abc import Iterable

AREA_LEVELS = ("district", "street", "community", "grid")


def within(scope: Iterable[str], area_ids: Iterable[str | None]) -> bool:
    """Whether a record lying at ``area_ids`` (district first, as far down as known) is within ``scope``.

    A record known only to a level above the scope (a district-wide request, seen by a street) is not.
    """
    scope = tuple(scope)
    return tuple(area_ids)[:len(scope)] == scope
