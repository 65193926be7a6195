"""``gridlink up``: starts the database and broker (embedded unless configured; the embedded broker keeps its data in
the embedded object store), the four services, and stops them in order."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import asyncpg
from aiokafka.errors import KafkaError
from sqlalchemy.engine import make_url

from gridlink.embedded import EmbeddedBroker, EmbeddedObjectStore, EmbeddedPostgres, spawn, stop_process
from gridlink.keys import ensure_keypair, ensure_secret
from shared.auth import Role, issue_token
from shared.messaging.kafka import ensure_topics

SERVICES = ("intake", "dispatch", "supervision", "notification", "console")
DEFAULT_PORTS = {"intake": 8001, "dispatch": 8002, "supervision": 8003, "notification": 8004, "console": 8005}


def public_url(c: PlatformConfig) -> str:
    """Where residents reach the platform's pages: ``GRIDLINK_PUBLIC_URL`` (an https address in front of the
    console), or the console on this machine."""
    return os.environ.get("GRIDLINK_PUBLIC_URL", f"http://{c.host}:{c.ports['console']}").rstrip("/")


@dataclass
class PlatformConfig:
    data_dir: Path
    demo_data: bool = True
    database_url: str | None = None        # a server URL; each service gets its own database on it
    kafka_bootstrap_servers: str | None = None
    kafka_idempotence: bool | None = None
    kafka_replication_factor: int = 1
    postgres_port: int = 55432
    broker_port: int = 9092
    #: Where the embedded broker keeps its data: ``object-store`` (SeaweedFS under the data directory: durable) or
    #: ``memory`` (nothing survives a restart: for fast tests).
    broker_storage: str = "object-store"
    object_store_port: int = 8333
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    host: str = "127.0.0.1"

    @classmethod
    def from_env(cls, *, demo_data: bool = True) -> "PlatformConfig":
        env = os.environ
        ports = {name: int(env.get(f"{name.upper()}_PORT", port)) for name, port in DEFAULT_PORTS.items()}
        idempotence = env.get("KAFKA_IDEMPOTENCE")
        return cls(data_dir=Path(env.get("GRIDLINK_DATA_DIR", ".gridlink")).resolve(), demo_data=demo_data,
                   database_url=env.get("DATABASE_URL") or None,
                   kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
                   kafka_idempotence=None if idempotence is None else idempotence.lower() in ("1", "true", "yes"),
                   kafka_replication_factor=int(env.get("KAFKA_REPLICATION_FACTOR", 1)),
                   postgres_port=int(env.get("GRIDLINK_POSTGRES_PORT", 55432)),
                   broker_port=int(env.get("GRIDLINK_BROKER_PORT", 9092)),
                   broker_storage=_storage(env.get("GRIDLINK_BROKER_STORAGE", "object-store")),
                   object_store_port=int(env.get("GRIDLINK_OBJECT_STORE_PORT", 8333)), ports=ports)


def _storage(name: str) -> str:
    if name not in ("object-store", "memory"):
        raise ValueError(f"GRIDLINK_BROKER_STORAGE is object-store or memory, not {name!r}")
    return name


def service_database_url(server_url: str, service: str) -> str:
    return make_url(server_url).set(database=f"gridlink_{service}").render_as_string(hide_password=False)


async def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server unless it exists; its URL."""
    url = make_url(server_url)
    connection = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                       password=url.password, database=url.database or "postgres")
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def create_databases(server_url: str) -> None:
    for service in SERVICES:
        await create_database(server_url, f"gridlink_{service}")


