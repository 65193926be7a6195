"""Sample events and Kafka helpers the tests share."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from uuid import UUID, uuid4

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.events import AreaPath, CaseDispatched, CaseReported, Channel, ReportedLocation, Reporter

HUAYANG_AREA = AreaPath(district_id="cn-changning", street_id="st-huayang", community_id="cm-xiushui",
                        grid_id="cm-xiushui-g1")


def case_reported(case_id: UUID | None = None, **changes) -> CaseReported:
    case_id = case_id or uuid4()
    values = dict(
        case_id=case_id, tracking_code="NTA9S5BK", category_code="drainage", category_class="livelihood",
        category_version=1, time_limit_class="help", description="下水道堵塞", channel=Channel.SELF_SERVICE,
        location=ReportedLocation(lat=31.22, lon=121.43, area=HUAYANG_AREA),
        reporter=Reporter(ref=f"rp-{uuid4()}", phone_masked="138****1234"), reported_at=datetime.now(UTC))
    values.update(changes)
    return CaseReported(**values)


def case_dispatched(case_id: UUID, **changes) -> CaseDispatched:
    values = dict(case_id=case_id, unit_id="cn-construction", unit_name="区建设和管理委员会", category_code="drainage",
                  time_limit_class="help", area=HUAYANG_AREA, dispatched_at=datetime.now(UTC))
    values.update(changes)
    return CaseDispatched(**values)


async def read_topic(bootstrap_servers: str, topic: str, *, timeout: float = 10.0):
    """Every record on a topic, from the beginning to the current end, without a consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - fresh topics
            partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            return []  # the topic does not exist (yet)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records = []
        deadline = time.monotonic() + timeout
        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end")
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def eventually(predicate, *, timeout: float = 20.0, interval: float = 0.1):
    """Wait until an async predicate holds; fail with what it last returned."""
    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)
