"""The consumer loop: at-least-once delivery, exactly one effect (inbox), retries in place, dead-letter topic."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError

from shared.events import Event
from shared.messaging.envelope import Envelope, SchemaViolation, UndecodableRecord
from shared.messaging.unit_of_work import UnitOfWork, UnitOfWorkFactory
from shared.persistence.database import is_database_unavailable
from shared.runtime.metrics import CONSUMER_LAG, DEAD_LETTERED, EVENTS_CONSUMED

log = structlog.get_logger(__name__)

Handler = Callable[[Event, UnitOfWork], Awaitable[None]]


class PermanentFailure(Exception):
    """A handler's verdict that this event can never be applied (it breaks a rule); it goes to the dead-letter topic."""


def _safe_reason(exc: BaseException) -> str:
    """The class and the first line, cut short; only the class for database errors, whose messages quote values."""
    if isinstance(exc, DBAPIError) or not str(exc):
        return type(exc).__name__
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"


@dataclass(frozen=True)
class _Work:
    record: ConsumerRecord
    envelope: Envelope
    event: Event
    handler: Handler


def _bind_log_context(envelope: Envelope) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(event_id=envelope.id, case_id=envelope.subject,
                                           correlation_id=envelope.correlation_id)


class EventConsumer:
    """Consumes the topics its handler table names, in one consumer group per service."""

    def __init__(self, *, consumer: AIOKafkaConsumer, dead_letters: AIOKafkaProducer, uow: UnitOfWorkFactory,
                 handlers: Mapping[type[Event], Handler], name: str, max_attempts: int = 5,
                 backoff: float = 0.2, max_backoff: float = 5.0, max_batch: int = 200):
        self._consumer = consumer
        self._dead_letters = dead_letters
        self._uow = uow
        self._handlers = {cls.type: handler for cls, handler in handlers.items()}
        self._name = name
        self._max_attempts = max_attempts
        self._max_batch = max_batch
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._stopping = False
        self.processed = 0
        self._positions: dict[TopicPartition, int] = {}

    @staticmethod
    def topics_for(handlers: Mapping[type[Event], Handler]) -> list[str]:
        return sorted({cls.topic.name for cls in handlers})

    async def run(self) -> None:
        while not self._stopping:
            try:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=self._max_batch)
            except KafkaError as exc:
                log.warning("fetch failed, retrying", error=type(exc).__name__)
                await asyncio.sleep(1)
                continue
            for tp, records in batches.items():
                done = await self._process_partition(tp, records)
                if done is not None:
                    # Offsets follow the database: every record before `done` has committed its effect
                    # (or was dead-lettered).
                    await self._commit(tp, done)
                    self._positions[tp] = done
                if self._stopping:
                    break
            await self.lag()

    def stop(self) -> None:
        self._stopping = True

    async def _commit(self, tp: TopicPartition, offset: int) -> None:
        try:
            await self._consumer.commit({tp: offset})
        except (CommitFailedError, KafkaError) as exc:
            # The partition moved to another member mid-batch; it will redeliver, and the inbox absorbs it.
            log.warning("offset commit failed", topic=tp.topic, partition=tp.partition, error=type(exc).__name__)

    async def lag(self) -> int:
        """Records not yet applied, as far as the last fetch tells (0 for a partition not fetched yet)."""
        total = 0
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            if high is None:
                continue
            position = self._positions.get(tp)
            if position is None:
                # Nothing applied here since this member got the partition: it starts at the committed offset.
                try:
                    position = await self._consumer.committed(tp) or 0
                except KafkaError:
                    continue
                if position >= high:
                    self._positions[tp] = position  # caught up: no need to ask again
            behind = max(high - position, 0)
            CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(behind)
            total += behind
        return total

    async def _process_partition(self, tp: TopicPartition, records: list[ConsumerRecord]) -> int | None:
        """Apply one partition's records in order; returns the offset to commit, or None if none was finished."""
        work: list[_Work] = []
        done = None
        for record in records:
            try:
                item = await self._read(record)
            except KafkaError as exc:
                # Its dead-letter copy could not be written: read this record again rather than lose it.
                log.warning("dead-letter write failed; the record will be read again", error=type(exc).__name__)
                self._consumer.seek(tp, record.offset)
                await asyncio.sleep(1)
                break
            if item is not None:
                work.append(item)
            done = record.offset + 1
        if len(work) > 1 and await self._apply_together(work):
            return done
        for item in work:
            try:
                await self._apply_alone(item)
            except KafkaError as exc:
                log.warning("dead-letter write failed; the record will be read again", error=type(exc).__name__)
                self._consumer.seek(tp, item.record.offset)
                await asyncio.sleep(1)
                return item.record.offset
            except asyncio.CancelledError:
                # Stopping while a record is being retried: commit what is finished, the rest comes again.
                return item.record.offset
        return done

    async def _read(self, record: ConsumerRecord) -> _Work | None:
        """The record as work to apply; None for a type without a handler, or one dead-lettered as unreadable."""
        structlog.contextvars.clear_contextvars()
        try:
            envelope = Envelope.from_record(key=record.key, value=record.value, headers=record.headers)
            handler = self._handlers.get(envelope.type)
            if handler is None:
                EVENTS_CONSUMED.labels(record.topic, envelope.type, "ignored").inc()
                return None
            event = envelope.event()
        except UndecodableRecord as exc:
            await self._dead_letter(record, "undecodable", str(exc), attempts=1)
            return None
        except SchemaViolation as exc:
            await self._dead_letter(record, "schema_violation", str(exc), attempts=1)
            return None
        assert event is not None
        return _Work(record, envelope, event, handler)

    async def _apply_together(self, work: list[_Work]) -> bool:
        """All in one transaction (far fewer commits under load); False, with nothing applied, if any of them fails."""
        applied: list[bool] = []
        try:
            async with self._uow() as uow:
                fresh = await self._claim(uow, work)
                uow.batch_keys = tuple(item.envelope.key for item in work)
                for item in work:
                    _bind_log_context(item.envelope)
                    applied.append(await self._handle_if_fresh(uow, item, fresh))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info("batch not applied together; applying its records one by one", records=len(work),
                     error=type(exc).__name__)
            return False
        for item, first_time in zip(work, applied, strict=True):
            self._count(item, first_time, attempt=1)
        return True

    async def _apply_alone(self, item: _Work) -> None:
        """One record in its own transaction, retried in place; dead-lettered when it cannot be applied."""
        _bind_log_context(item.envelope)
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._uow() as uow:
                    first_time = await self._claim_and_handle(uow, item)
                self._count(item, first_time, attempt=attempt)
                return
            except asyncio.CancelledError:
                raise
            except PermanentFailure as exc:
                await self._dead_letter(item.record, "rejected", _safe_reason(exc), attempts=attempt)
                return
            except Exception as exc:
                if is_database_unavailable(exc):
                    # Not the record's fault: wait for the database without spending the record's attempts.
                    log.warning("database unavailable, retrying", error=type(exc).__name__)
                    attempt -= 1
                elif attempt >= self._max_attempts:
                    await self._dead_letter(item.record, "kept_failing", _safe_reason(exc), attempts=attempt)
                    return
                else:
                    log.warning("handler failed, retrying in place", attempt=attempt, error=type(exc).__name__)
                await asyncio.sleep(min(self._backoff * 2 ** max(attempt - 1, 0), self._max_backoff))
                if self._stopping:
                    raise asyncio.CancelledError("stopping while retrying; the record will be redelivered")

    async def _claim_and_handle(self, uow: UnitOfWork, item: _Work) -> bool:
        """Record the event in the inbox and apply it, in the caller's transaction; False if applied before."""
        return await self._handle_if_fresh(uow, item, await self._claim(uow, [item]))

    async def _claim(self, uow: UnitOfWork, work: list[_Work]) -> set[str]:
        """Record the events in the inbox in one statement; the ids not seen before."""
        inbox = self._uow.tables.inbox
        rows = [{"consumer": self._name, "event_id": item.envelope.id, "type": item.envelope.type,
                 "topic": item.record.topic, "partition": item.record.partition, "offset": item.record.offset}
                for item in work]
        # One statement compiled once and sent with many parameter sets (a multi-row VALUES would be compiled
        # again for every batch size).
        claimed = await uow.session.scalars(
            pg_insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id), rows)
        return set(claimed)

    @staticmethod
    async def _handle_if_fresh(uow: UnitOfWork, item: _Work, fresh: set[str]) -> bool:
        """Apply the event if the inbox took it just now; the same event twice in one batch is applied once."""
        if item.envelope.id not in fresh:
            return False
        fresh.discard(item.envelope.id)
        uow.caused_by(correlation_id=item.envelope.correlation_id, causation_id=item.envelope.id,
                      occurred_at=item.envelope.time)
        await item.handler(item.event, uow)
        return True

    def _count(self, item: _Work, first_time: bool, *, attempt: int) -> None:
        outcome = "applied" if first_time else "duplicate"
        EVENTS_CONSUMED.labels(item.record.topic, item.envelope.type, outcome).inc()
        _bind_log_context(item.envelope)
        log.info("event consumed", type=item.envelope.type, outcome=outcome, attempt=attempt,
                 partition=item.record.partition, offset=item.record.offset)
        self.processed += 1

    async def _dead_letter(self, record: ConsumerRecord, reason: str, error: str, *, attempts: int) -> None:
        topic = f"{record.topic}.dlt"
        headers = list(record.headers or ()) + [
            ("dlt_original_topic", record.topic.encode()),
            ("dlt_original_partition", str(record.partition).encode()),
            ("dlt_original_offset", str(record.offset).encode()),
            ("dlt_reason", reason.encode()),
            ("dlt_error", error.encode()),
            ("dlt_attempts", str(attempts).encode()),
            ("dlt_consumer", self._name.encode()),
        ]
        # Wait for the broker's ack: the offset moves past this record only once its copy is safe.
        await self._dead_letters.send_and_wait(topic, value=record.value, key=record.key, headers=headers)
        DEAD_LETTERED.labels(record.topic, reason).inc()
        EVENTS_CONSUMED.labels(record.topic, "-", "dead_lettered").inc()
        log.error("record dead-lettered", topic=record.topic, partition=record.partition, offset=record.offset,
                  reason=reason, error=error, attempts=attempts)
