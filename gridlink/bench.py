"""``gridlink bench-flow``: drives the thin flow against a running platform and measures it."""

from __future__ import annotations

import asyncio
import json
import os
import platform as host
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

PHONE = "13900001234"


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50_ms": round(pick(0.50) * 1000, 1), "p95_ms": round(pick(0.95) * 1000, 1),
            "p99_ms": round(pick(0.99) * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1)}


async def run_flow(intake_url: str, service_urls: list[str], *, reports: int, concurrency: int,
                   timeout: float = 300.0) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=intake_url, limits=limits, timeout=30) as client:
        gate = asyncio.Semaphore(concurrency)
        accepted: list[str] = []
        accept_latency: list[float] = []

        async def submit(i: int) -> None:
            body = {"category": "drainage", "description": f"基准测试 {i}：下水道堵塞",
                    "location": {"lat": 31.2200, "lon": 121.4300}, "contact": {"name": "测试", "phone": PHONE}}
            async with gate:
                started = time.perf_counter()
                response = await client.post("/v1/reports", json=body)
                response.raise_for_status()
                accept_latency.append(time.perf_counter() - started)
                accepted.append(response.json()["tracking_code"])

        begun = time.perf_counter()
        await asyncio.gather(*(submit(i) for i in range(reports)))
        accept_seconds = time.perf_counter() - begun

        # Through: every outbox published and every consumer caught up, as each service's /readyz says. Polling four
        # small endpoints keeps the client from being the load it measures.
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            readiness = [(await client.get(f"{url}/readyz")).json() for url in service_urls]
            idle = all(r.get("outbox_backlog") == 0 and r.get("consumer_lag") == 0 for r in readiness)
            quiet = quiet + 1 if idle else 0
        flow_seconds = time.perf_counter() - begun

        # Then each case once: latencies come from the platform's own timestamps ("received" stamped by intake,
        # "dispatched" by dispatch after the event crossed the broker).
        timelines: dict[str, dict[str, datetime]] = {}

        async def read(code: str) -> None:
            async with gate:
                response = await client.get(f"/v1/track/{code}", params={"phone_last4": PHONE[-4:]})
            body = response.json()
            kinds = {e["kind"]: datetime.fromisoformat(e["at"]) for e in body.get("timeline", ())}
            if response.status_code == 200 and body["expected_completion_at"] and "dispatched" in kinds:
                timelines[code] = kinds

        await asyncio.gather(*(read(code) for code in accepted))
    to_dispatch = [(t["dispatched"] - t["received"]).total_seconds() for t in timelines.values()]
    return {
        "reports": reports, "concurrency": concurrency, "accepted": len(accepted),
        "accept_per_second": round(len(accepted) / accept_seconds, 1),
        "accept_latency": _percentiles(accept_latency),
        "completed_flows": len(timelines),
        "seconds_until_all_drained": round(flow_seconds, 1),
        "flows_per_second": round(len(timelines) / flow_seconds, 1),
        "latency_received_to_dispatched": _percentiles(to_dispatch),
    }


def machine() -> dict:
    cpu = host.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": host.python_version(), "system": host.platform()}


def bench_flow(intake_url: str, service_urls: list[str], *, reports: int, concurrency: int, out: Path) -> dict:
    figures = asyncio.run(run_flow(intake_url, service_urls, reports=reports, concurrency=concurrency))
    result = {"benchmark": "thin-flow", "at": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": machine(), "note": "the client, the four services, PostgreSQL and the broker share the "
                                            "machine's cores", "figures": figures}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result


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
    import tempfile

    import asyncpg

    from gridlink.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
    from shared.messaging.tables import MESSAGING_DDL_V1

    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="gridlink-bench-") as scratch:
        postgres = EmbeddedPostgres(Path(scratch) / "postgres", port=free_port())
        broker = EmbeddedBroker(port=free_port())
        postgres.start(log=Path(scratch) / "postgres.log")
        try:
            broker.start(log=Path(scratch) / "broker.log")

            async def prepare() -> None:
                connection = await asyncpg.connect(host="127.0.0.1", port=postgres.port, user="postgres")
                try:
                    for statement in MESSAGING_DDL_V1:
                        await connection.execute(statement)
                finally:
                    await connection.close()

            asyncio.run(prepare())
            figures = asyncio.run(run_messaging(database_url=postgres.url(),
                                                bootstrap_servers=broker.bootstrap_servers, events=events))
        finally:
            broker.stop()
            postgres.stop()
    result = {"benchmark": "messaging", "at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "note": "one process; the consumer's handler does nothing, so this is the cost of the loop itself",
              "figures": figures}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result
