"""``gridlink bench-messaging``: the messaging path alone (outbox, relay, consumer) in one process on scratch servers."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from gridlink.bench.harness import saved, scratch_servers


async def run_messaging(*, database_url: str, bootstrap_servers: str, events: int) -> dict:
    """The messaging path alone: units of work into the outbox, the relay to the broker, the consumer with inbox."""
    from sqlalchemy import MetaData

    from shared.events import AreaPath, CaseReported, Channel, ReportedLocation, Reporter
    from shared.messaging.consumer import EventConsumer
    from shared.messaging.kafka import ensure_topics, make_consumer, make_producer
    from shared.messaging.relay import OutboxRelay
    from shared.messaging.tables import messaging_tables
    from shared.messaging.unit_of_work import UnitOfWorkFactory
    from shared.persistence.database import create_engine, create_sessionmaker

    area = AreaPath(district_id="cn-changning", street_id="st-huayang", community_id="cm-xiushui",
                    grid_id="cm-xiushui-g1")

    def reported(i: int) -> CaseReported:
        from uuid import uuid4

        return CaseReported(
            case_id=uuid4(), tracking_code="BENCH000", category_code="drainage", category_class="livelihood",
            category_version=1, time_limit_class="help", description=f"基准 {i}", channel=Channel.SELF_SERVICE,
            location=ReportedLocation(lat=31.22, lon=121.43, area=area), reporter=Reporter(ref=f"bench-{i}"),
            reported_at=datetime.now(UTC))

    await ensure_topics(bootstrap_servers)
    tables = messaging_tables(MetaData())
    engine = create_engine(database_url)
    uow = UnitOfWorkFactory(create_sessionmaker(engine), tables, source="/gridlink/bench")
    producer = make_producer(bootstrap_servers, idempotence=False, client_id="bench")
    await producer.start()
    try:
        started = time.perf_counter()
        for i in range(events):
            async with uow() as work:
                work.record(reported(i))
        commit_rate = events / (time.perf_counter() - started)
        relay = OutboxRelay(uow.sessionmaker, tables, producer)
        started = time.perf_counter()
        while await relay.publish_pending():
            pass
        relay_rate = events / (time.perf_counter() - started)

        async def nothing(event, work) -> None:
            return None

        kafka = make_consumer(bootstrap_servers, group_id=f"bench-{time.time_ns()}", client_id="bench",
                              topics=[CaseReported.topic.name])
        await kafka.start()
        consumer = EventConsumer(consumer=kafka, dead_letters=producer, uow=uow, handlers={CaseReported: nothing},
                                 name=f"bench-{time.time_ns()}")
        task = asyncio.create_task(consumer.run())
        started = time.perf_counter()
        while consumer.processed < events:
            await asyncio.sleep(0.01)
        consume_rate = events / (time.perf_counter() - started)
        consumer.stop()
        await task
        await kafka.stop()
    finally:
        await producer.stop()
        await engine.dispose()
    return {"events": events, "unit_of_work_commits_per_second": round(commit_rate),
            "relay_events_per_second": round(relay_rate), "consumer_events_per_second": round(consume_rate)}


def bench_messaging(*, events: int, out: Path) -> dict:
    """On a fresh embedded PostgreSQL and Tansu in a temporary directory."""
    import logging

    import asyncpg

    from shared.messaging.tables import MESSAGING_DDL_V1

    logging.getLogger().setLevel(logging.WARNING)
    with scratch_servers() as (_, postgres, broker):

        async def prepare() -> None:
            connection = await asyncpg.connect(host="127.0.0.1", port=postgres.port, user="postgres")
            try:
                for statement in MESSAGING_DDL_V1:
                    await connection.execute(statement)
            finally:
                await connection.close()

        asyncio.run(prepare())
        figures = asyncio.run(run_messaging(database_url=postgres.url(), bootstrap_servers=broker.bootstrap_servers,
                                            events=events))
    return saved("messaging", figures, out,
                 "one process; the consumer's handler does nothing, so this is the cost of the loop itself")
