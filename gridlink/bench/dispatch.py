"""``gridlink bench-dispatch``: ``case.reported`` on the broker at once, ``case.dispatched`` read back, end to end."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from gridlink.bench.harness import percentiles, publish, saved, until_drained


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
            if (await client.get(f"{dispatch_url}/readyz")).json().get("status") not in ("ready", "degraded"):
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
        caught_up = await until_drained(service_urls, timeout=600)
        done = cases - len(wanted)
        return {"cases": cases, "dispatched": done, "seconds_to_publish": round(published, 2),
                "seconds_until_all_dispatched": round(seconds, 2), "dispatched_per_second": round(done / seconds, 1),
                "time_to_case_dispatched_from_first_publish": percentiles(latencies),
                "seconds_until_the_platform_caught_up_after": caught_up,
                "targets": {"dispatched_per_second_500": done / seconds >= 500}}

    figures = asyncio.run(run())
    return saved("dispatch", figures, out,
                 ("case.reported put on the broker directly (intake bypassed), case.dispatched read back "
                  "from it; dispatch, supervision, notification, intake's consumer, PostgreSQL and the "
                  "broker share the machine's cores"))
