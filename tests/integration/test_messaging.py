"""The messaging guarantees, on the real PostgreSQL and the real broker."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from shared.events import CaseDispatched, CaseReported
from shared.messaging.consumer import EventConsumer, PermanentFailure
from shared.messaging.envelope import Envelope
from shared.messaging.kafka import make_consumer, make_producer
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import messaging_tables
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.persistence.database import create_engine, create_sessionmaker
from tests.samples import case_dispatched, case_reported, eventually, read_topic

pytestmark = pytest.mark.integration

metadata = MetaData()
tables = messaging_tables(metadata)
effects = Table("effects", metadata, Column("id", Integer, primary_key=True),
                Column("case_id", PG_UUID(as_uuid=True)), Column("event_id", Text))


class Harness:
    def __init__(self, database_url: str, infrastructure):
        self.infrastructure = infrastructure
        self.engine = create_engine(database_url)
        self.uow = UnitOfWorkFactory(create_sessionmaker(self.engine), tables, source="/gridlink/test")
        self.producer: AIOKafkaProducer = make_producer(infrastructure.bootstrap_servers,
                                                        idempotence=infrastructure.idempotence, client_id="test")
        self.relay = OutboxRelay(self.uow.sessionmaker, tables, self.producer)

    async def effects_for(self, case_id: UUID) -> int:
        async with self.uow.sessionmaker() as s:
            return await s.scalar(select(func.count()).select_from(effects).where(effects.c.case_id == case_id))

    async def publish(self, *events) -> None:
        async with self.uow() as uow:
            for event in events:
                uow.record(event)
        while await self.relay.publish_pending():
            pass

    @asynccontextmanager
    async def consuming(self, handlers, *, group: str, name: str = "test-consumer", max_attempts: int = 3):
        """A consumer of the handlers' topics in its own group, running until the block ends."""
        kafka = make_consumer(self.infrastructure.bootstrap_servers, group_id=group, client_id=group,
                              topics=EventConsumer.topics_for(handlers))
        await kafka.start()
        consumer = EventConsumer(consumer=kafka, dead_letters=self.producer, uow=self.uow, handlers=handlers,
                                 name=name, max_attempts=max_attempts, backoff=0.05)
        task = asyncio.create_task(consumer.run())
        try:
            yield consumer, task
        finally:
            consumer.stop()
            await asyncio.wait([task], timeout=10)
            await kafka.stop()


@pytest.fixture
async def harness(messaging_database, infrastructure):
    h = Harness(messaging_database, infrastructure)
    await h.producer.start()
    yield h
    await h.producer.stop()
    await h.engine.dispose()


def counting_handler(watched: set[UUID], calls: list | None = None):
    """Writes one effect row per event of a watched case (other tests' records on the topic are ignored)."""

    async def handle(event, uow) -> None:
        if event.case_id not in watched:
            return
        if calls is not None:
            calls.append(event.case_id)
        await uow.session.execute(insert(effects).values(case_id=event.case_id, event_id=uow.causation_id))

    return handle


async def test_a_state_change_and_its_event_commit_together_or_not_at_all(harness):
    committed, rolled_back = uuid4(), uuid4()
    async with harness.uow() as uow:
        await uow.session.execute(insert(effects).values(case_id=committed, event_id="x"))
        uow.record(case_reported(committed))
    with pytest.raises(RuntimeError):
        async with harness.uow() as uow:
            await uow.session.execute(insert(effects).values(case_id=rolled_back, event_id="y"))
            uow.record(case_reported(rolled_back))
            raise RuntimeError("the state change fails after the event was recorded")
    async with harness.uow.sessionmaker() as s:
        keys = set(await s.scalars(select(tables.outbox.c.key)))
    assert str(committed) in keys and await harness.effects_for(committed) == 1
    assert str(rolled_back) not in keys and await harness.effects_for(rolled_back) == 0


