"""Assembles a service from its declaration: migrations, outbox relay, consumer, HTTP app, health and metrics."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import structlog
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import TokenVerifier
from shared.events import Event
from shared.http.access import AccessMatrix, enforce_access, operations_access
from shared.http.errors import install_error_handlers
from shared.http.middleware import BodyLimit, HostileInput, RequestContext, WriteGate
from shared.http.openapi import truthful_openapi
from shared.http.rate_limits import RateLimits
from shared.http.slow_clients import HeaderTimeoutProtocol
from shared.masking import warm_up as warm_up_masking
from shared.messaging.consumer import EventConsumer, Handler
from shared.messaging.kafka import ensure_topics, make_consumer, make_producer
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import MessagingTables
from shared.messaging.unit_of_work import StoreFactory, UnitOfWork, UnitOfWorkFactory
from shared.persistence.database import create_engine, create_sessionmaker
from shared.persistence.migrations import upgrade_to_head
from shared.runtime.logs import configure_logging
from shared.runtime.settings import ServiceSettings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    """Everything that makes one service what it is; the rest is the same for all four."""

    name: str
    title: str
    metadata: MetaData
    tables: MessagingTables
    migrations: Path
    routers: Sequence[APIRouter]
    #: The role × operation matrix of the routes (``api/access.yaml``): who may call each.
    access: Path
    handlers: Mapping[type[Event], Handler]
    seed_demo: Callable[[UnitOfWorkFactory], Awaitable[None]] | None = None
    #: Long-running background work of the service (an import worker, a purge), cancelled at stop.
    workers: Sequence[Callable[[ServiceRuntime], Awaitable[None]]] = ()
    #: The service's store over a unit of work (``uow.store``): the one place its commands' SQL lives.
    store: StoreFactory | None = None
    #: What makes the service work less well while it still serves (a missing calendar year): each returns the
    #: reasons, and ``/readyz`` says ``degraded`` with them (still 200).
    degradations: Sequence[Callable[[UnitOfWorkFactory], Awaitable[list[str]]]] = ()
    #: The reference data the service owns, published where it changed since last published (in a unit of work): at
    #: start, so that entries a migration, a seed or a person loaded reach every service too.
    publish_reference: Callable[[UnitOfWork], Awaitable[None]] | None = None

    def units_of_work(self, engine: AsyncEngine, settings: ServiceSettings | None = None) -> UnitOfWorkFactory:
        """Units of work on this service's database, each with the service's store and settings."""
        return UnitOfWorkFactory(create_sessionmaker(engine), self.tables, source=f"/gridlink/{self.name}",
                                 store=self.store, settings=settings)


class ServiceRuntime:
    """The live parts of a running service, started and stopped in order."""

    def __init__(self, spec: ServiceSpec, settings: ServiceSettings):
        self.spec, self.settings = spec, settings
        self.engine = create_engine(settings.database_url)
        self.uow = spec.units_of_work(self.engine, settings)
        self.producer = make_producer(settings.kafka_bootstrap_servers, idempotence=settings.kafka_idempotence,
                                      client_id=f"gridlink-{spec.name}")
        self.relay = OutboxRelay(self.uow.sessionmaker, spec.tables, self.producer,
                                 poll_interval=settings.relay_poll_seconds)
        self.uow.after_commit.append(self.relay.wake)
        self.consumer: EventConsumer | None = None
        self._kafka_consumer = None
        self._tasks: list[asyncio.Task] = []
        self._workers: list[asyncio.Task] = []

    async def start(self) -> None:
        settings = self.settings
        # Loading the name tagger takes a second or so: at start, not on the first resident's report.
        warming = asyncio.create_task(asyncio.to_thread(warm_up_masking))
        await upgrade_to_head(settings.database_url, self.spec.migrations)
        await _until_reachable(lambda: ensure_topics(settings.kafka_bootstrap_servers,
                                                     replication_factor=settings.kafka_replication_factor),
                               what="broker")
        await self.producer.start()
        if settings.outbox_replay_hours:
            replayed = await self.relay.replay(settings.outbox_replay_hours)
            log.info("outbox replay", events=replayed, hours=settings.outbox_replay_hours)
        if self.spec.seed_demo and settings.demo_data:
            await self.spec.seed_demo(self.uow)
        if self.spec.publish_reference:
            async with self.uow() as uow:
                await self.spec.publish_reference(uow)
        await warming
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for worker in self.spec.workers:
            self._workers.append(asyncio.create_task(worker(self), name=worker.__name__))
        if self.spec.handlers:
            self._kafka_consumer = make_consumer(
                settings.kafka_bootstrap_servers, group_id=f"gridlink-{self.spec.name}",
                client_id=f"gridlink-{self.spec.name}", topics=EventConsumer.topics_for(self.spec.handlers))
            await self._kafka_consumer.start()
            self.consumer = EventConsumer(
                consumer=self._kafka_consumer, dead_letters=self.producer, uow=self.uow, handlers=self.spec.handlers,
                name=self.spec.name, max_attempts=settings.consumer_max_attempts)
            self._tasks.append(asyncio.create_task(self.consumer.run(), name="event-consumer"))

    async def stop(self) -> None:
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with suppress(asyncio.CancelledError, Exception):
                await task
        if self.consumer:
            self.consumer.stop()
        self.relay.stop()
        for task in self._tasks:
            with suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)
        with suppress(Exception):
            await self.relay.drain()
        if self._kafka_consumer:
            with suppress(Exception):
                await self._kafka_consumer.stop()
        with suppress(Exception):
            await self.producer.stop()
        await self.engine.dispose()

    async def readiness(self) -> tuple[bool, dict]:
        report: dict = {"service": self.spec.name, "processes": self.settings.workers}
        ok = True
        try:
            async with asyncio.timeout(2):
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            report["database"] = "ok"
            report["outbox_backlog"] = await self.relay.backlog()
        except Exception as exc:
            ok, report["database"] = False, f"unreachable ({type(exc).__name__})"
        try:
            async with asyncio.timeout(2):
                await self.producer.client.fetch_all_metadata()
            report["broker"] = "ok"
        except Exception as exc:
            ok, report["broker"] = False, f"unreachable ({type(exc).__name__})"
        report["consumer_lag"] = await self.consumer.lag() if self.consumer else 0
        if any(t.done() for t in (*self._tasks, *self._workers)):
            ok, report["workers"] = False, "a background worker stopped"
        degraded = []
        if ok:
            for check in self.spec.degradations:
                try:
                    async with asyncio.timeout(2):
                        degraded += await check(self.uow)
                except Exception as exc:
                    degraded.append(f"check_failed: {type(exc).__name__}")
        if degraded:
            report["degraded"] = degraded
        report["status"] = "not_ready" if not ok else "degraded" if degraded else "ready"
        return ok, report


async def _until_reachable(attempt: Callable[[], Awaitable], *, what: str, timeout: float = 60.0) -> None:
    delay = 0.2
    async with asyncio.timeout(timeout):
        while True:
            try:
                await attempt()
                return
            except Exception as exc:
                log.warning("not reachable yet", what=what, error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 3)


def create_service_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(spec.name, settings.log_level)
        runtime = ServiceRuntime(spec, settings)
        app.state.runtime = runtime
        await runtime.start()
        loop = asyncio.get_running_loop()
        # SIGUSR1 closes the doors before a drain: writes get 503, consumers and the relay carry on.
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGUSR1, lambda: setattr(app.state, "accepting_writes", False))
        log.info("service started", port=settings.port)
        try:
            yield
        finally:
            app.state.accepting_writes = False
            await runtime.stop()
            log.info("service stopped")

    # The matrix's role check runs first for every route; the app refuses to start unless it covers each exactly.
    app = FastAPI(title=spec.title, version="0.1.0", lifespan=lifespan, dependencies=[Depends(enforce_access)])
    app.state.access = AccessMatrix.load(spec.access, operations_access(settings.public_metrics))
    app.state.accepting_writes = True
    app.state.rate_limits = RateLimits(settings.rate_limits(), enabled=settings.rate_limits_enabled)
    HeaderTimeoutProtocol.seconds = settings.header_timeout_seconds  # this process's connections (one per worker)
    app.state.token_verifier = TokenVerifier(settings.jwt_public_key, issuer=settings.jwt_issuer,
                                             audience=settings.jwt_audience)
    install_error_handlers(app)
    app.add_middleware(HostileInput)  # innermost: it reads bodies BodyLimit has limited already
    app.add_middleware(WriteGate, state=app.state)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, overrides=settings.body_limits(),
                       idle_seconds=settings.body_timeout_seconds)
    app.add_middleware(RequestContext)
    app.include_router(_operations_router(settings))
    for router in spec.routers:
        app.include_router(router)
    app.state.access.bind(app.routes)
    app.openapi = truthful_openapi(app, app.state.access)
    return app


def _operations_router(settings: ServiceSettings) -> APIRouter:
    # What the service is busy with is not for everyone outside the local footing: unless the setting makes metrics
    # public, a scraper presents a token (operations_access).
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict:
        return {"status": "alive"}

    @router.get("/readyz", summary="Database and broker reachable; outbox backlog and consumer lag")
    async def readyz(request: Request) -> JSONResponse:
        ok, report = await request.app.state.runtime.readiness()
        return JSONResponse(report, status_code=200 if ok else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        runtime: ServiceRuntime = request.app.state.runtime
        with suppress(Exception):
            await runtime.relay.backlog()  # sets the gauge
        if runtime.consumer:
            with suppress(Exception):
                await runtime.consumer.lag()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def serve(spec: ServiceSpec, settings: ServiceSettings, *, app_factory: str) -> None:
    """Run one service until SIGINT or SIGTERM: in this process, or in ``settings.workers`` processes that each build
    their app from ``app_factory`` ("module:function") and share the port."""
    # Until the lifespan installs the door-closing handler, SIGUSR1 must not kill the process (its default); the
    # launcher sends it to the whole process group, so every worker closes its doors.
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    common = dict(host=settings.host, port=settings.port, log_config=None, timeout_graceful_shutdown=15,
                  http=HeaderTimeoutProtocol, forwarded_allow_ips=settings.forwarded_allow_ips)
    if settings.workers > 1:
        uvicorn.run(app_factory, factory=True, workers=settings.workers, **common)
    else:
        uvicorn.run(create_service_app(spec, settings), **common)
