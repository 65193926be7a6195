"""A value built from reference tables (a routing directory, a map of areas), rebuilt only when their version moves."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """Per process. ``version_table`` has one row whose ``version`` every edit of the reference data bumps.

    With ``recheck_seconds`` the version is read at most that often, so a hot path does not pay a query per call
    for data that changes a few times a day; an edit made by this process calls ``invalidate`` after its commit and
    is seen at once, an edit by another process within ``recheck_seconds``.
    """

    def __init__(self, version_table: Table, load: Callable[[AsyncSession], Awaitable[T]], *,
                 recheck_seconds: float = 0.0, published_by: Callable[[Any], Awaitable[Any]] | None = None):
        self._table, self._load, self._recheck = version_table, load, recheck_seconds
        #: For reference data other services keep names of: a step that publishes what changed, run once in each
        #: unit of work that edits it.
        self._published_by = published_by
        self._version: int | None = None
        self._value: T | None = None
        self._checked_at = float("-inf")

    async def get(self, session: AsyncSession) -> T:
        now = time.monotonic()
        if self._value is not None and now - self._checked_at < self._recheck:
            return self._value
        version = await session.scalar(select(self._table.c.version))
        if self._value is None or version != self._version:
            self._value = await self._load(session)
            self._version = version
        self._checked_at = now
        return self._value

    def invalidate(self) -> None:
        """Read the version again on the next ``get`` (after this process committed an edit)."""
        self._checked_at = float("-inf")

    async def changed(self, uow) -> None:
        """Call in the unit of work that edits the reference data: every process reloads it, this one as soon as
        the edit commits."""
        await bump_version(uow.session, self._table)
        uow.on_commit(self.invalidate)
        if self._published_by is not None:
            uow.at_flush(f"publish {self._table.name}", self._published_by)


def version_table(name: str, metadata: MetaData) -> Table:
    """The one-row table whose ``version`` every edit of some reference data bumps."""
    return Table(name, metadata, Column("id", Integer, primary_key=True), Column("version", BigInteger, nullable=False))


async def bump_version(session: AsyncSession, version_table: Table) -> None:
    """Call in the transaction that edits the reference data, so every process reloads it."""
    await session.execute(update(version_table).values(version=version_table.c.version + 1))
