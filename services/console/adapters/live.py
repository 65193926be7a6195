"""What keeps the console's pages live: one watcher per process looks at the read model's latest change (only while
some page listens) and wakes every stream of this process; any instance's consumer may have made the change."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.console.adapters import tables


class BoardWatch:
    def __init__(self, *, interval: float = 0.5):
        self._interval = interval
        self._listeners: set[asyncio.Queue] = set()
        self._task: asyncio.Task | None = None
        self._seen: datetime | None = None
        self._looked = False  # the first look only learns where the read model stands (empty is a standing too)

    def listen(self, sessionmaker: async_sessionmaker) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        self._listeners.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch(sessionmaker), name="board-watch")
        return queue

    def leave(self, queue: asyncio.Queue) -> None:
        self._listeners.discard(queue)

    async def _watch(self, sessionmaker: async_sessionmaker) -> None:
        while self._listeners:
            with suppress(Exception):  # a database hiccup: the next look tries again
                async with sessionmaker() as session:
                    latest = await session.scalar(select(func.max(tables.cases.c.updated_at)))
                if latest != self._seen or not self._looked:
                    first, self._seen, self._looked = not self._looked, latest, True
                    if not first:
                        for queue in list(self._listeners):
                            with suppress(asyncio.QueueFull):  # a change already waits to be told: enough
                                queue.put_nowait(latest)
            await asyncio.sleep(self._interval)
        self._task, self._looked = None, False


#: This process's watch (one per worker process).
BOARD_WATCH = BoardWatch()
