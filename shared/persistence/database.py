"""The async engine and session maker of one service's database."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def async_url(url: str) -> str:
    """Accept ``postgresql://`` URLs as operators write them and use the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # No pre-ping: it costs a round trip per transaction (a third of the throughput, measured). A connection that
    # died with the server fails once, SQLAlchemy then discards the pool, and callers see `is_database_unavailable`.
    return create_async_engine(async_url(url), pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


# Errors that say the database is away rather than that a statement is wrong.
_UNAVAILABLE = (OperationalError, InterfaceError, ConnectionError, OSError, TimeoutError)


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _UNAVAILABLE)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
