"""The whole platform, started as ``gridlink up`` starts it, in its own data directory and on free ports; and the
browser the page tests drive (Debian's Chromium, one per test module)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from gridlink.embedded import free_port, port_is_free
from tests.e2e.browsing import FLAGS, SHOTS, chromium_path, fonts

SERVICES = ("intake", "dispatch", "supervision", "notification", "console")


@dataclass
class RunningPlatform:
    data_dir: Path
    env: dict
    ports: dict[str, int]
    process: subprocess.Popen | None = None

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, timeout: float = 180) -> None:
        log = open(self.data_dir.parent / "platform.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen([sys.executable, "-m", "gridlink.cli", "up"], env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gridlink up exited with {self.process.returncode}:\n{self.log_tail()}")
            # Ready as the launcher sees it too (it says so once its own checks passed): a Ctrl-C before that is an
            # interrupted start, not a stop.
            if all(self._ready(s) for s in SERVICES) and "gridlink is up:" in self.log_tail(200):
                return
            time.sleep(0.5)
        raise TimeoutError(f"the platform was not ready after {timeout}s:\n{self.log_tail()}")

    def _ready(self, service: str) -> bool:
        try:
            return httpx.get(f"{self.url(service)}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True) if self.process else []

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C, as a terminal sends it; returns the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)

    def log_tail(self, lines: int = 40) -> str:
        path = self.data_dir.parent / "platform.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def token(self, role: str, unit: str | None = None, jurisdiction: str | None = None,
              subject: str | None = None, area: str | None = None) -> str:
        args = [sys.executable, "-m", "gridlink.cli", "token", "--role", role] + (["--unit", unit] if unit else [])
        args += ["--jurisdiction", jurisdiction] if jurisdiction else []
        args += ["--area", area] if area else []
        args += ["--subject", subject] if subject else []
        return subprocess.run(args, env=self.env, check=True, capture_output=True, text=True).stdout.strip()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.interrupt()


def object_store_port() -> int:
    """A port for the object store's S3 API whose companions (+1, +2, +1000, and each one's +10000 for gRPC) are
    free too."""
    while True:
        port = random.randrange(20_000, 40_000)
        if all(port_is_free("127.0.0.1", p + grpc) for p in (port, port + 1, port + 2, port + 1000)
               for grpc in (0, 10_000)):
            return port


@pytest.fixture(scope="module")
def platform(tmp_path_factory, request) -> RunningPlatform:
    base = tmp_path_factory.mktemp("platform")
    ports = {s: free_port() for s in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(f"{s.upper()}_" for s in SERVICES))}
    env.update({"GRIDLINK_DATA_DIR": str(base / "data"), "GRIDLINK_POSTGRES_PORT": str(free_port()),
                "GRIDLINK_BROKER_PORT": str(free_port()), **{f"{s.upper()}_PORT": str(p) for s, p in ports.items()},
                # The broker in memory, for speed; the module that restarts the platform keeps it in the object
                # store, as `gridlink up` does by default.
                "GRIDLINK_BROKER_STORAGE": "memory", "GRIDLINK_OBJECT_STORE_PORT": str(object_store_port()),
                # One loopback address for test receivers: every other internal address stays refused.
                "NOTIFICATION_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.2/32",
                # Retries a test can wait for: three more attempts, a second apart (jittered).
                "NOTIFICATION_WEBHOOK_RETRY_SCHEDULE": "1s,1s,1s",
                # Every test reports from one address, most with one phone number: limits a module's tests stay
                # under (a module that tests the limits sets its own, below).
                "INTAKE_REPORTS_PER_ADDRESS": "2000/minute", "INTAKE_REPORTS_PER_PHONE": "2000/minute",
                "INTAKE_PHOTOS_PER_ADDRESS": "2000/minute", "INTAKE_TRACKING_PER_ADDRESS": "5000/minute",
                **getattr(request.module, "PLATFORM_ENV", {})})
    if os.environ.get("GRIDLINK_TEST_BACKEND") == "testcontainers":
        infrastructure = request.getfixturevalue("infrastructure")
        env.update({"DATABASE_URL": infrastructure.database_url,
                    "KAFKA_BOOTSTRAP_SERVERS": infrastructure.bootstrap_servers})
    else:
        env.pop("DATABASE_URL", None)
        env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    running = RunningPlatform(data_dir=base / "data", env=env, ports=ports)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Browser:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=FLAGS,
                                              env=fonts(tmp_path_factory.mktemp("fonts")))
        yield launched
        launched.close()


@pytest.fixture
def shots(request):
    """Screenshots of this test, numbered in order, kept after the run."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    taken = []

    def shoot(page: Page, name: str) -> Path:
        path = SHOTS / f"{request.node.name}-{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return shoot
