"""``gridlink bench-console``: the console's pages with a city's worth of open cases in its read model (board and case
pages, p99 against 200 ms), and how soon a change reaches many connected browsers' streams (p99 against 1 s), with
the CPU the console and PostgreSQL spent per page."""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil

from gridlink.bench.harness import percentiles, saved
from services.console.api.board import PAGE_SIZE

PREFIX = "BN"  # the benchmark's own cases, removed afterwards
OPEN = ("received", "triage", "dispatched", "signed", "in_progress", "reopened")
CLOCKS = (None, None, None, "warned", "breached")


def _synthetic_cases(n: int, seed: int) -> tuple[list[tuple], list[tuple]]:
    """Open cases spread over the demo grids, sub-items, units and states, with a few timeline lines each."""
    from shared.demo import demo_area_path, demo_data

    rng = random.Random(seed)
    paths = {a["id"]: demo_area_path(a["id"]) for a in demo_data("ground")["areas"] if a["level"] == "grid"}
    grids = list(paths)
    categories = [c["code"] for c in demo_data("categories")["items"]]
    units = [u["id"] for u in demo_data("units")["units"]]
    now = datetime.now(UTC)
    cases, lines = [], []
    for i in range(n):
        case_id, grid = uuid.uuid4(), rng.choice(grids)
        district, street, community, _ = paths[grid]
        unit = rng.choice(units)
        reported = now - timedelta(minutes=rng.uniform(0, 30 * 24 * 60))
        cases.append((case_id, f"{PREFIX}{i:06d}", rng.choice(categories), district, street, community, grid,
                      31.21 + rng.random() / 50, 121.42 + rng.random() / 40, "self_service", rng.random() < 0.05,
                      "小区门口下水道堵塞，雨后积水严重", 1, reported, rng.choice(OPEN), unit, rng.choice(CLOCKS),
                      f'["{unit}"]', reported))
        for k, text in enumerate(("受理（自助上报）", f"派发至{unit}", f"{unit}已签收")):
            lines.append((f"bench:{case_id}:{k}", case_id, reported + timedelta(minutes=k), "dispatch", "step", text,
                          text))
    return cases, lines


async def _seed(database_url: str, n: int, seed: int) -> None:
    import asyncpg

    cases, lines = _synthetic_cases(n, seed)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.copy_records_to_table("cases", records=cases, columns=[
            "id", "tracking_code", "category_code", "district_id", "street_id", "community_id", "grid_id", "lat",
            "lon", "channel", "urgent", "description", "residents_affected", "reported_at", "status", "unit_id",
            "clock_state", "unit_ids", "updated_at"])
        await connection.copy_records_to_table("case_lines", records=lines, columns=[
            "event_id", "case_id", "at", "service", "kind", "text_zh", "text_en"])
    finally:
        await connection.close()