async def test_the_relay_publishes_a_late_committing_lower_id_first_and_skips_nothing(harness, infrastructure):
    case_id = uuid4()
    first, second = case_reported(case_id), case_dispatched(case_id)
    late = harness.uow()
    await late.__aenter__()
    late.record(first)
    await late.flush()  # takes the lower outbox id, but does not commit yet
    async with harness.uow() as early:
        early.record(second)  # higher id, committed first
    async with harness.uow.sessionmaker() as s:
        ids = dict((await s.execute(select(tables.outbox.c.type, tables.outbox.c.id)
                                    .where(tables.outbox.c.key == str(case_id)))).all())
    assert ids[second.type] > ids.get(first.type, 0) or first.type not in ids

    # While the lower id may still commit, publishing the higher one would break the order of the key.
    assert await harness.relay.publish_pending() == 0
    await late.__aexit__(None, None, None)
    published = 0
    while n := await harness.relay.publish_pending():
        published += n
    assert published == 2

    records = [r for topic in (CaseReported.topic.name, CaseDispatched.topic.name)
               for r in await read_topic(infrastructure.bootstrap_servers, topic) if r.key == str(case_id).encode()]
    assert len(records) == 2
    async with harness.uow.sessionmaker() as s:
        order = list(await s.scalars(select(tables.outbox.c.type).where(tables.outbox.c.key == str(case_id))
                                     .order_by(tables.outbox.c.published_at, tables.outbox.c.id)))
    assert order == [first.type, second.type]
    assert min(r.timestamp for r in records if dict(r.headers)["ce_type"] == first.type.encode()) <= \
        min(r.timestamp for r in records if dict(r.headers)["ce_type"] == second.type.encode())


async def test_events_of_one_case_arrive_in_the_order_they_were_recorded(harness, infrastructure):
    case_id = uuid4()
    events = [case_reported(case_id, description=f"第{i}次") for i in range(20)]
    for event in events:
        await harness.publish(event)
    records = [r for r in await read_topic(infrastructure.bootstrap_servers, CaseReported.topic.name)
               if r.key == str(case_id).encode()]
    assert len({r.partition for r in records}) == 1  # one key, one partition
    received = [Envelope.from_record(key=r.key, value=r.value, headers=r.headers).data["description"]
                for r in sorted(records, key=lambda r: r.offset)]
    assert received == [f"第{i}次" for i in range(20)]


