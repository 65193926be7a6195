"""A jurisdiction scope as a SQL condition: a record's area columns (district first) match the scope's path."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_


def within_scope(columns: Sequence[ColumnElement], scope: Sequence[str]) -> ColumnElement[bool]:
    """Rows lying within ``scope``: the first ``len(scope)`` of ``columns`` (district, street, community, grid)
    equal its path. A row whose column at the scope's level is unknown (NULL) is outside."""
    if len(scope) > len(columns):
        raise ValueError("the scope is deeper than the columns that place a row")
    return and_(*(column == area for column, area in zip(columns, scope, strict=False)))
