"""``gridlink bench-notification``: notification alone on its own embedded PostgreSQL and Tansu — notifications
rendered and delivered per second from events on the broker, and webhook deliveries per second to a local receiver,
with and without 1 % of endpoints failing slowly."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from gridlink.bench.harness import publish, saved, scratch_servers
from gridlink.embedded import free_port

# --- the local receiver (its own process): partners' endpoints, and a stand-in for intake's number lookup ---------

FAIL_SECONDS = 1.0  # a failing endpoint holds each attempt this long, then answers 503


async def receiver(scope, receive, send) -> None:
    """ASGI: ``/hooks/ok/…`` answers 204; ``/hooks/fail/…`` 503 after ``FAIL_SECONDS``; ``/v1/reporters/numbers``
    stands in for intake (a fixed test number for every case)."""
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    path, status, payload = scope["path"], 204, b""
    if path == "/v1/reporters/numbers":
        cases = json.loads(body)["case_ids"]
        status, payload = 200, json.dumps([{"case_id": c, "reporters": [{"reporter_ref": "bench", "phone":
                                            "13900000000"}]} for c in cases]).encode()
    elif path.startswith("/hooks/fail/"):
        await asyncio.sleep(FAIL_SECONDS)
        status = 503
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


# --- the benchmark ----------------------------------------------------------------------------------------------

def _events(cases: int, *, street: str, urgent: bool = True):
    """For each case: reported (a resident with a number) and dispatched to a unit."""
    from shared.events import AreaPath, CaseDispatched, CaseReported, Channel, ReportedLocation, Reporter

    area = AreaPath(district_id="cn-changning", street_id=street, community_id="cm-xiushui", grid_id="cm-xiushui-g1")
    now = datetime.now(UTC)
    reported, dispatched = [], []
    for i in range(cases):
        case_id = uuid4()
        reported.append(CaseReported(
            case_id=case_id, tracking_code=f"N{i:07d}", category_code="drainage", category_class="livelihood",
            category_version=1, time_limit_class="help", urgent=urgent, description=f"基准 {i}",
            channel=Channel.SELF_SERVICE, location=ReportedLocation(lat=31.22, lon=121.43, area=area),
            reporter=Reporter(ref=f"bench-{i}", phone_masked="139****0000"), reported_at=now))
        dispatched.append(CaseDispatched(
            case_id=case_id, unit_id=f"unit-{i % 50}", unit_name="基准单位", category_code="drainage",
            time_limit_class="help", urgent=urgent, area=area, dispatched_at=now))
    return reported, dispatched


async def _until(engine, query: str, params: dict, wanted: int, *, timeout: float = 900) -> float:
    """Seconds until ``query`` counts ``wanted`` rows (polled every 100 ms)."""
    from sqlalchemy import text

    begun = time.perf_counter()
    while time.perf_counter() - begun < timeout:
        async with engine.connect() as connection:
            if (await connection.execute(text(query), params)).scalar() >= wanted:
                return time.perf_counter() - begun
        await asyncio.sleep(0.1)
    raise TimeoutError(f"not reached within {timeout}s: {query}")


async def _webhook_round(runtime, bootstrap: str, receiver_url: str, *, endpoints: int, failing: int,
                         cases: int) -> dict:
    """``endpoints`` subscribed to dispatches in a street of their own (``failing`` of them failing slowly), then
    ``cases`` dispatched there: every endpoint gets every case."""
    from sqlalchemy import text

    from services.notification.adapters import tables
    from shared.persistence.versioned_cache import bump_version
    from shared.webhooks import new_secret

    street = f"st-bench-{uuid4().hex[:6]}"
    ids: list[UUID] = []
    async with runtime.uow() as uow:
        for n in range(endpoints):
            kind = "fail" if n < failing else "ok"
            ids.append(uuid4())
            await uow.session.execute(tables.webhook_endpoints.insert().values(
                id=ids[-1], partner="bench", url=f"{receiver_url}/hooks/{kind}/{n}", secret=new_secret(),
                event_types=["org.gridlink.case.dispatched.v1"], areas=[street], status="active",
                created_at=datetime.now(UTC)))
        await bump_version(uow.session, tables.webhook_endpoints_version)
    await asyncio.sleep(1.5)  # the subscriptions cache reads the version at most once a second
    reported, dispatched = _events(cases, street=street)
    await publish(bootstrap, reported + dispatched, client_id="bench-notification")
    healthy = [str(i) for i in ids[failing:]]
    seconds = await _until(runtime.engine, "SELECT count(*) FROM webhook_messages WHERE endpoint_id = ANY(CAST(:e AS "
                           "uuid[])) AND status = 'delivered'", {"e": healthy}, len(healthy) * cases)
    async with runtime.engine.connect() as connection:
        row = (await connection.execute(text("""
            SELECT min(created_at) AS first, max(delivered_at) AS last,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at)) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at)) AS p99
            FROM webhook_messages WHERE endpoint_id = ANY(CAST(:e AS uuid[]))"""), {"e": healthy})).one()
        failed_attempts = (await connection.execute(text(
            "SELECT count(*) FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id "
            "WHERE m.endpoint_id = ANY(CAST(:e AS uuid[]))"), {"e": [str(i) for i in ids[:failing]]})).scalar()
    span = (row.last - row.first).total_seconds()
    return {"endpoints": endpoints, "failing_endpoints": failing, "cases": cases,
            "healthy_deliveries": len(healthy) * cases, "seconds_from_events_published": round(seconds, 2),
            "healthy_deliveries_per_second": round(len(healthy) * cases / span, 1),
            "healthy_latency_seconds": {"p50": round(row.p50, 3), "p99": round(row.p99, 3)},
            "attempts_on_failing_endpoints_meanwhile": failed_attempts}


async def run(*, database_url: str, bootstrap_servers: str, receiver_url: str, outbox: Path, cases: int,
              endpoints: int, webhook_cases: int) -> dict:
    from sqlalchemy import text

    from services.notification.service import SPEC
    from services.notification.settings import NotificationSettings
    from shared.auth import generate_keypair
    from shared.messaging.kafka import ensure_topics
    from shared.runtime.logs import configure_logging
    from shared.runtime.service import ServiceRuntime

    settings = NotificationSettings(
        database_url=database_url, kafka_bootstrap_servers=bootstrap_servers, kafka_idempotence=False,
        jwt_public_key=generate_keypair()[1], intake_url=receiver_url, service_token="bench",
        outbox_dir=str(outbox), webhook_allowed_networks="127.0.0.0/8", recipient_hourly_limit=1000)
    # Logged as the service logs (JSON lines at info), into a file beside the outbox rather than onto the screen.
    configure_logging(SPEC.name, settings.log_level)
    root = logging.getLogger()
    root.handlers[0].setStream((outbox.parent / "notification.log").open("a", encoding="utf-8"))
    # The reports wait on the broker before notification starts, so what is timed is notification working through
    # them; the dispatches follow once the reports are in, as they do in life (a dispatch read before its report
    # waits for it, a slower path the tests cover).
    await ensure_topics(bootstrap_servers)
    reported, dispatched = _events(cases, street="st-huayang")
    await publish(bootstrap_servers, reported, client_id="bench-notification")
    runtime = ServiceRuntime(SPEC, settings)
    await runtime.start()
    try:
        await _until(runtime.engine, "SELECT count(*) FROM deliveries", {}, cases)
        await publish(bootstrap_servers, dispatched, client_id="bench-notification")
        # Per case: the resident's receipt and dispatch SMS, the unit's new assignment in its inbox.
        wanted = 3 * cases
        await _until(runtime.engine, "SELECT count(*) FROM deliveries WHERE status = 'delivered'", {}, wanted)
        async with runtime.engine.connect() as connection:
            first, rendered, delivered = (await connection.execute(text(
                "SELECT min(created_at), max(created_at), max(updated_at) FROM deliveries"))).one()
        seconds = (delivered - first).total_seconds()
        texted = sum(1 for _ in (outbox / "sms.jsonl").open(encoding="utf-8"))
        notifications = {"cases": cases, "events": 2 * cases, "notifications": wanted,
                         "seconds_from_first_to_last_rendered": round((rendered - first).total_seconds(), 2),
                         "seconds_from_first_rendered_to_last_delivered": round(seconds, 2),
                         "notifications_per_second": round(wanted / seconds, 1), "sms_in_the_file_sink": texted}
        calm = await _webhook_round(runtime, bootstrap_servers, receiver_url, endpoints=endpoints, failing=0,
                                    cases=webhook_cases)
        stormy = await _webhook_round(runtime, bootstrap_servers, receiver_url, endpoints=endpoints,
                                      failing=max(1, endpoints // 100), cases=webhook_cases)
    finally:
        await runtime.stop()
    return {"notifications": notifications, "webhooks_all_healthy": calm, "webhooks_1_percent_failing": stormy,
            "targets": {"notifications_per_second_1000": notifications["notifications_per_second"] >= 1000,
                        "webhook_deliveries_per_second_500": stormy["healthy_deliveries_per_second"] >= 500}}


def bench_notification(*, cases: int, endpoints: int, webhook_cases: int, out: Path) -> dict:
    """On a fresh embedded PostgreSQL and Tansu in a temporary directory, with the receiver in its own process."""
    port = free_port()
    listener = subprocess.Popen([sys.executable, "-m", "uvicorn", "gridlink.bench.notification:receiver", "--host",
                                 "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"])
    try:
        with scratch_servers() as (scratch, postgres, broker):
            figures = asyncio.run(run(database_url=postgres.url(), bootstrap_servers=broker.bootstrap_servers,
                                      receiver_url=f"http://127.0.0.1:{port}", outbox=scratch / "outbox",
                                      cases=cases, endpoints=endpoints, webhook_cases=webhook_cases))
    finally:
        listener.terminate()
        listener.wait(10)
    return saved("notification", figures, out,
                 ("notification alone in this process (its consumer, senders and relay), PostgreSQL, Tansu and "
                  "the receiver (partners' endpoints and a stand-in for intake's number lookup) in their own "
                  "processes, all on the machine's cores; SMS go to the file sink; failing endpoints hold each "
                  f"attempt {FAIL_SECONDS:.0f} s and answer 503"))
