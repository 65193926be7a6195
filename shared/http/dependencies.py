"""FastAPI dependency aliases for the pieces a route needs: a unit of work (or their factory), a read session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.messaging.unit_of_work import UnitOfWork, UnitOfWorkFactory


async def _unit_of_work(request: Request) -> UnitOfWork:
    return request.app.state.runtime.uow(correlation_id=request.scope["state"].get("correlation_id"))


async def _unit_of_work_factory(request: Request) -> UnitOfWorkFactory:
    return request.app.state.runtime.uow


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.uow.sessionmaker() as session:
        yield session


#: A fresh unit of work bound to the request's correlation id; enter it with ``async with``.
UnitOfWorkDep = Annotated[UnitOfWork, Depends(_unit_of_work)]
#: A session for reads; it writes nothing.
ReadSession = Annotated[AsyncSession, Depends(_read_session)]
#: The service's unit-of-work factory, for a route that commits in several steps (a rebuild, a batch).
UnitOfWorkFactoryDep = Annotated[UnitOfWorkFactory, Depends(_unit_of_work_factory)]
