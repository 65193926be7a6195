"""Resident supervisors' certificates in plain Python: which cases a certificate lets its holder follow."""

from __future__ import annotations

from collections.abc import Collection


def covers(areas: Collection[str], jurisdiction_id: str, *, district_id: str, street_id: str,
           community_id: str | None, grid_id: str) -> bool:
    """A certificate covers the cases of its jurisdiction whose street, community or grid is one of its areas."""
    return district_id == jurisdiction_id and any(a in areas for a in (street_id, community_id, grid_id) if a)
