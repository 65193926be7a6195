"""Ctrl-C stops the platform in order, leaving no process behind, and the data survives a restart: the database's,
and the broker's (topics, records and committed offsets, kept in the embedded object store as `gridlink up` does by
default)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.events import TOPICS
from tests.e2e.client import PHONE, report, wait_for

pytestmark = pytest.mark.e2e
PLATFORM_ENV = {"GRIDLINK_BROKER_STORAGE": "object-store"}


def _broker_state(bootstrap: str) -> dict:
    """What the broker holds: each topic's partition count, how many records the intake topic gives from the start,
    and the offsets dispatch's consumer group committed (read without joining the group)."""
    async def read() -> dict:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id="gridlink-dispatch",
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()
            partitions = {t.name: len(consumer.partitions_for_topic(t.name) or ()) for t in TOPICS}
            intake = [TopicPartition("gridlink.intake.cases", p) for p in range(3)]
            committed = {tp.partition: await consumer.committed(tp) or 0 for tp in intake}
            consumer.assign(intake)
            for tp in intake:  # from offset 0 itself: the embedded broker's answer to "earliest" is not to be trusted
                consumer.seek(tp, 0)
            records, quiet = 0, 0
            while quiet < 3:
                batch = await consumer.getmany(timeout_ms=500)
                got = sum(len(v) for v in batch.values())
                records, quiet = records + got, 0 if got else quiet + 1
        finally:
            await consumer.stop()
        return {"partitions": partitions, "records": records, "committed": committed}

    return asyncio.run(read())


# It stops the platform and starts it again: a module of its own, with its own platform.
def test_ctrl_c_stops_everything_in_order_and_the_data_survives_a_restart(platform):
    code = report(platform).json()["tracking_code"]
    track = lambda: httpx.get(f"{platform.url('intake')}/v1/track/{code}?phone_last4={PHONE[-4:]}")  # noqa: E731
    wait_for(lambda: track().json(), lambda s: s["status"] == "dispatched")
    bootstrap = f"127.0.0.1:{platform.env['GRIDLINK_BROKER_PORT']}"
    before = _broker_state(bootstrap)
    assert before["records"] >= 1 and sum(before["committed"].values()) >= 1, before
    children = platform.descendants()
    assert len(children) >= 8  # PostgreSQL, the object store, the broker, four services and the console
    assert platform.interrupt() == 0
    time.sleep(0.5)
    assert [p.pid for p in children if p.is_running() and p.status() != "zombie"] == []
    log = platform.log_tail(20)
    order = [line for line in log.splitlines() if "stopping" in line]
    assert order == ["gridlink: stopping intake", "gridlink: stopping dispatch", "gridlink: stopping supervision",
                     "gridlink: stopping notification", "gridlink: stopping console", "gridlink: stopping the broker",
                     "gridlink: stopping the object store", "gridlink: stopping PostgreSQL"]
    assert "drained" in log

    platform.start()
    status = track()
    assert status.status_code == 200 and status.json()["status"] == "dispatched"
    after = _broker_state(bootstrap)
    assert after["partitions"] == before["partitions"] == {t.name: t.partitions for t in TOPICS}
    assert after["records"] >= before["records"], (before, after)  # nothing the broker held was lost
    assert all(after["committed"].get(p, -1) >= offset for p, offset in before["committed"].items()), (before, after)
    assert "topics: present" in platform.log_tail(200)
