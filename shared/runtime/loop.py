"""The one shape of every background loop (relay, watches, senders, upkeep, imports): a round, then a wait that a
wake-up cuts short, errors logged and retried with back-off, a stop that ends it after the round in hand."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress

import structlog

log = structlog.get_logger(__name__)


class Loop:
    """Runs ``round`` until stopped or cancelled.

    ``round`` returns whether more work is waiting (a full batch was taken): then the next round starts at once;
    otherwise the loop waits ``interval`` seconds, or less if ``wake()`` is called (new work was committed), and
    ``settle`` seconds more after a wake-up so that what arrives together is taken together. A round that raises is
    logged (the error's class only: messages may quote personal data) and the next waits ``backoff`` seconds,
    doubling after each failure in a row up to ``max_backoff``; the first success resets it.
    """

    def __init__(self, name: str, round: Callable[[], Awaitable[bool | int | None]], *, interval: float,
                 backoff: float = 1.0, max_backoff: float = 30.0, settle: float = 0.0):
        self.name = name
        self._round, self._interval, self._settle = round, interval, settle
        self._backoff, self._max_backoff = backoff, max_backoff
        self._wakeup = asyncio.Event()
        self._stopping = False
        self.failures = 0  # in a row

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                more = await self._round()
                self.failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database or broker may be away for a while: keep going, lose nothing
                self.failures += 1
                log.warning("background round failed; will try again", loop=self.name, error=type(exc).__name__,
                            failures=self.failures)
                await asyncio.sleep(min(self._backoff * 2 ** (self.failures - 1), self._max_backoff))
                continue
            if more or self._stopping:
                continue
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._interval)
                if self._settle:
                    await asyncio.sleep(self._settle)
            self._wakeup.clear()
