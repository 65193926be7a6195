"""``gridlink bench-flow``: drives the thin flow against a running platform and measures it."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

import httpx

from gridlink.bench.harness import percentiles, saved, until_drained

PHONE = "13900001234"


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
        await until_drained(service_urls, timeout=timeout, interval=0.2)
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
        "accept_latency": percentiles(accept_latency),
        "completed_flows": len(timelines),
        "seconds_until_all_drained": round(flow_seconds, 1),
        "flows_per_second": round(len(timelines) / flow_seconds, 1),
        "latency_received_to_dispatched": percentiles(to_dispatch),
    }


def bench_flow(intake_url: str, service_urls: list[str], *, reports: int, concurrency: int, out: Path) -> dict:
    figures = asyncio.run(run_flow(intake_url, service_urls, reports=reports, concurrency=concurrency))
    return saved("thin-flow", figures, out,
                 "the client, the four services, PostgreSQL and the broker share the machine's cores")
