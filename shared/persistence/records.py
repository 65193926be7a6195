"""Rows read as the plain records a store hands its commands (frozen dataclasses), so that nothing above the store
sees SQLAlchemy's rows and an in-memory store can hand over the same records."""

from __future__ import annotations

from dataclasses import fields
from typing import TypeVar

T = TypeVar("T")


def record_of(cls: type[T], row) -> T | None:
    """The record ``cls`` of ``row`` (the row's columns that are fields of ``cls``); None for no row."""
    if row is None:
        return None
    mapping = row._mapping
    return cls(**{f.name: mapping[f.name] for f in fields(cls) if f.name in mapping})
