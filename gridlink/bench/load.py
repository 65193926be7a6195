"""A lean closed-loop HTTP/1.1 load generator for the benchmarks: keep-alive connections on bare asyncio streams, so
the client costs the shared cores far less than a full HTTP client library would."""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: Makes the body of the i-th request.
BodyMaker = Callable[[int], dict]


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)   # of the accepted (2xx) requests
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)        # connection-level failures, by exception type
    client_cpu_seconds: float = 0.0
    first_refusal: str | None = None                        # one refused body, to say why
    kinds: Counter = field(default_factory=Counter)         # accepted answers by the caller's ``kind_of``

    @property
    def accepted(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    def answered(self, status: int, body: bytes, latency: float, kind_of: Callable[[bytes], str] | None) -> None:
        self.statuses[status] += 1
        if 200 <= status < 300:
            self.latencies.append(latency)
            if kind_of is not None:
                self.kinds[kind_of(body)] += 1
        elif self.first_refusal is None:
            self.first_refusal = body[:300].decode("utf-8", "replace")

    def add_cpu_since(self, before) -> None:
        after = resource.getrusage(resource.RUSAGE_SELF)
        self.client_cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _post(host: str, port: int, path: str, body: dict, extra_headers: str = "") -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode()
    return (f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(payload)}\r\n{extra_headers}\r\n").encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length) if length else b""


async def closed_loop(url: str, path: str, make_body: BodyMaker, *, seconds: float, concurrency: int,
                      warmup: float = 3.0, headers: dict[str, str] | None = None, start_index: int = 0,
                      kind_of: Callable[[bytes], str] | None = None) -> LoadResult:
    """``concurrency`` connections each send the next request as soon as the last is answered, for ``warmup`` seconds
    (not counted) and then ``seconds`` (measured)."""
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    result = LoadResult(seconds=seconds)
    counter = iter(range(start_index, 1 << 62))
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + seconds
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)

    async def connection() -> None:
        reader = writer = None
        while (now := time.perf_counter()) < stop_at:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                payload = _post(host, port, path, make_body(next(counter)), extra)
                sent = time.perf_counter()
                writer.write(payload)
                status, body = await _read_response(reader)
                done = time.perf_counter()
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                if now >= measure_from:
                    result.errors[type(exc).__name__] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.05)
                continue
            if measure_from <= sent and done <= stop_at:
                result.answered(status, body, done - sent, kind_of)
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    result.add_cpu_since(cpu_before)
    return result


async def open_loop(url: str, path: str, make_body: BodyMaker, *, rate: float, seconds: float, connections: int = 64,
                    start_index: int = 0, kind_of: Callable[[bytes], str] | None = None) -> LoadResult:
    """Requests sent on a fixed schedule (``rate`` per second) whatever the answers, over up to ``connections`` kept
    open; each latency counts from the request's scheduled time, so a server that falls behind shows it (no
    coordinated omission)."""
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    result = LoadResult(seconds=seconds)
    # Last in, first out: the connections in use stay warm, the rest are opened only when needed (a server closes
    # a keep-alive connection left idle for a few seconds).
    pool: asyncio.LifoQueue = asyncio.LifoQueue()
    for _ in range(connections):
        pool.put_nowait(None)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)

    async def one(i: int, scheduled: float) -> None:
        connection = await pool.get()
        payload = _post(host, port, path, make_body(i))
        for attempt in (1, 2):
            reused = connection is not None
            try:
                if connection is None:
                    connection = await asyncio.open_connection(host, port)
                reader, writer = connection
                writer.write(payload)
                status, body = await _read_response(reader)
                break
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                if connection is not None:
                    connection[1].close()
                connection = None
                if not reused or attempt == 2:  # a fresh connection failed: that is the server's answer
                    result.errors[type(exc).__name__] += 1
                    pool.put_nowait(None)
                    return
        result.answered(status, body, time.perf_counter() - scheduled, kind_of)
        pool.put_nowait(connection)

    started = time.perf_counter()
    tasks = []
    total = int(rate * seconds)
    for n in range(total):
        scheduled = started + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(start_index + n, scheduled)))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - started  # longer than asked when the server fell behind
    while not pool.empty():
        if (connection := pool.get_nowait()) is not None:
            connection[1].close()
    result.add_cpu_since(cpu_before)
    return result
