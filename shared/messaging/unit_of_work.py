"""A unit of work: one database transaction and the events it causes, committed together through the outbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Self

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import REGISTRY, Event
from shared.messaging.envelope import Envelope
from shared.messaging.tables import MessagingTables

#: Builds a service's store (its repository: every read and write of its state) over one unit of work's session.
StoreFactory = Callable[["UnitOfWork"], Any]


class UnitOfWork:
    """Use as ``async with uow_factory(...) as uow``; ``uow.store`` for state (the service's storage seam; tests put
    a fake one behind a fake unit of work), ``uow.record(event)`` for facts. ``uow.session`` is for the store and the
    messaging machinery (inbox, outbox), not for commands and handlers."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], tables: MessagingTables, *, source: str,
                 correlation_id: str | None, causation_id: str | None, after_commit: list[Callable[[], None]],
                 store: StoreFactory | None = None, settings: Any = None):
        self._sessionmaker = sessionmaker
        self._store_factory = store
        #: The service's settings, for the commands that need configuration (a public link, a policy).
        self.settings = settings
        self._tables = tables
        self._source = source
        self.correlation_id = correlation_id
        self.causation_id = causation_id
        #: When the event being handled happened (set by a consumer), for the facts it causes.
        self.occurred_at: datetime | None = None
        #: The record keys (case ids) of every event this transaction applies, when a consumer applies a batch:
        #: a handler may read what it needs for all of them at once.
        self.batch_keys: tuple[str, ...] = ()
        #: Handlers' memo for this transaction (rows read once for a whole batch).
        self.memo: dict = {}
        self._deferred: dict = {}
        self._steps: dict[str, Callable[[UnitOfWork], Awaitable[None]]] = {}
        self._after_commit = after_commit
        self._staged: list[Envelope] = []
        self._recorded_any = False
        self._on_commit: list[Callable[[], None]] = []
        self.session: AsyncSession
        self.store: Any = None

    async def __aenter__(self) -> Self:
        self.session = self._sessionmaker()
        await self.session.begin()
        if self._store_factory is not None:
            self.store = self._store_factory(self)
        return self

    def caused_by(self, *, correlation_id: str, causation_id: str, occurred_at: datetime | None = None) -> None:
        """Events recorded from now on were caused by this event and belong to its flow (a consumer's batch)."""
        self.correlation_id, self.causation_id, self.occurred_at = correlation_id, causation_id, occurred_at

    def record(self, event: Event) -> Envelope:
        """Stage an event; it is written to the outbox in this transaction and published after commit."""
        envelope = Envelope.wrap(event, source=self._source, correlation_id=self.correlation_id,
                                 causation_id=self.causation_id)
        # The first event of a flow starts its correlation; the rest of this unit of work shares it.
        self.correlation_id = envelope.correlation_id
        self._staged.append(envelope)
        self._recorded_any = True
        return envelope

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this transaction has committed (a cache of what it changed is stale now)."""
        self._on_commit.append(callback)

    def defer(self, statement, rows: list[dict]) -> None:
        """Run ``statement`` for ``rows`` at flush, with every other row deferred to it in this transaction: one
        round trip for a batch of events rather than one each."""
        self._deferred.setdefault(statement, []).extend(rows)

    def at_flush(self, key: str, step: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        """Run ``step`` once at flush, after the deferred statements (it may defer more); the same ``key`` twice in a
        transaction is one step, which finds what the handlers left in ``memo``."""
        self._steps.setdefault(key, step)

    async def flush(self) -> None:
        """Run the deferred statements and steps, then write the staged events to the outbox (ids are taken here);
        the commit still decides."""
        while self._deferred or self._steps:
            deferred, self._deferred = self._deferred, {}
            for statement, rows in deferred.items():
                await self.session.execute(statement, rows)
            steps, self._steps = self._steps, {}
            for step in steps.values():
                await step(self)
        staged, self._staged = self._staged, []
        if staged:
            await self.session.execute(insert(self._tables.outbox), [
                {"event_id": e.id, "topic": REGISTRY[e.type].topic.name, "key": e.key, "type": e.type,
                 "source": e.source, "subject": e.subject, "event_time": e.time, "correlation_id": e.correlation_id,
                 "causation_id": e.causation_id, "data": e.data}
                for e in staged
            ])

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
                return
            await self.flush()
            await self.session.commit()
        finally:
            await self.session.close()
        for callback in self._on_commit:
            callback()
        if self._recorded_any:
            for callback in self._after_commit:
                callback()


class UnitOfWorkFactory:
    """Makes units of work for one service's database; the relay subscribes to hear of commits."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], tables: MessagingTables, *, source: str,
                 store: StoreFactory | None = None, settings: Any = None):
        self.sessionmaker = sessionmaker
        self.tables = tables
        self.source = source
        self.store = store
        self.settings = settings
        self.after_commit: list[Callable[[], None]] = []

    def __call__(self, *, correlation_id: str | None = None, causation_id: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.sessionmaker, self.tables, source=self.source, correlation_id=correlation_id,
                          causation_id=causation_id, after_commit=self.after_commit, store=self.store,
                          settings=self.settings)
