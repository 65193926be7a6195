"""``gridlink bench-intake``: intake as residents use it (varied texts, points, new residents) beside a bare FastAPI +
asyncpg ceiling measured in the same run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from gridlink.bench.harness import percentiles, saved, until_drained

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
            "latency": percentiles(load.latencies), "statuses": dict(sorted(load.statuses.items())),
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

    from gridlink.bench.load import closed_loop, open_loop
    from gridlink.embedded import free_port, spawn, stop_process, wait_for_port
    from gridlink.launcher import create_database

    readiness = httpx.get(f"{intake_url}/readyz", timeout=10)
    if readiness.status_code != 200:
        raise RuntimeError(f"intake at {intake_url} is not ready: start the platform with `gridlink up`")
    ceiling_db = asyncio.run(create_database(database_url, "gridlink_bench_ceiling"))
    import tempfile

    port = free_port()
    log = Path(tempfile.gettempdir()) / "gridlink-bench-ceiling.log"
    ceiling = spawn([sys.executable, "-m", "gridlink.bench.ceiling", "--port", str(port), "--database-url", ceiling_db],
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
    if intake_load.statuses.get(429):  # the limits, not intake's work, would be what was measured
        raise RuntimeError(f"intake refused {intake_load.statuses[429]} reports with 429: its rate limits are on; "
                           "start the platform with INTAKE_RATE_LIMITS_ENABLED=false for the benchmark")
    drained_after = asyncio.run(until_drained(service_urls, timeout=600))
    ceiling_figures, intake_figures = _summary(ceiling_load, "ceiling"), _summary(intake_load, "intake")
    offered = rate or max(1.0, round(intake_figures["accepted_per_second"] / 2))
    steady_load = asyncio.run(open_loop(intake_url, "/v1/reports", bodies, rate=offered, seconds=seconds,
                                        start_index=20_000_000, kind_of=_new_or_linked))
    steady = {"offered_per_second": offered, **_summary(steady_load, "intake at a fixed rate")}
    asyncio.run(until_drained(service_urls, timeout=600))
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
