"""The public record in plain Python: how a case is named where everyone may read it (the mirror wall, bulletins)."""

from __future__ import annotations

from uuid import UUID


def public_number(case_id: UUID) -> str:
    """A short public number for a case: stable, and not its tracking code (which lets a resident read the case)."""
    return "GL-" + case_id.hex[:10].upper()
