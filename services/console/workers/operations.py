"""The operations watch: every ``CONSOLE_OPERATIONS_SAMPLE_SECONDS`` each service's readiness (status, outbox backlog,
consumer lag, degradations such as a missing calendar year) and its counters (requests, server errors,
dead-lettered records) are kept as a sample, so the operations page can chart the last hour; older samples go."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from sqlalchemy import delete, insert

from services.console.adapters import tables
from shared.auth import Role, issue_token
from shared.runtime.loop import Loop
from shared.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)
KEEP = timedelta(hours=2)
_SAMPLE = re.compile(r"^(gridlink_http_requests_total|gridlink_dead_lettered_total)\{([^}]*)\} ([0-9.e+]+)$", re.M)


def counters(metrics: str) -> dict[str, float]:
    """Requests served, those answered 5xx, and records dead-lettered, summed from a Prometheus text page."""
    found = {"requests": 0.0, "errors": 0.0, "dead_lettered": 0.0}
    for name, labels, value in _SAMPLE.findall(metrics):
        if name == "gridlink_dead_lettered_total":
            found["dead_lettered"] += float(value)
        else:
            found["requests"] += float(value)
            if re.search(r'status="5\d\d"', labels):
                found["errors"] += float(value)
    return found


async def operations(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    urls = {"intake": settings.intake_url, "dispatch": settings.dispatch_url,
            "supervision": settings.supervision_url, "notification": settings.notification_url,
            "console": f"http://127.0.0.1:{settings.port}"}
    client = httpx.AsyncClient(timeout=5)

    async def round() -> None:
        token = issue_token(settings.jwt_private_key, role=Role.SERVICE, jurisdiction=settings.jurisdiction_id,
                            subject="service:console", ttl=timedelta(minutes=5))
        now, rows = datetime.now(UTC), []
        for service, url in urls.items():
            row = {"at": now, "service": service, "status": "unreachable", "outbox_backlog": None,
                   "consumer_lag": None, "reasons": [], "requests": None, "errors": None, "dead_lettered": None}
            try:
                ready = (await client.get(f"{url}/readyz")).json()
                row.update(status=ready.get("status", "unknown"), outbox_backlog=ready.get("outbox_backlog"),
                           consumer_lag=ready.get("consumer_lag"), reasons=ready.get("degraded", []))
                metrics = await client.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"})
                if metrics.status_code == 200:
                    row.update(counters(metrics.text))
            except (httpx.HTTPError, ValueError):
                pass
            rows.append(row)
        async with runtime.uow.sessionmaker() as session:
            await session.execute(insert(tables.operations_samples), rows)
            await session.execute(delete(tables.operations_samples).where(tables.operations_samples.c.at < now - KEEP))
            await session.commit()

    try:
        await Loop("operations-watch", round, interval=settings.operations_sample_seconds).run()
    finally:
        await client.aclose()
