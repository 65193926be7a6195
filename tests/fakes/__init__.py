"""In-memory stand-ins for each service's store, behind a fake unit of work, so that commands and handlers are
tested in milliseconds (the integration tests prove the same paths on the real PostgreSQL)."""

from __future__ import annotations

import copy
import inspect
from datetime import datetime

from shared.messaging.envelope import Envelope


class FakeUnitOfWork:
    """What commands and handlers use of a unit of work: ``store``, ``record``, the flow's ids and ``memo``.

    Entering it keeps a copy of the store's state and starts an empty ``memo``; leaving it with an error puts that
    copy back and drops the events recorded meanwhile (a rollback), and ``commits`` counts the units of work that
    ended well. Recorded events are in ``events`` in order.
    """

    def __init__(self, store, *, settings=None):
        self.store = store
        self.settings = settings
        self.events: list = []
        self.commits = 0
        self.memo: dict = {}
        self.batch_keys: tuple[str, ...] = ()
        self.correlation_id: str | None = None
        self.causation_id: str | None = None
        self.occurred_at: datetime | None = None
        self._saved = None
        self._recorded_before = 0
        self._on_commit: list = []

    def __call__(self, **_ids) -> FakeUnitOfWork:  # a factory too: workers' and routes' ``uow_factory()``
        return self

    async def __aenter__(self) -> FakeUnitOfWork:
        # The store's state: its public attributes (private ones hold reference data, read only).
        self._saved = copy.deepcopy({k: v for k, v in vars(self.store).items() if not k.startswith("_")})
        self._recorded_before = len(self.events)
        self.memo = {}
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.store.__dict__.update(self._saved)
            del self.events[self._recorded_before:]
            self._on_commit = []
            return
        await self.flush()
        self.commits += 1
        callbacks, self._on_commit = self._on_commit, []
        for callback in callbacks:
            callback()

    async def flush(self) -> None:
        """The store's steps for the end of a batch (``after_batch``), as the real unit of work runs them."""
        flush = getattr(self.store, "flush", None)
        if flush is not None:
            await flush(self)

    def on_commit(self, callback) -> None:
        self._on_commit.append(callback)

    def caused_by(self, *, correlation_id: str, causation_id: str, occurred_at: datetime | None = None) -> None:
        self.correlation_id, self.causation_id, self.occurred_at = correlation_id, causation_id, occurred_at

    def record(self, event) -> Envelope:
        """Keep the event; the envelope is the one the real unit of work would write to the outbox."""
        self.events.append(event)
        envelope = Envelope.wrap(event, source="/gridlink/test", correlation_id=self.correlation_id,
                                 causation_id=self.causation_id)
        self.correlation_id = envelope.correlation_id
        return envelope

    def of_type(self, cls) -> list:
        return [e for e in self.events if isinstance(e, cls)]


def public_methods(cls) -> dict[str, inspect.Signature]:
    """A store's interface: its public methods and their signatures (the fake must have the same)."""
    return {name: inspect.signature(member) for name, member in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_")}
