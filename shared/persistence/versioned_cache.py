"""A value built from reference tables (a routing directory, a map of areas), rebuilt only when their version moves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """Per process. ``version_table`` has one row whose ``version`` every edit of the reference data bumps."""

    def __init__(self, version_table: Table, load: Callable[[AsyncSession], Awaitable[T]]):
        self._table, self._load = version_table, load
        self._version: int | None = None
        self._value: T | None = None

    async def get(self, session: AsyncSession) -> T:
        version = await session.scalar(select(self._table.c.version))
        if self._value is None or version != self._version:
            self._value = await self._load(session)
            self._version = version
        return self._value


def version_table(name: str, metadata: MetaData) -> Table:
    """The one-row table whose ``version`` every edit of some reference data bumps."""
    return Table(name, metadata, Column("id", Integer, primary_key=True), Column("version", BigInteger, nullable=False))


async def bump_version(session: AsyncSession, version_table: Table) -> None:
    """Call in the transaction that edits the reference data, so every process reloads it."""
    await session.execute(update(version_table).values(version=version_table.c.version + 1))
