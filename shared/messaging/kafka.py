"""Every Kafka client setting, explicit: aiokafka's defaults (acks=1, auto-commit, latest) are unsafe for this job."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.events import TOPICS


def producer_settings(bootstrap_servers: str, *, idempotence: bool, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": bootstrap_servers,
        "client_id": client_id,
        "acks": "all",
        # On for Apache Kafka; the embedded broker (Tansu) refuses InitProducerId, so it is a setting.
        "enable_idempotence": idempotence,
        "linger_ms": 5,
        "request_timeout_ms": 30_000,
        "retry_backoff_ms": 100,
        "max_batch_size": 64 * 1024,
    }


def consumer_settings(bootstrap_servers: str, *, group_id: str, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": bootstrap_servers,
        "group_id": group_id,
        "client_id": client_id,
        # Offsets are committed by the consumer loop, only after the database transaction commits.
        "enable_auto_commit": False,
        # A new group reads a topic from its beginning, so nothing published before it existed is missed.
        "auto_offset_reset": "earliest",
        # No transactional producers are used; stated so that a change there is a conscious one.
        "isolation_level": "read_uncommitted",
        "max_poll_records": 500,
        # Tansu holds a join for half the session timeout, so this sets start-up time; 6 s is also Kafka's
        # smallest allowed session (group.min.session.timeout.ms) and detects a dead member quickly.
        "session_timeout_ms": 6_000,
        "heartbeat_interval_ms": 2_000,
        "max_poll_interval_ms": 300_000,
        "retry_backoff_ms": 100,
    }


def make_producer(bootstrap_servers: str, *, idempotence: bool, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(**producer_settings(bootstrap_servers, idempotence=idempotence, client_id=client_id))


def make_consumer(bootstrap_servers: str, *, group_id: str, client_id: str, topics: list[str]) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **consumer_settings(bootstrap_servers, group_id=group_id, client_id=client_id))


async def ensure_topics(bootstrap_servers: str, *, replication_factor: int = 1) -> list[str]:
    """Create the registry's topics and their dead-letter topics if missing; returns those it created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="gridlink-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name=name, num_partitions=topic.partitions, replication_factor=replication_factor)
            for topic in TOPICS for name in (topic.name, topic.dead_letter) if name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass  # another instance created them between our listing and our request
        return [t.name for t in wanted]
    finally:
        await admin.close()
