"""The webhook sender: posts each due message to its endpoint signed per Standard Webhooks (the target checked again
first, redirects never followed), logs every attempt, tries again on the back-off schedule under the same
webhook-id, and disables an endpoint that answers 410 or has failed for days, with an alert. A slow or failing
endpoint holds at most ``webhook_per_endpoint`` of the ``webhook_concurrency`` slots, so healthy ones keep going."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import aiohttp
import structlog
from prometheus_client import Counter

from services.notification.adapters import send_queue
from services.notification.domain.endpoints import TargetRefused, check_target, may_connect, names_a_host
from services.notification.domain.partners import WebhookStatus
from services.notification.domain.retries import Outcome, next_attempt_at, outcome_of
from shared.messaging.unit_of_work import UnitOfWorkFactory
from shared.runtime.loop import Loop
from shared.webhooks import signed_headers

log = structlog.get_logger(__name__)
ATTEMPTS = Counter("gridlink_webhook_attempts_total", "Webhook delivery attempts, by outcome", ["outcome"])
DISABLED = Counter("gridlink_webhook_endpoints_disabled_total", "Webhook endpoints disabled, by reason", ["reason"])
USER_AGENT = "gridlink-webhooks/1"
MAX_ANSWER_BYTES = 65536

class CheckedResolver(aiohttp.ThreadedResolver):
    """Name resolution for the webhook sender that drops every address a webhook may not reach: the check before an
    attempt and the connection cannot see different answers (DNS rebinding)."""

    def __init__(self, allowed_networks: list[str]):
        super().__init__()
        self._allowed = allowed_networks

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        found = await super().resolve(host, port, family)
        kept = [r for r in found if may_connect(r["host"], self._allowed)]
        if not kept:
            raise OSError(f"{host} resolves to no address a webhook may reach")
        return kept


class EndpointClients:
    """One small HTTP connection pool per endpoint (aiohttp: several times httpx's requests per core), never
    following redirects. A pool idle for ``idle_seconds`` is closed."""

    def __init__(self, *, timeout: float, per_endpoint: int, allowed_networks: list[str],
                 idle_seconds: float = 120.0):
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(3.0, timeout))
        self._allowed = allowed_networks
        self._per_endpoint, self._idle = per_endpoint, idle_seconds
        self._tls = ssl.create_default_context()  # loading the CA store costs milliseconds: once, for all pools
        self._clients: dict[UUID, tuple[aiohttp.ClientSession, float]] = {}

    def of(self, endpoint_id: UUID) -> aiohttp.ClientSession:
        client = self._clients.get(endpoint_id, (None, 0.0))[0]
        if client is None:
            client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._per_endpoint, ssl=self._tls,
                                               resolver=CheckedResolver(self._allowed)), timeout=self._timeout,
                trust_env=False, auto_decompress=False)
        self._clients[endpoint_id] = (client, time.monotonic())
        return client

    async def close_idle(self) -> None:
        cutoff = time.monotonic() - self._idle
        for key, (client, used) in list(self._clients.items()):
            if used < cutoff:
                del self._clients[key]
                await client.close()

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for client, _ in clients.values():
            await client.close()


@dataclass(frozen=True)
class Attempt:
    """One try of one message, as the delivery log keeps it."""

    message_id: str
    endpoint_id: UUID
    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookSender:
    def __init__(self, uow: UnitOfWorkFactory, clients: EndpointClients, *, schedule: tuple[timedelta, ...],
                 disable_after: timedelta, concurrency: int, per_endpoint: int, timeout: float,
                 allowed_networks: list[str], poll_seconds: float):
        self._uow, self._clients, self._schedule = uow, clients, schedule
        self._disable_after, self._concurrency, self._per_endpoint = disable_after, concurrency, per_endpoint
        self._lease = timedelta(seconds=timeout + 30)
        self._allowed, self._poll = allowed_networks, poll_seconds
        self._in_flight: dict[UUID, int] = defaultdict(int)
        self._tasks: set[asyncio.Task] = set()
        self._done: list[Attempt] = []
        self._claims: Loop | None = None
        self._log_rounds = 0

    def wake(self) -> None:
        """New messages were committed (or a slot freed): look now rather than at the next poll."""
        if self._claims is not None:
            self._claims.wake()

    async def _claim_round(self) -> bool:
        """Start what is due for the free slots; with every slot taken, wait for one to free. True: look again now."""
        started = await self.start_due()
        if len(self._tasks) >= self._concurrency:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            return True
        return started > 0

    async def _log_round(self) -> None:
        self._log_rounds += 1
        await self.write_log()
        if self._log_rounds % 1200 == 0:  # once a minute
            await self._clients.close_idle()

    async def run(self) -> None:
        # A slot freed or new messages committed cut the claim loop's wait short; after a wake-up it lets a few more
        # attempts finish, so that one claim takes them all.
        self._claims = Loop("webhook-claims", self._claim_round, interval=self._poll, settle=0.005)
        writer = asyncio.create_task(Loop("webhook-log", self._log_round, interval=0.05).run(),
                                     name="webhook-log-writer")
        try:
            await self._claims.run()
        finally:
            writer.cancel()
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=5)
            with suppress(Exception):
                await self.write_log()

    async def start_due(self, *, now: datetime | None = None) -> int:
        """Claim due messages for the free slots and start an attempt for each; returns how many started."""
        room = self._concurrency - len(self._tasks)
        if room <= 0:
            return 0
        now = now or datetime.now(UTC)
        busy = list(self._in_flight.items())
        async with self._uow() as uow:
            rows = await send_queue.claim_webhook_messages(uow, now=now, busy=dict(busy),
                                                           per_endpoint=self._per_endpoint, batch=min(room, 500),
                                                           lease_until=now + self._lease)
        for row in rows:
            self._in_flight[row.endpoint_id] += 1
            task = asyncio.create_task(self._attempt(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(rows)

    async def _attempt(self, row) -> None:
        started, attempted_at = time.perf_counter(), datetime.now(UTC)
        status_code = error = None
        try:
            # The name may point elsewhere since registration: checked again (a name off the event loop: it may block).
            if names_a_host(row.url):
                await asyncio.to_thread(check_target, row.url, allowed_networks=self._allowed)
            else:
                check_target(row.url, allowed_networks=self._allowed)
            body = row.payload.encode()
            headers = {**signed_headers(row.secret, row.id, body), "content-type": "application/json",
                       "user-agent": USER_AGENT}
            async with self._clients.of(row.endpoint_id).post(row.url, data=body, headers=headers,
                                                              allow_redirects=False) as response:
                status_code = response.status
                await response.content.read(MAX_ANSWER_BYTES)  # what the partner says is not kept
            if 300 <= status_code < 400:
                error = f"redirect ({status_code}) not followed"
            elif not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except TargetRefused as exc:
            error = exc.code
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = f"no answer ({type(exc).__name__})"
        finally:
            self._in_flight[row.endpoint_id] -= 1
            if self._in_flight[row.endpoint_id] <= 0:
                del self._in_flight[row.endpoint_id]
            self.wake()  # a slot is free: the endpoint may have more due
        self._done.append(Attempt(row.id, row.endpoint_id, row.attempts + 1, attempted_at, status_code, error,
                                  round((time.perf_counter() - started) * 1000)))

    async def write_log(self) -> int:
        """Settle the finished attempts in one transaction: the log, each message's next step, each endpoint's
        health (disabled on 410, on a target now refused, or after failing for too long)."""
        done, self._done = self._done, []
        if not done:
            return 0
        try:
            await self._settle(done)
        except BaseException:
            self._done[:0] = done  # written on the next round; nothing is lost
            raise
        return len(done)

    async def _settle(self, done: list[Attempt]) -> None:
        attempts, settled, healthy, failing, to_disable = [], [], set(), {}, {}
        for a in done:
            outcome = outcome_of(a.status_code)
            next_at = None
            if outcome is Outcome.DELIVERED:
                healthy.add(a.endpoint_id)
                status = WebhookStatus.DELIVERED
            else:
                failing.setdefault(a.endpoint_id, a.attempted_at)
                if outcome is Outcome.GONE:
                    to_disable[a.endpoint_id] = "the endpoint answered 410 Gone"
                elif a.error == "forbidden_target":
                    to_disable[a.endpoint_id] = "the URL now resolves to an internal address"
                next_at = None if a.endpoint_id in to_disable else next_attempt_at(self._schedule, a.attempt,
                                                                                   a.attempted_at)
                status = WebhookStatus.PENDING if next_at else WebhookStatus.FAILED
            ATTEMPTS.labels(outcome.value).inc()
            attempts.append(dict(message_id=a.message_id, attempt=a.attempt, attempted_at=a.attempted_at,
                                 status_code=a.status_code, error=a.error, duration_ms=a.duration_ms,
                                 next_attempt_at=next_at))
            settled.append(dict(message_id=a.message_id, new_status=status, attempt=a.attempt,
                                next_at=next_at or a.attempted_at, status_code=a.status_code,
                                error=a.error if status != WebhookStatus.DELIVERED else None,
                                delivered=a.attempted_at if status == WebhookStatus.DELIVERED else None))
        async with self._uow() as uow:
            disabled = await send_queue.settle_webhook_attempts(
                uow, attempts=attempts, settled=settled, healthy=healthy, failing=failing, to_disable=to_disable,
                failing_before=datetime.now(UTC) - self._disable_after)
        for endpoint_id, partner, reason in disabled:
            # The alert: operators watch error logs and this counter; the partner sees the reason on its endpoint.
            DISABLED.labels("gone" if "410" in reason else "internal" if "internal" in reason else "failing").inc()
            log.error("webhook endpoint disabled", endpoint_id=str(endpoint_id), partner=partner, reason=reason)


async def send_webhooks(runtime) -> None:
    """The service's worker: one sender per process."""
    settings = runtime.settings
    clients = EndpointClients(timeout=settings.webhook_timeout_seconds, per_endpoint=settings.webhook_per_endpoint,
                              allowed_networks=settings.allowed_networks)
    sender = WebhookSender(
        runtime.uow, clients, schedule=settings.retry_schedule,
        disable_after=timedelta(hours=settings.webhook_disable_after_hours), concurrency=settings.webhook_concurrency,
        per_endpoint=settings.webhook_per_endpoint, timeout=settings.webhook_timeout_seconds,
        allowed_networks=settings.allowed_networks, poll_seconds=settings.webhook_poll_seconds)
    runtime.uow.after_commit.append(sender.wake)
    try:
        await sender.run()
    finally:
        await clients.aclose()
