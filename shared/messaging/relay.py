"""The outbox relay: publishes committed outbox rows in id order, per key, and never skips a late-committing row."""

from __future__ import annotations

import asyncio

import structlog
from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.messaging.envelope import Envelope
from shared.messaging.tables import MessagingTables
from shared.runtime.loop import Loop
from shared.runtime.metrics import EVENTS_PRODUCED, OUTBOX_BACKLOG

log = structlog.get_logger(__name__)

# One relay per database publishes at a time, so the id order of a key survives several instances.
RELAY_LOCK = 0x6F7574626F78  # "outbox"
# A row is safe to publish only when every transaction older than the reader's snapshot has finished:
# otherwise a lower id (taken earlier, committed later) could appear after a higher one went out.
SETTLED = text("txid < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")


class OutboxRelay:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], tables: MessagingTables,
                 producer: AIOKafkaProducer, *, batch_size: int = 500, poll_interval: float = 0.5,
                 retention_hours: float = 72.0):
        self._sessionmaker = sessionmaker
        self._outbox = tables.outbox
        self._producer = producer
        self._batch_size = batch_size
        self._retention_hours = retention_hours
        self._rounds = 0
        self._loop = Loop("outbox-relay", self._round, interval=poll_interval)

    def wake(self) -> None:
        """Called after a unit of work commits events, so they go out without waiting for the next poll."""
        self._loop.wake()

    async def publish_pending(self) -> int:
        """Publish one batch of settled rows; returns how many went out (0 if another relay holds the lock)."""
        outbox = self._outbox
        async with self._sessionmaker() as session, session.begin():
            if not await session.scalar(select(func.pg_try_advisory_xact_lock(RELAY_LOCK))):
                return 0
            rows = (await session.execute(
                select(outbox).where(outbox.c.published_at.is_(None), SETTLED)
                .order_by(outbox.c.id).limit(self._batch_size)
            )).all()
            if not rows:
                return 0
            # aiokafka keeps one request in flight per partition, so send order is partition order.
            pending = []
            for row in rows:
                envelope = Envelope(
                    id=row.event_id, type=row.type, source=row.source, time=row.event_time, subject=row.subject,
                    key=row.key, data=row.data, correlation_id=row.correlation_id, causation_id=row.causation_id)
                pending.append(await self._producer.send(
                    row.topic, value=envelope.value(), key=row.key.encode(), headers=envelope.headers()))
            # If any send fails, nothing is marked and the whole batch goes again: consumers dedupe by event id.
            await asyncio.gather(*pending)
            await session.execute(
                update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(published_at=func.now()))
        for row in rows:
            EVENTS_PRODUCED.labels(row.topic, row.type).inc()
        return len(rows)

    async def backlog(self) -> int:
        async with self._sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).select_from(self._outbox).where(self._outbox.c.published_at.is_(None)))
        OUTBOX_BACKLOG.set(count or 0)
        return count or 0

    async def purge_published(self) -> int:
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(delete(self._outbox).where(
                self._outbox.c.published_at < func.now() - text(f"interval '{float(self._retention_hours)} hours'")))
        return result.rowcount or 0

    async def replay(self, hours: float) -> int:
        """Mark the events published in the last ``hours`` for publishing again, in their original order.

        For a broker that lost its topics (the embedded one keeps nothing across a restart): consumers skip what
        their inbox has seen and apply what never reached them.
        """
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(update(self._outbox).where(
                self._outbox.c.published_at > func.now() - text(f"interval '{float(hours)} hours'"))
                .values(published_at=None))
        return result.rowcount or 0

    async def drain(self, timeout: float = 10.0) -> None:
        """Publish until nothing settled is left (used on shutdown)."""
        async with asyncio.timeout(timeout):
            while await self.publish_pending():
                pass

    async def _round(self) -> bool:
        published = await self.publish_pending()
        self._rounds += 1
        if self._rounds % 2000 == 0:
            await self.purge_published()
        return published > 0  # rows went out: more may be settled behind them

    async def run(self) -> None:
        """Publish until stopped (broker or database away: the rows stay, the loop tries again after a pause)."""
        await self._loop.run()

    def stop(self) -> None:
        self._loop.stop()