async def _clean(database_url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("DELETE FROM case_lines WHERE event_id LIKE 'bench:%'")
        await connection.execute(f"DELETE FROM cases WHERE tracking_code LIKE '{PREFIX}%'")
    finally:
        await connection.close()


def _signed_in(console_url: str, username: str, password: str) -> dict:
    with httpx.Client(base_url=console_url, timeout=10) as client:
        form = client.get("/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
        answer = client.post("/sign-in", data={"username": username, "password": password, "csrf": csrf})
        if answer.status_code != 303:
            raise RuntimeError(f"could not sign in as {username}: {answer.status_code}")
        return dict(client.cookies)


def _processes(console_port: int) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """The console's processes (the one listening on its port, with its workers) and PostgreSQL's main processes
    (the postmasters: their backends come and go, and are counted through them)."""
    console = []
    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == console_port and connection.status == "LISTEN" \
                and connection.pid:
            console = [psutil.Process(connection.pid)]  # its workers are its children, counted with it
    postgres = [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")]
    postmasters = [p for p in postgres if not _parent_is_postgres(p)]
    return console, postmasters


def _parent_is_postgres(process: psutil.Process) -> bool:
    try:
        parent = process.parent()
        return parent is not None and parent.name().startswith("postgres")
    except psutil.Error:
        return False


def _cpu(processes: list[psutil.Process]) -> float:
    """CPU seconds of the processes and of all their children, those still running (read now) and those ended
    (reaped by their parent, so counted in its children's times: a backend that closed mid-run is not lost)."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
            for child in process.children(recursive=True):
                with suppress(psutil.Error):
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
        except psutil.Error:
            pass
    return total


async def _pages(console_url: str, cookies: dict, paths: list[str], concurrency: int, *, database_url: str,
                 cases: int, changes_per_second: float) -> tuple[list[float], dict, int]:
    """The pages asked ``concurrency`` at a time while the read model changes as a busy city's does (a case updated
    ``changes_per_second``, as a consumer would): the board's kept counts are counted again after each change."""
    import asyncpg

    latencies, statuses, changed = [], {}, 0
    queue = list(reversed(paths))
    connection = await asyncpg.connect(database_url)

    async def city() -> None:
        nonlocal changed
        rng = random.Random(changes_per_second)
        while queue:
            await connection.execute("UPDATE cases SET updated_at = now() WHERE tracking_code = $1",
                                     f"{PREFIX}{rng.randrange(cases):06d}")
            changed += 1
            await asyncio.sleep(1 / changes_per_second)

    async with httpx.AsyncClient(base_url=console_url, cookies=cookies, timeout=30,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        async def worker() -> None:
            while queue:
                path = queue.pop()
                started = time.perf_counter()
                answer = await client.get(path)
                latencies.append(time.perf_counter() - started)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        changing = asyncio.create_task(city()) if changes_per_second > 0 else None
        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            if changing:
                changing.cancel()
                await asyncio.gather(changing, return_exceptions=True)
            await connection.close()
    return latencies, statuses, changed


async def _streams(console_url: str, cookies: dict, database_url: str, streams: int, changes: int) -> dict:
    """``streams`` browsers listening; each change of the read model (a case updated, as a consumer would) timed
    until every stream has told its browser."""
    import asyncpg

    arrivals: list[list[float]] = [[] for _ in range(streams)]
    ready = asyncio.Event()
    connected = 0
    async with httpx.AsyncClient(base_url=console_url, cookies=cookies, timeout=httpx.Timeout(60, connect=10),
                                 limits=httpx.Limits(max_connections=streams + 5)) as client:
        async def listen(i: int) -> None:
            nonlocal connected
            async with client.stream("GET", "/board/stream") as answer:
                async for line in answer.aiter_lines():
                    if line.startswith("retry:"):
                        connected += 1
                        if connected == streams:
                            ready.set()
                    elif line.startswith("event: board"):
                        arrivals[i].append(time.perf_counter())

        tasks = [asyncio.create_task(listen(i)) for i in range(streams)]
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(1.5)  # the watch's first look learns where the read model stands
        connection = await asyncpg.connect(database_url)
        sent = []
        try:
            for k in range(changes):
                sent.append(time.perf_counter())
                await connection.execute(f"UPDATE cases SET updated_at = now() WHERE tracking_code = '{PREFIX}"
                                         f"{k:06d}'")
                await asyncio.sleep(2.0)
        finally:
            await connection.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    delays, missed = [], 0
    for got in arrivals:
        for at in sent:
            after = [a for a in got if a >= at]
            if after and after[0] - at < 2.0:
                delays.append(after[0] - at)
            else:
                missed += 1
    return {"streams": streams, "changes": changes, "deliveries": len(delays), "missed": missed,
            "latency": percentiles(delays)}


def bench_console(console_url: str, database_url: str, *, cases: int, requests: int, concurrency: int, streams: int,
                  changes: int, username: str, password: str, seed: int, out: Path,
                  changes_per_second: float = 5.0) -> dict:
    from urllib.parse import urlsplit

    if httpx.get(f"{console_url}/readyz", timeout=10).status_code != 200:
        raise RuntimeError(f"the console at {console_url} is not ready: start the platform with `gridlink up`")
    asyncio.run(_clean(database_url))
    asyncio.run(_seed(database_url, cases, seed))
    try:
        cookies = _signed_in(console_url, username, password)
        # Check what will be measured: the board counts the cases and lists a page of them; a case page shows one.
        board = httpx.get(f"{console_url}/board", cookies=cookies, timeout=30)
        listed = len(re.findall(r'<tr class="[a-z]*" data-code="[A-Z0-9]+"', board.text))
        open_count = int(re.search(r'id="open">(\d+)<', board.text)[1])
        sample = httpx.get(f"{console_url}/cases/{PREFIX}000042", cookies=cookies, timeout=30)
        if board.status_code != 200 or open_count < cases or listed < PAGE_SIZE or sample.status_code != 200 \
                or f"{PREFIX}000042" not in sample.text or "已签收" not in sample.text:
            raise RuntimeError(f"not measuring the pages meant: board {board.status_code}, {open_count} open, "
                               f"{listed} listed; case page {sample.status_code}")
        rng = random.Random(seed)
        filters = ["/board", "/board?state=breached", "/board?clock=warned", "/board?state=dispatched",
                   "/board?street=st-huayang", "/board?page=5"]
        board_paths = [rng.choice(filters) for _ in range(requests)]
        case_paths = [f"/cases/{PREFIX}{rng.randrange(cases):06d}" for _ in range(requests)]
        console_processes, postgres_processes = _processes(urlsplit(console_url).port or 80)
        figures = {"open_cases_in_read_model": open_count, "board_rows_listed": listed}
        for name, paths in (("board", board_paths), ("case_page", case_paths)):
            console_cpu, postgres_cpu = _cpu(console_processes), _cpu(postgres_processes)
            started = time.perf_counter()
            latencies, statuses, changed = asyncio.run(_pages(
                console_url, cookies, paths, concurrency, database_url=database_url, cases=cases,
                changes_per_second=changes_per_second))
            seconds = time.perf_counter() - started
            figures[name] = {
                "requests": len(paths), "concurrency": concurrency, "statuses": statuses,
                "read_model_changes_meanwhile": changed,
                "pages_per_second": round(len(paths) / seconds, 1), "latency": percentiles(latencies),
                "p99_under_200_ms": percentiles(latencies)["p99_ms"] < 200,
                "console_cpu_ms_per_page": round((_cpu(console_processes) - console_cpu) / len(paths) * 1000, 2),
                "postgres_cpu_ms_per_page": round((_cpu(postgres_processes) - postgres_cpu) / len(paths) * 1000, 2)}
            if statuses.get(200, 0) != len(paths):
                raise RuntimeError(f"{name}: not every page answered 200: {statuses}")
        figures["streams"] = asyncio.run(_streams(console_url, cookies, database_url, streams, changes))
        figures["streams"]["p99_under_1_s"] = figures["streams"]["latency"].get("p99_ms", 1e9) < 1000
    finally:
        asyncio.run(_clean(database_url))
    return saved("console", figures, out, note=(
        f"{cases} synthetic open cases in the console's read model (removed afterwards); {requests} board pages "
        f"(with and without filters, page 1 and page 5) and {requests} case pages as the dispatcher, {concurrency} "
        f"at a time, while a case of the read model changed {changes_per_second:g} times a second; "
        f"{streams} server-sent-event streams, {changes} read-model changes; CPU of the console's processes and "
        "PostgreSQL's per page (the case page also asks dispatch and notification, whose CPU is not counted)"))