async def test_a_redelivered_event_has_exactly_one_effect(harness):
    case_id = uuid4()
    handler = counting_handler({case_id})
    await harness.publish(case_reported(case_id))
    async with harness.consuming({CaseReported: handler}, group=f"g-{uuid4().hex}"):
        await eventually(lambda: harness.effects_for(case_id))
    # The relay crashed after sending and before marking the row: the same event goes out again.
    async with harness.uow() as uow:
        await uow.session.execute(update(tables.outbox).where(tables.outbox.c.key == str(case_id))
                                  .values(published_at=None))
    await harness.relay.drain()
    # And the consumer lost its offsets: a new group reads everything from the start, both copies included.
    async with harness.consuming({CaseReported: handler}, group=f"g-{uuid4().hex}") as (consumer, _):
        async with harness.uow.sessionmaker() as s:
            event_id = await s.scalar(select(tables.outbox.c.event_id).where(tables.outbox.c.key == str(case_id)))

        async def seen_twice() -> bool:
            # Both copies have been consumed once the consumer's position is past the second one.
            return consumer.processed >= 2 and await consumer.lag() == 0

        await eventually(seen_twice)
    assert await harness.effects_for(case_id) == 1
    async with harness.uow.sessionmaker() as s:
        inbox = await s.scalar(select(func.count()).select_from(tables.inbox).where(tables.inbox.c.event_id == event_id))
    assert inbox == 1


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the loop catches it."""


async def test_a_crash_just_before_the_database_commit_redelivers_and_applies_once(harness):
    case_id = uuid4()
    group = f"g-{uuid4().hex}"
    crashed = []

    async def dies_before_commit(event, uow) -> None:
        if event.case_id != case_id:
            return
        await uow.session.execute(insert(effects).values(case_id=event.case_id, event_id=uow.causation_id))
        if not crashed:
            crashed.append(True)
            raise Crash()

    await harness.publish(case_reported(case_id))
    async with harness.consuming({CaseReported: dies_before_commit}, group=group) as (_, task):
        await eventually(lambda: asyncio.sleep(0, task.done()))
        assert isinstance(task.exception(), Crash)
    assert await harness.effects_for(case_id) == 0  # the transaction died with the process
    async with harness.consuming({CaseReported: dies_before_commit}, group=group):
        await eventually(lambda: harness.effects_for(case_id))
    assert await harness.effects_for(case_id) == 1


async def test_a_crash_just_after_the_database_commit_redelivers_and_applies_once(harness, monkeypatch):
    case_id = uuid4()
    group = f"g-{uuid4().hex}"
    await harness.publish(case_reported(case_id))

    original_commit = EventConsumer._commit

    async def dies_before_offset_commit(self, tp, offset):
        if await harness.effects_for(case_id):
            raise Crash()
        await original_commit(self, tp, offset)

    monkeypatch.setattr(EventConsumer, "_commit", dies_before_offset_commit)
    async with harness.consuming({CaseReported: counting_handler({case_id})}, group=group) as (_, task):
        await eventually(lambda: asyncio.sleep(0, task.done()))
        assert isinstance(task.exception(), Crash)
    assert await harness.effects_for(case_id) == 1  # committed, but the offset was not
    monkeypatch.setattr(EventConsumer, "_commit", original_commit)

    async with harness.consuming({CaseReported: counting_handler({case_id})}, group=group) as (consumer, _):
        async def caught_up() -> bool:
            return consumer.processed >= 1 and await consumer.lag() == 0

        await eventually(caught_up)
    assert await harness.effects_for(case_id) == 1


async def test_poison_records_go_to_the_dead_letter_topic_and_the_consumer_carries_on(harness, infrastructure):
    topic = CaseReported.topic.name
    good, failing, after = uuid4(), uuid4(), uuid4()
    marker = uuid4().hex
    valid = Envelope.wrap(case_reported(good), source="/test")
    broken_schema = Envelope.wrap(case_reported(uuid4()), source="/test")
    poison = [
        (b"no-headers", b"{}", []),
        (b"bad-json", b"{not json", valid.headers()),
        (b"bad-schema", b'{"case_id": "not-a-uuid"}', broken_schema.headers()),
    ]
    for key, value, headers in poison:
        await harness.producer.send_and_wait(topic, value=value, key=key + marker.encode(), headers=headers)
    calls: list = []

    async def always_fails_for_one_case(event, uow) -> None:
        if event.case_id == failing:
            calls.append(1)
            raise ValueError("this handler cannot apply the event")
        await counting_handler({good, after})(event, uow)

    await harness.publish(case_reported(failing), case_reported(good), case_reported(after))
    async with harness.consuming({CaseReported: always_fails_for_one_case}, group=f"g-{uuid4().hex}",
                                 max_attempts=3) as (consumer, _):
        # Records sit on several partitions: wait until all are through, however they interleave.
        async def all_through() -> bool:
            dead = await read_topic(infrastructure.bootstrap_servers, f"{topic}.dlt")
            ours = [r for r in dead if r.key and (marker.encode() in r.key or r.key == str(failing).encode())]
            return (await harness.effects_for(after) == 1 and await harness.effects_for(good) == 1
                    and len(ours) >= 4)

        await eventually(all_through, timeout=30)
    # Retried in place 3 times, then dead-lettered; a batch it shared with others may have tried it once before.
    assert len(calls) in (3, 4)

    dead = await read_topic(infrastructure.bootstrap_servers, f"{topic}.dlt")
    ours = {r.key: dict(r.headers) for r in dead if r.key and (marker.encode() in r.key or r.key == str(failing).encode())}
    reasons = {key.replace(marker.encode(), b""): h["dlt_reason"] for key, h in ours.items()}
    assert reasons == {b"no-headers": b"undecodable", b"bad-json": b"undecodable", b"bad-schema": b"schema_violation",
                       str(failing).encode(): b"kept_failing"}
    for headers in ours.values():
        assert headers["dlt_original_topic"] == topic.encode()
        assert int(headers["dlt_original_partition"]) >= 0 and int(headers["dlt_original_offset"]) >= 0
        assert headers["dlt_error"]
    assert ours[str(failing).encode()]["dlt_attempts"] == b"3"
    assert b"ValueError" in ours[str(failing).encode()]["dlt_error"]


async def test_a_permanent_failure_is_dead_lettered_without_retries(harness, infrastructure):
    case_id = uuid4()
    calls: list = []

    async def rejects(event, uow) -> None:
        if event.case_id == case_id:
            calls.append(1)
            raise PermanentFailure("the case is not known here")

    await harness.publish(case_reported(case_id))
    async with harness.consuming({CaseReported: rejects}, group=f"g-{uuid4().hex}") as (consumer, _):
        async def rejected() -> bool:
            return bool(calls) and await consumer.lag() == 0

        await eventually(rejected)
    dead = [r for r in await read_topic(infrastructure.bootstrap_servers, f"{CaseReported.topic.name}.dlt")
            if r.key == str(case_id).encode()]
    # Not retried in place (attempts 1); a batch it shared with others may have tried it once before.
    assert len(calls) in (1, 2) and len(dead) == 1
    assert dict(dead[0].headers)["dlt_reason"] == b"rejected" and dict(dead[0].headers)["dlt_attempts"] == b"1"


async def test_a_transient_error_is_retried_in_place_and_applied_once(harness, infrastructure):
    case_id = uuid4()
    attempts: list = []

    async def flaky(event, uow) -> None:
        if event.case_id != case_id:
            return
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionResetError("the database connection dropped")
        await uow.session.execute(insert(effects).values(case_id=event.case_id, event_id=uow.causation_id))

    await harness.publish(case_reported(case_id))
    async with harness.consuming({CaseReported: flaky}, group=f"g-{uuid4().hex}", max_attempts=2):
        await eventually(lambda: harness.effects_for(case_id))
    # Infrastructure errors do not spend the record's attempts: 3 tries although max_attempts is 2.
    assert len(attempts) == 3 and await harness.effects_for(case_id) == 1
    dead = [r for r in await read_topic(infrastructure.bootstrap_servers, f"{CaseReported.topic.name}.dlt")
            if r.key == str(case_id).encode()]
    assert dead == []


async def test_events_of_types_the_service_does_not_handle_are_skipped(harness):
    reported, dispatched = uuid4(), uuid4()
    await harness.publish(case_dispatched(dispatched), case_reported(reported))
    async with harness.consuming({CaseReported: counting_handler({reported, dispatched})}, group=f"g-{uuid4().hex}"):
        await eventually(lambda: harness.effects_for(reported))
    assert await harness.effects_for(dispatched) == 0


async def test_a_failed_dead_letter_write_reads_the_record_again_and_loses_nothing(harness, infrastructure,
                                                                                    monkeypatch):
    from aiokafka.errors import KafkaConnectionError

    topic = CaseReported.topic.name
    case_id = uuid4()
    key = str(case_id).encode()  # one key, one partition: the poison record and the good one after it
    await harness.producer.send_and_wait(topic, value=b"{broken", key=key, headers=[])
    await harness.publish(case_reported(case_id))
    original = harness.producer.send_and_wait
    failures: list = []

    async def broker_away_once(topic_name, **kwargs):
        if topic_name.endswith(".dlt") and kwargs.get("key") == key and not failures:
            failures.append(1)
            raise KafkaConnectionError("the broker went away")
        return await original(topic_name, **kwargs)

    monkeypatch.setattr(harness.producer, "send_and_wait", broker_away_once)
    async with harness.consuming({CaseReported: counting_handler({case_id})}, group=f"g-{uuid4().hex}"):
        await eventually(lambda: harness.effects_for(case_id))
    assert failures == [1] and await harness.effects_for(case_id) == 1
    dead = [r for r in await read_topic(infrastructure.bootstrap_servers, f"{topic}.dlt") if r.key == key]
    assert len(dead) == 1 and dict(dead[0].headers)["dlt_reason"] == b"undecodable"


async def test_two_relays_on_one_database_publish_each_row_once(harness, infrastructure):
    case_ids = [uuid4() for _ in range(30)]
    async with harness.uow() as uow:
        for case_id in case_ids:
            uow.record(case_reported(case_id))
    other = OutboxRelay(harness.uow.sessionmaker, tables, harness.producer, batch_size=7)
    mine = OutboxRelay(harness.uow.sessionmaker, tables, harness.producer, batch_size=7)

    async def drain(relay):
        total = 0
        for _ in range(50):
            total += await relay.publish_pending()
            await asyncio.sleep(0)
        return total

    published = await asyncio.gather(drain(mine), drain(other))
    assert sum(published) == 30
    keys = [r.key for r in await read_topic(infrastructure.bootstrap_servers, CaseReported.topic.name)
            if r.key in {str(c).encode() for c in case_ids}]
    assert sorted(keys) == sorted(str(c).encode() for c in case_ids)  # each exactly once


async def test_two_instances_in_one_group_share_the_partitions_and_apply_each_event_once(harness):
    case_ids = {uuid4() for _ in range(40)}
    handler = counting_handler(case_ids)
    group = f"g-{uuid4().hex}"
    async with harness.consuming({CaseReported: handler}, group=group) as (first, _):
        async with harness.consuming({CaseReported: handler}, group=group) as (second, _):
            await eventually(lambda: asyncio.sleep(0, first._consumer.assignment() and second._consumer.assignment()),
                             timeout=30)
            await harness.publish(*[case_reported(c) for c in case_ids])

            async def all_applied() -> bool:
                counts = [await harness.effects_for(c) for c in case_ids]
                return all(n == 1 for n in counts)

            await eventually(all_applied, timeout=30)
            assert first._consumer.assignment().isdisjoint(second._consumer.assignment())
    assert [await harness.effects_for(c) for c in case_ids] == [1] * len(case_ids)


async def test_after_a_broker_lost_its_topics_a_replay_delivers_what_never_arrived_and_nothing_twice(harness):
    applied, lost = uuid4(), uuid4()
    handler = counting_handler({applied, lost})
    await harness.publish(case_reported(applied))
    async with harness.consuming({CaseReported: handler}, group=f"g-{uuid4().hex}"):
        await eventually(lambda: harness.effects_for(applied))
    # `lost` was published to a broker that then died: the outbox says published, no consumer ever saw it.
    async with harness.uow() as uow:
        uow.record(case_reported(lost))
    async with harness.uow() as uow:
        await uow.session.execute(update(tables.outbox).where(tables.outbox.c.key == str(lost))
                                  .values(published_at=func.now()))
    assert await harness.relay.replay(hours=1) >= 2
    await harness.relay.drain()
    async with harness.consuming({CaseReported: handler}, group=f"g-{uuid4().hex}"):
        await eventually(lambda: harness.effects_for(lost))
    assert await harness.effects_for(applied) == 1 and await harness.effects_for(lost) == 1


async def test_a_backlog_is_applied_in_few_transactions_each_event_once(harness):
    case_ids = [uuid4() for _ in range(120)]
    transactions: set[int] = set()

    async def note_transaction(event, uow) -> None:
        if event.case_id in case_ids:
            transactions.add(await uow.session.scalar(text("SELECT pg_current_xact_id()::text::bigint")))
            await uow.session.execute(insert(effects).values(case_id=event.case_id, event_id=uow.causation_id))

    await harness.publish(*[case_reported(c) for c in case_ids])
    async with harness.consuming({CaseReported: note_transaction}, group=f"g-{uuid4().hex}"):
        async def all_applied() -> bool:
            return all([await harness.effects_for(c) == 1 for c in case_ids])

        await eventually(all_applied)
    # The backlog arrives in fetches of many records per partition: one transaction each, not one per event.
    assert len(transactions) < len(case_ids) / 4


async def test_one_bad_record_in_a_batch_does_not_hold_back_or_duplicate_the_others(harness, infrastructure):
    case_ids = [uuid4() for _ in range(30)]
    bad = case_ids[17]

    async def fails_for_one(event, uow) -> None:
        if event.case_id == bad:
            raise ValueError("this one cannot be applied")
        await counting_handler(set(case_ids))(event, uow)

    await harness.publish(*[case_reported(c) for c in case_ids])
    async with harness.consuming({CaseReported: fails_for_one}, group=f"g-{uuid4().hex}", max_attempts=2):
        async def others_applied() -> bool:
            return all([await harness.effects_for(c) == 1 for c in case_ids if c != bad])

        await eventually(others_applied)
    assert await harness.effects_for(bad) == 0
    dead = [r for r in await read_topic(infrastructure.bootstrap_servers, f"{CaseReported.topic.name}.dlt")
            if r.key == str(bad).encode()]
    assert len(dead) == 1 and dict(dead[0].headers)["dlt_attempts"] == b"2"


async def test_two_copies_of_one_event_side_by_side_are_applied_once(harness):
    case_id = uuid4()
    calls: list = []
    await harness.publish(case_reported(case_id))
    # The relay sends the same row again at once (it crashed before marking it): the copies sit side by side on the
    # partition and a new group usually fetches them together, so the batch's single inbox claim sees both.
    async with harness.uow() as uow:
        await uow.session.execute(update(tables.outbox).where(tables.outbox.c.key == str(case_id))
                                  .values(published_at=None))
    await harness.relay.drain()
    async with harness.consuming({CaseReported: counting_handler({case_id}, calls)},
                                 group=f"g-{uuid4().hex}") as (consumer, _):
        async def both_read() -> bool:
            return consumer.processed >= 2 and await consumer.lag() == 0

        await eventually(both_read)
    assert calls == [case_id] and await harness.effects_for(case_id) == 1
