"""The dead-letter topics read back: every record a consumer could not apply, with why, and the way to send one back
to its topic once the cause is fixed (every consumer sees it again; those whose inbox has it skip it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.events.contract import TOPICS


@dataclass(frozen=True)
class DeadLetter:
    topic: str  # the dead-letter topic
    partition: int
    offset: int
    original_topic: str
    reason: str
    error: str
    consumer: str
    event_type: str
    timestamp_ms: int

    @property
    def ref(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


def _dead_letter(record) -> DeadLetter:
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    return DeadLetter(record.topic, record.partition, record.offset, headers.get("dlt_original_topic", ""),
                      headers.get("dlt_reason", ""), headers.get("dlt_error", ""), headers.get("dlt_consumer", ""),
                      headers.get("ce_type", ""), record.timestamp)


async def read_dead_letters(bootstrap_servers: str, *, limit: int = 200, quiet_seconds: float = 1.0
                            ) -> list[DeadLetter]:
    """Every dead-lettered record (up to ``limit``, newest last), read from the start of each dead-letter topic by a
    reader of no group (nothing is committed, no one's offsets move)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", client_id="gridlink-dead-letter-reader")
    await consumer.start()
    found: list[DeadLetter] = []
    try:
        partitions = [TopicPartition(t.dead_letter, p) for t in TOPICS
                      for p in (consumer.partitions_for_topic(t.dead_letter) or ())]
        if not partitions:
            await consumer.topics()
            partitions = [TopicPartition(t.dead_letter, p) for t in TOPICS
                          for p in (consumer.partitions_for_topic(t.dead_letter) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        while len(found) < limit:
            batch = await consumer.getmany(timeout_ms=int(quiet_seconds * 1000), max_records=500)
            if not batch:
                break
            found += [_dead_letter(r) for records in batch.values() for r in records]
    finally:
        await consumer.stop()
    return sorted(found, key=lambda d: d.timestamp_ms)[-limit:]


async def redrive(bootstrap_servers: str, producer: AIOKafkaProducer, topic: str, partition: int,
                  offset: int) -> DeadLetter | None:
    """Send one dead-lettered record back to the topic it came from, as it was (its CloudEvents headers, its key),
    marked with where it was; None if there is no such record."""
    if not topic.endswith(".dlt") or topic[: -len(".dlt")] not in {t.name for t in TOPICS}:
        return None
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                                client_id="gridlink-dead-letter-redrive")
    await consumer.start()
    try:
        place = TopicPartition(topic, partition)
        consumer.assign([place])
        consumer.seek(place, offset)
        try:
            record = await asyncio.wait_for(consumer.getone(place), 5)
        except TimeoutError:
            return None
    finally:
        await consumer.stop()
    if record.offset != offset:
        return None
    letter = _dead_letter(record)
    headers = [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlt_")]
    headers.append(("redriven_from", letter.ref.encode()))
    await producer.send_and_wait(letter.original_topic or topic[: -len(".dlt")], value=record.value, key=record.key,
                                 headers=headers)
    return letter
