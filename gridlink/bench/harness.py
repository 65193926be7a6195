"""What every benchmark shares: percentiles, the figures saved with the machine they were measured on, scratch servers
(embedded PostgreSQL and Tansu in a temporary directory), publishing events, waiting until a platform has drained."""

from __future__ import annotations

import asyncio
import json
import os
import platform as host
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50_ms": round(pick(0.50) * 1000, 1), "p95_ms": round(pick(0.95) * 1000, 1),
            "p99_ms": round(pick(0.99) * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1)}


async def until_drained(service_urls: list[str], *, timeout: float, interval: float = 0.5) -> float | None:
    """Seconds until every outbox is published and every consumer caught up (twice in a row), or None. Polling four
    small endpoints keeps the client from being the load it measures."""
    begun = time.perf_counter()
    async with httpx.AsyncClient(timeout=10) as client:
        quiet = 0
        while time.perf_counter() - begun < timeout:
            readiness = [(await client.get(f"{url}/readyz")).json() for url in service_urls]
            quiet = quiet + 1 if all(r.get("outbox_backlog") == 0 and r.get("consumer_lag") == 0
                                     for r in readiness) else 0
            if quiet >= 2:
                return round(time.perf_counter() - begun, 1)
            await asyncio.sleep(interval)
    return None


def saved(benchmark: str, figures: dict, out: Path, note: str) -> dict:
    """A benchmark's figures with when, on what machine and how they were taken, written to ``out``."""
    result = {"benchmark": benchmark, "at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "note": note, "figures": figures}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result


def machine() -> dict:
    cpu = host.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": host.python_version(), "system": host.platform()}


@contextmanager
def scratch_servers(*, broker: bool = True) -> Iterator[tuple[Path, object, object | None]]:
    """A fresh embedded PostgreSQL (and Tansu) in a temporary directory, stopped and removed afterwards:
    (directory, postgres, broker or None)."""
    import tempfile

    from gridlink.embedded import EmbeddedBroker, EmbeddedPostgres, free_port

    with tempfile.TemporaryDirectory(prefix="gridlink-bench-") as scratch:
        directory = Path(scratch)
        postgres = EmbeddedPostgres(directory / "postgres", port=free_port())
        tansu = EmbeddedBroker(port=free_port()) if broker else None
        postgres.start(log=directory / "postgres.log")
        try:
            if tansu is not None:
                tansu.start(log=directory / "broker.log")
            yield directory, postgres, tansu
        finally:
            if tansu is not None:
                tansu.stop()
            postgres.stop()


async def publish(bootstrap_servers: str, events, *, client_id: str) -> None:
    """Put events straight on the broker, as their producing service would publish them."""
    from shared.messaging.envelope import Envelope
    from shared.messaging.kafka import make_producer

    producer = make_producer(bootstrap_servers, idempotence=False, client_id=client_id)
    await producer.start()
    try:
        pending = []
        for event in events:
            envelope = Envelope.wrap(event, source="/gridlink/bench")
            pending.append(await producer.send(event.topic.name, value=envelope.value(), key=envelope.key.encode(),
                                               headers=envelope.headers()))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
