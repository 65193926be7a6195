"""``gridlink bench-flow``: drives the thin flow against a running platform and measures it."""

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


async def _drained(service_urls: list[str], *, timeout: float, interval: float = 0.5) -> float | None:
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

        # Through: every outbox published and every consumer caught up, as each service's /readyz says.
        await _drained(service_urls, timeout=timeout, interval=0.2)
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


def bench_flow(intake_url: str, service_urls: list[str], *, reports: int, concurrency: int, out: Path) -> dict:
    figures = asyncio.run(run_flow(intake_url, service_urls, reports=reports, concurrency=concurrency))
    return saved("thin-flow", figures, out,
                 "the client, the four services, PostgreSQL and the broker share the machine's cores")


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


# Where reports come from, and what residents add after saying what is wrong.
PLACES = ("华阳花园", "飞乐新村", "秀水小区", "定西公寓", "华山公寓", "江苏新村", "岐山村", "愚园公寓", "华阳路", "江苏路")
TAILS = ("", "已经好几天了。", "希望尽快处理。", "老人孩子经过很危险。", "之前反映过一次。", "麻烦派人来看看。",
         "晚上尤其严重。", "邻居们都很有意见。", "It has been like this for a week.")


def report_bodies(seed: int | None = None):
    """A maker of realistic self-service reports: the demo tree's example texts (hundreds, over every sub-item) with a
    place and an afterthought, points inside the demo jurisdiction's grids, and a new resident each time; no
    category, so intake classifies every one. The same text near an open case of it makes a co-report, as it would."""
    import random

    from shapely.geometry import Point, shape

    from shared.demo import demo_data

    ground = demo_data("ground")
    texts = [text for item in demo_data("categories")["items"] for text in item.get("examples", ())]
    grids = [shape(area["polygon"]) for area in ground["areas"] if area["level"] == "grid"]
    rng = random.Random(seed)

    def point() -> tuple[float, float]:
        grid = rng.choice(grids)
        west, south, east, north = grid.bounds
        while True:
            lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            if grid.contains(Point(lon, lat)):
                return round(lat, 6), round(lon, 6)

    def body(i: int) -> dict:
        lat, lon = point()
        text = f"{rng.choice(PLACES)}：{rng.choice(texts)}{rng.choice(TAILS)}"
        return {"description": text, "location": {"lat": lat, "lon": lon},
                "contact": {"name": "居民", "phone": f"139{(i * 7919) % 100_000_000:08d}"}}

    return body


def _summary(load, target: str) -> dict:
    return {"target": target, "seconds": load.seconds, "accepted": load.accepted,
            "accepted_per_second": round(load.accepted / load.seconds, 1),
            "latency": _percentiles(load.latencies), "statuses": dict(sorted(load.statuses.items())),
            "connection_errors": dict(load.errors), "first_refusal": load.first_refusal,
            **({"accepted_as": dict(load.kinds)} if load.kinds else {}),
            "client_cpu_seconds": round(load.client_cpu_seconds, 1)}


def _new_or_linked(body: bytes) -> str:
    return "co_report_of_open_case" if b'"linked_to_existing_case":true' in body else "new_case"


