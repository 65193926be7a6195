"""``gridlink bench-deadlines``: supervision's poller on its own database: a poll with nothing due, then a burst."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from gridlink.bench.harness import percentiles, saved, scratch_servers


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
        "poll_with_nothing_due": percentiles(polls),
        "poll_plan": plan,
        "burst": burst, "workers": workers, "batch": batch,
        "burst_fired": fired, "seconds_to_drain_burst": round(drained, 1),
        "fired_per_second": round(fired / drained, 1) if drained else None,
        "events_written_to_outbox": outbox,
        "new_cases_served_during_burst": len(served), "new_case_latency": percentiles(served),
        "targets": {"poll_under_5_ms": bool(polls) and sorted(polls)[len(polls) // 2] < 0.005,
                    "fired_per_second_20000": bool(drained) and fired / drained >= 20_000,
                    "burst_drained_under_60_s": drained < 60},
    }