async def _topics_once_answering(bootstrap: str, replication_factor: int, *, timeout: float = 30.0) -> list[str]:
    """The registry's topics made, once the broker answers (a broker on the object store may refuse its first
    requests while the store settles)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await ensure_topics(bootstrap, replication_factor=replication_factor)
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def _readiness(host: str, port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=2) as response:
            return json.loads(response.read())
    except Exception:
        return None


class Platform:
    """The whole platform on one machine; ``start`` then ``wait`` then ``stop``."""

    def __init__(self, config: PlatformConfig, *, say=print):
        self.config = config
        self.say = say
        self.logs = config.data_dir / "logs"
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.object_store: EmbeddedObjectStore | None = None
        self.services: dict[str, subprocess.Popen] = {}
        self.database_url = config.database_url
        self.bootstrap = config.kafka_bootstrap_servers
        self.started = False

    def start(self) -> None:
        c = self.config
        c.data_dir.mkdir(parents=True, exist_ok=True)
        if self.database_url is None:
            self.postgres = EmbeddedPostgres(c.data_dir / "postgres", port=c.postgres_port, host=c.host)
            self.say(f"starting PostgreSQL (embedded) on {c.host}:{c.postgres_port}")
            self.postgres.start(log=self.logs / "postgres.log")
            self.database_url = self.postgres.url()
        if self.bootstrap is None:
            if c.broker_storage == "object-store":
                self.object_store = EmbeddedObjectStore(
                    c.data_dir / "objects", port=c.object_store_port, host=c.host, access_key="gridlink",
                    secret_key=ensure_secret(c.data_dir, "object-store"))
                self.say(f"starting SeaweedFS (embedded object store, S3) on {c.host}:{c.object_store_port}")
                self.object_store.start(log=self.logs / "object-store.log")
            self.broker = EmbeddedBroker(port=c.broker_port, host=c.host, store=self.object_store)
            self.say(f"starting Tansu (embedded Kafka-protocol broker) on {c.host}:{c.broker_port}, its data "
                     + ("in the object store" if self.broker.durable else "in memory (kept nothing across a restart)"))
            self.broker.start(log=self.logs / "broker.log")
            self.bootstrap = self.broker.bootstrap_servers
        idempotence = c.kafka_idempotence if c.kafka_idempotence is not None else self.broker is None
        asyncio.run(create_databases(self.database_url))
        created = asyncio.run(_topics_once_answering(self.bootstrap, c.kafka_replication_factor))
        self.say(f"topics: {len(created)} created" if created else "topics: present")
        private_key, public_key = ensure_keypair(c.data_dir)
        # Notification fetches the numbers of residents to text from intake (audited there) as a service; the
        # gateways it has no address for are file sinks in the data directory.
        own = {"notification": {
            "SERVICE_TOKEN": issue_token(private_key, role=Role.SERVICE, jurisdiction="cn-changning",
                                         subject="service:notification", ttl=timedelta(days=365)),
            "INTAKE_URL": f"http://{c.host}:{c.ports['intake']}", "OUTBOX_DIR": str(c.data_dir / "outbox"),
            # The link in residents' messages: the residents' tracking page at the platform's public address
            # (GRIDLINK_PUBLIC_URL), the console's own on this machine otherwise.
            "TRACK_URL": public_url(c) + "/track/{tracking_code}"},
            # The console signs its users' short-lived tokens, which the services verify with the public key.
            # It acts on its users' behalf at the services that own each action.
            "console": {"JWT_PRIVATE_KEY": private_key, **{f"{owner.upper()}_URL": f"http://{c.host}:{c.ports[owner]}"
                                                           for owner in ("intake", "dispatch", "supervision",
                                                                         "notification")}}}
        # Only intake receives the messaging-group bridge's webhooks; the bridge signs them with this secret.
        os.environ.setdefault("INTAKE_MESSAGING_BRIDGE_SECRET", ensure_secret(c.data_dir, "messaging-bridge"))
        for name in SERVICES:
            prefix = name.upper()
            env = dict(os.environ)
            for key, value in {
                "DATABASE_URL": service_database_url(self.database_url, name),
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                "KAFKA_IDEMPOTENCE": str(idempotence).lower(),
                "KAFKA_REPLICATION_FACTOR": str(c.kafka_replication_factor),
                "PORT": str(c.ports[name]),
                "HOST": c.host,
                "JWT_PUBLIC_KEY": public_key,
                "DEMO_DATA": str(c.demo_data).lower(),
                # A new broker in memory has empty topics: whatever it lost is sent again from the outboxes.
                "OUTBOX_REPLAY_HOURS": "72" if self.broker and not self.broker.durable else "0",
                # The local footing shows its metrics to anyone on this machine; production asks a scraper's token.
                "PUBLIC_METRICS": "true",
                **own.get(name, {}),
            }.items():
                env.setdefault(f"{prefix}_{key}", value)
            self.services[name] = spawn([sys.executable, "-m", f"services.{name}"], log=self.logs / f"{name}.log",
                                        env=env)
        self.say(f"the console's pages will be at http://{c.host}:{c.ports['console']} once it is ready")
        self._wait_ready(timeout=120)
        self.started = True

    def _wait_ready(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = set(SERVICES)
        while waiting:
            for name in sorted(waiting):
                process = self.services[name]
                if process.poll() is not None:
                    tail = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()[-15:]
                    raise RuntimeError(f"{name} exited with code {process.returncode} during start:\n" + "\n".join(tail))
                report = _readiness(self.config.host, self.config.ports[name])
                if report and report.get("status") in ("ready", "degraded"):
                    waiting.discard(name)
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(sorted(waiting))}")
            time.sleep(0.2)

    def urls(self) -> dict[str, str]:
        return {name: f"http://{self.config.host}:{self.config.ports[name]}" for name in SERVICES}

    def running(self) -> bool:
        """Every service, and the embedded servers, still alive."""
        embedded = [s.process for s in (self.postgres, self.object_store, self.broker) if s is not None]
        return all(p is not None and p.poll() is None for p in [*self.services.values(), *embedded])

    def drain(self, *, timeout: float = 30.0) -> bool:
        """Close the doors (intake first), then wait until every outbox is published and every consumer caught up."""
        for name in SERVICES:
            process = self.services.get(name)
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGUSR1)  # every worker process of the service
        deadline = time.monotonic() + timeout
        quiet_rounds = 0
        while time.monotonic() < deadline:
            reports = [_readiness(self.config.host, self.config.ports[n]) for n in self.services]
            busy = [r for r in reports if r is None or r.get("outbox_backlog", 1) or r.get("consumer_lag", 1)]
            # Three quiet looks in a row: a relay may have just published what a consumer has not fetched yet.
            quiet_rounds = quiet_rounds + 1 if not busy else 0
            if quiet_rounds >= 3:
                return True
            time.sleep(0.5)
        return False

    def stop(self) -> None:
        # Drain only a platform that came up whole: a half-started one has nothing in flight worth waiting for.
        if self.started and self.running():
            self.say("closing the doors and draining outboxes and consumer lag …")
            self.say("drained" if self.drain() else "drain timed out; what is left stays in the outboxes")
        for name in SERVICES:  # intake first
            if name in self.services:
                self.say(f"stopping {name}")
                stop_process(self.services[name], timeout=25)
        if self.broker:
            self.say("stopping the broker")
            self.broker.stop()
        if self.object_store:
            self.say("stopping the object store")
            self.object_store.stop()
        if self.postgres:
            self.say("stopping PostgreSQL")
            self.postgres.stop()