def bench_intake(intake_url: str, service_urls: list[str], *, database_url: str, seconds: float, concurrency: int,
                 rate: float | None, out: Path) -> dict:
    """Intake on the running platform against the ceiling (a bare FastAPI + asyncpg endpoint writing one row), in the
    same run, on the same PostgreSQL, with the same client and bodies: first each at saturation (closed loop), then
    intake at a fixed offered rate (``rate``, or half what it reached at saturation) for the latency it sustains."""
    import sys

    from gridlink.embedded import free_port, spawn, stop_process, wait_for_port
    from gridlink.launcher import create_database
    from gridlink.load import closed_loop, open_loop

    readiness = httpx.get(f"{intake_url}/readyz", timeout=10)
    if readiness.status_code != 200:
        raise RuntimeError(f"intake at {intake_url} is not ready: start the platform with `gridlink up`")
    ceiling_db = asyncio.run(create_database(database_url, "gridlink_bench_ceiling"))
    import tempfile

    port = free_port()
    log = Path(tempfile.gettempdir()) / "gridlink-bench-ceiling.log"
    ceiling = spawn([sys.executable, "-m", "gridlink.ceiling", "--port", str(port), "--database-url", ceiling_db],
                    log=log)
    try:
        wait_for_port("127.0.0.1", port, timeout=30, process=ceiling)
        bodies = report_bodies()
        ceiling_load = asyncio.run(closed_loop(f"http://127.0.0.1:{port}", "/v1/reports", bodies, seconds=seconds,
                                               concurrency=concurrency))
    finally:
        stop_process(ceiling)
    intake_load = asyncio.run(closed_loop(intake_url, "/v1/reports", bodies, seconds=seconds,
                                          concurrency=concurrency, start_index=10_000_000, kind_of=_new_or_linked))
    drained_after = asyncio.run(_drained(service_urls, timeout=600))
    ceiling_figures, intake_figures = _summary(ceiling_load, "ceiling"), _summary(intake_load, "intake")
    offered = rate or max(1.0, round(intake_figures["accepted_per_second"] / 2))
    steady_load = asyncio.run(open_loop(intake_url, "/v1/reports", bodies, rate=offered, seconds=seconds,
                                        start_index=20_000_000, kind_of=_new_or_linked))
    steady = {"offered_per_second": offered, **_summary(steady_load, "intake at a fixed rate")}
    asyncio.run(_drained(service_urls, timeout=600))
    rate, ceiling_rate = intake_figures["accepted_per_second"], ceiling_figures["accepted_per_second"]
    p99 = steady["latency"].get("p99_ms")
    figures = {
        "concurrency": concurrency, "intake_workers": readiness.json().get("processes"), "intake": intake_figures,
        "ceiling": ceiling_figures,
        "intake_at_fixed_rate": steady,
        "share_of_ceiling": round(rate / ceiling_rate, 3) if ceiling_rate else None,
        "seconds_until_platform_drained_after_intake_run": drained_after,
        "targets": {"reports_per_second_800": rate >= 800,
                    "p99_under_150_ms_at_fixed_rate": p99 is not None and p99 < 150,
                    "a_third_of_ceiling": bool(ceiling_rate) and rate >= ceiling_rate / 3},
    }
    return saved("intake", figures, out,
                 ("ceiling and intake: closed loop, each connection sends its next report when the last is "
                  "answered; intake_at_fixed_rate: open loop, latency from each report's scheduled time. "
                  "The client, the four services, PostgreSQL, the broker and (in its turn) the ceiling "
                  "share the machine's cores; the ceiling ran first, then intake, with the same kind of "
                  "bodies."))


def synthetic_directory(*, units: int, rules: int, seed: int = 11):
    """A directory the size of a large city's: a district tree (streets, communities, grids), units of every kind
    spread over it, and rules of sub-item x area naming units or kinds; plus cases to route through it."""
    import random

    from services.dispatch.domain.routing import CaseToRoute, Directory, Rule, Unit
    from shared.events import AreaPath

    rng = random.Random(seed)
    streets = [f"st-{i}" for i in range(20)]
    communities = {s: [f"{s}-cm-{j}" for j in range(10)] for s in streets}
    grids = {c: [f"{c}-g-{k}" for k in range(10)] for cs in communities.values() for c in cs}
    categories = [f"cat-{i}" for i in range(200)]
    classes = [f"class-{i}" for i in range(5)]
    kinds = ("district_department", "street_department", "community_committee", "grid_worker", "resident_unit",
             "partner_organisation", "enterprise", "volunteer_team")
    all_areas = ["district", *streets, *(c for cs in communities.values() for c in cs), *(g for gs in grids.values()
                                                                                          for g in gs)]
    made_units = [Unit(id=f"u-{i}", kind=rng.choice(kinds), name_zh=f"单位{i}",
                       areas=frozenset(rng.sample(all_areas, k=rng.randint(1, 4))),
                       categories=frozenset(rng.sample(categories, k=3)))
                  for i in range(units)]
    made_rules = []
    for i in range(rules):
        area = rng.choice([None, rng.choice(streets), rng.choice(list(grids)), rng.choice(all_areas)])
        category = rng.choice([rng.choice(categories), rng.choice(categories), rng.choice(classes), None])
        if rng.random() < 0.2:
            made_rules.append(Rule(id=f"r-{i}", category=category, area=area, lead_kind=rng.choice(kinds),
                                   local_only=rng.random() < 0.1))
        else:
            made_rules.append(Rule(id=f"r-{i}", category=category, area=area, lead=rng.choice(made_units).id,
                                   assisting=tuple(u.id for u in rng.sample(made_units, k=rng.randint(0, 2)))))
    directory = Directory(made_units, made_rules)

    def case() -> CaseToRoute:
        street = rng.choice(streets)
        community = rng.choice(communities[street])
        return CaseToRoute(category_code=rng.choice(categories), category_class=rng.choice(classes),
                           handle_locally=rng.random() < 0.3,
                           area=AreaPath(district_id="district", street_id=street, community_id=community,
                                         grid_id=rng.choice(grids[community])))

    return directory, case


def bench_routing(*, units: int, rules: int, decisions: int, out: Path) -> dict:
    """Routing decisions alone, in one process: the cost of ``Directory.route`` on a large directory."""
    from services.dispatch.domain.routing import Unroutable

    started = time.perf_counter()
    directory, make_case = synthetic_directory(units=units, rules=rules)
    build_seconds = time.perf_counter() - started
    cases = [make_case() for _ in range(decisions)]
    timings, unroutable = [], 0
    begun = time.perf_counter()
    for case in cases:
        t0 = time.perf_counter()
        try:
            directory.route(case)
        except Unroutable:
            unroutable += 1
        timings.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - begun
    latency = {k.replace("_ms", "_us"): v for k, v in _percentiles([t * 1000 for t in timings]).items()}
    figures = {"units": units, "rules": rules, "decisions": decisions, "unroutable": unroutable,
               "directory_build_seconds": round(build_seconds, 2),
               "decisions_per_second": round(decisions / seconds), "decision_latency": latency,
               "targets": {"p99_under_1_ms": latency["p99_us"] < 1000}}
    return saved("routing", figures, out,
                 "one process, the directory in memory as each dispatch process holds it")


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


async def _publish_reported(bootstrap_servers: str, cases: int) -> list[str]:
    """``case.reported`` straight onto the broker, as intake would publish it: routable demo cases."""
    from uuid import uuid4

    from shared.events import AreaPath, CaseReported, Channel, ReportedLocation, Reporter

    area = AreaPath(district_id="cn-changning", street_id="st-huayang", community_id="cm-xiushui",
                    grid_id="cm-xiushui-g1")
    events = [CaseReported(
        case_id=uuid4(), tracking_code=f"B{i:07d}", category_code="noise", category_class="livelihood",
        category_version=1, time_limit_class="complaint", description=f"基准 {i}：夜间噪声",
        channel=Channel.SELF_SERVICE, location=ReportedLocation(lat=31.22, lon=121.43, area=area),
        reporter=Reporter(ref=f"bench-{i}"), reported_at=datetime.now(UTC)) for i in range(cases)]
    await publish(bootstrap_servers, events, client_id="bench-dispatch")
    return [str(e.case_id) for e in events]


def bench_dispatch(dispatch_url: str, service_urls: list[str], *, bootstrap_servers: str, cases: int,
                   out: Path) -> dict:
    """Cases dispatched per second end to end on a running platform: ``case.reported`` put on the broker at once,
    then, read back from the broker, the time until every one has its ``case.dispatched`` (the other services react
    meanwhile, on the same cores)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from shared.events import CaseDispatched

    async def run() -> dict:
        async with httpx.AsyncClient(timeout=10) as client:
            if (await client.get(f"{dispatch_url}/readyz")).json().get("status") != "ready":
                raise RuntimeError(f"dispatch at {dispatch_url} is not ready: start the platform with `gridlink up`")
        topic = CaseDispatched.topic.name
        reader = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False, client_id="bench")
        await reader.start()
        try:
            await reader.topics()  # a new client knows no topic's partitions until it asks the broker
            partitions = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or ())]
            reader.assign(partitions)
            await reader.seek_to_end(*partitions)
            for partition in partitions:  # resolve the end offsets now, before anything is published
                await reader.position(partition)
            begun = time.perf_counter()
            wanted = set(await _publish_reported(bootstrap_servers, cases))
            published = time.perf_counter() - begun
            latencies, deadline = [], time.monotonic() + 600
            while wanted and time.monotonic() < deadline:
                batches = await reader.getmany(timeout_ms=500, max_records=2000)
                for records in batches.values():
                    for record in records:
                        headers = dict(record.headers or ())
                        case_id = record.key.decode() if record.key else ""
                        if headers.get("ce_type") == CaseDispatched.type.encode() and case_id in wanted:
                            wanted.discard(case_id)
                            latencies.append(time.perf_counter() - begun)
            seconds = time.perf_counter() - begun
        finally:
            await reader.stop()
        drained = await _drained(service_urls, timeout=600)
        done = cases - len(wanted)
        return {"cases": cases, "dispatched": done, "seconds_to_publish": round(published, 2),
                "seconds_until_all_dispatched": round(seconds, 2), "dispatched_per_second": round(done / seconds, 1),
                "time_to_case_dispatched_from_first_publish": _percentiles(latencies),
                "seconds_until_the_platform_caught_up_after": drained,
                "targets": {"dispatched_per_second_500": done / seconds >= 500}}

    figures = asyncio.run(run())
    return saved("dispatch", figures, out,
                 ("case.reported put on the broker directly (intake bypassed), case.dispatched read back "
                  "from it; dispatch, supervision, notification, intake's consumer, PostgreSQL and the "
                  "broker share the machine's cores"))



def bench_deadlines(*, open_deadlines: int, burst: int, units: int, workers: int, batch: int, out: Path) -> dict:
    """Supervision's deadline poller on a fresh embedded PostgreSQL in a temporary directory (no broker: the events
    each firing publishes are written to the outbox, as in the service, and left there)."""
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    with scratch_servers(broker=False) as (_, postgres, _):
        figures = asyncio.run(run_deadlines(postgres.url(), open_deadlines=open_deadlines, burst=burst, units=units,
                                            workers=workers, batch=batch))
    return saved("deadlines", figures, out,
                 ("supervision's fire_due on its own database; each breach publishes the breach, a "
                  "supervision order (a reply clock and its deadline) and the escalation, with timeline "
                  "lines, as in the service; new cases are dispatched to supervision's handlers during the "
                  "burst"))


async def run_deadlines(database_url: str, *, open_deadlines: int, burst: int, units: int, workers: int,
                        batch: int) -> dict:
    from datetime import timedelta
    from uuid import uuid4

    from sqlalchemy import text

    from services.supervision.commands.firing import fire_due
    from services.supervision.demo import seed_demo
    from services.supervision.handlers import HANDLERS
    from services.supervision.service import SPEC
    from shared.events import AreaPath, CaseDispatched, CaseReported, Channel, ReportedLocation, Reporter
    from shared.persistence.database import create_engine
    from shared.persistence.migrations import upgrade_to_head

    await upgrade_to_head(database_url, SPEC.migrations)
    engine = create_engine(database_url, pool_size=workers + 4)
    uows = SPEC.units_of_work(engine)
    await seed_demo(uows)
    cases = open_deadlines // 2
    started = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(text("""
            INSERT INTO cases (id, district_id, street_id, community_id, grid_id, category_code, time_limit_class,
                               unit_id, status, updated_at, reported_at)
            SELECT md5(i::text)::uuid, 'cn-changning', 'st-huayang', 'cm-xiushui', 'cm-xiushui-g1', 'noise',
                   'complaint', 'unit-' || (i % :units), 'dispatched', now(), now()
            FROM generate_series(1, :cases) i"""), {"cases": cases, "units": units})
        # Two clocks per case, falling due over the next thirty days.
        await connection.execute(text("""
            INSERT INTO deadlines (case_id, unit_id, kind, due_at, status, next_fire_at, policy, opened_by_event,
                                   started_at, warnings, fired)
            SELECT md5(i::text)::uuid, 'unit-' || (i % :units), k.kind, d.due, 'open', d.due, 'bench',
                   'bench-' || i, now(), '[]', 0
            FROM generate_series(1, :cases) i
            CROSS JOIN (VALUES ('sign_for'), ('completion')) k(kind)
            CROSS JOIN LATERAL (SELECT now() + interval '1 day' + (i % 43200) * interval '1 minute' AS due) d"""),
            {"cases": cases, "units": units})
    async with engine.connect() as connection:
        await connection.execute(text("COMMIT"))
        await connection.execute(text("VACUUM ANALYZE deadlines"))
        await connection.execute(text("VACUUM ANALYZE cases"))
        open_count = (await connection.execute(text("SELECT count(*) FROM deadlines WHERE status = 'open'"))).scalar()
    filled = round(time.perf_counter() - started, 1)

    # The cost of one poll with nothing due, as the watch pays it every second.
    now = datetime.now(UTC)
    polls = []
    for _ in range(200):
        begun = time.perf_counter()
        await fire_due(uows, now=now, batch=batch)
        polls.append(time.perf_counter() - begun)
    async with engine.connect() as connection:
        plan = "\n".join(r[0] for r in (await connection.execute(text(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM deadlines WHERE status = 'open' AND next_fire_at <= now() "
            "ORDER BY next_fire_at LIMIT 1000 FOR UPDATE SKIP LOCKED"))).all())

    # The morning after a long holiday: a burst of sign-for deadlines all due at once.
    async with engine.begin() as connection:
        await connection.execute(text("""
            UPDATE deadlines SET due_at = now() - interval '1 minute', next_fire_at = now() - interval '1 minute'
            WHERE id IN (SELECT id FROM deadlines WHERE kind = 'sign_for' ORDER BY id LIMIT :burst)"""),
            {"burst": burst})
    area = AreaPath(district_id="cn-changning", street_id="st-huayang", community_id="cm-xiushui",
                    grid_id="cm-xiushui-g1")
    served: list[float] = []
    draining = True

    async def serve_new_cases() -> None:
        """A new case every 50 ms, reported and dispatched through supervision's handlers, while the burst drains."""
        while draining:
            case_id, begun = uuid4(), time.perf_counter()
            at = datetime.now(UTC)
            for event in (CaseReported(case_id=case_id, tracking_code="B" + case_id.hex[:8], category_code="noise",
                                       category_class="livelihood", category_version=1, time_limit_class="complaint",
                                       description="基准", channel=Channel.HOTLINE, reporter=Reporter(ref="r"),
                                       location=ReportedLocation(lat=31.22, lon=121.43, area=area), reported_at=at),
                          CaseDispatched(case_id=case_id, unit_id="unit-new", unit_name="新单位", category_code="noise",
                                         time_limit_class="complaint", area=area, dispatched_at=at)):
                async with uows() as uow:
                    uow.caused_by(correlation_id=str(case_id), causation_id=str(uuid4()))
                    await HANDLERS[type(event)](event, uow)
            served.append(time.perf_counter() - begun)
            await asyncio.sleep(0.05)

    fired = 0

    async def drain() -> None:
        nonlocal fired
        while handled := await fire_due(uows, now=datetime.now(UTC) + timedelta(seconds=1), batch=batch,
                                        per_unit=batch):
            fired += handled

    serving = asyncio.create_task(serve_new_cases())
    begun = time.perf_counter()
    await asyncio.gather(*(drain() for _ in range(workers)))
    drained = time.perf_counter() - begun
    draining = False
    await serving
    async with engine.connect() as connection:
        outbox = (await connection.execute(text("SELECT count(*) FROM outbox"))).scalar()
    await engine.dispose()
    return {
        "open_deadlines": open_count, "units": units, "seconds_to_fill": filled,
        "poll_with_nothing_due": _percentiles(polls),
        "poll_plan": plan,
        "burst": burst, "workers": workers, "batch": batch,
        "burst_fired": fired, "seconds_to_drain_burst": round(drained, 1),
        "fired_per_second": round(fired / drained, 1) if drained else None,
        "events_written_to_outbox": outbox,
        "new_cases_served_during_burst": len(served), "new_case_latency": _percentiles(served),
        "targets": {"poll_under_5_ms": bool(polls) and sorted(polls)[len(polls) // 2] < 0.005,
                    "fired_per_second_20000": bool(drained) and fired / drained >= 20_000,
                    "burst_drained_under_60_s": drained < 60},
    }
