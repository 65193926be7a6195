"""The other footings: existing servers instead of embedded ones, and a service refusing a bad configuration."""

import os
import socket
import subprocess
import sys

import httpx
import pytest
from sqlalchemy.engine import make_url

from gridlink.embedded import free_port
from tests.e2e.conftest import SERVICES, RunningPlatform

pytestmark = pytest.mark.e2e


def test_a_service_with_a_missing_or_wrong_setting_refuses_to_start_and_names_the_variable():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env["DISPATCH_PORT"] = "not-a-port"
    result = subprocess.run([sys.executable, "-m", "services.dispatch"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    for expected in ("DISPATCH_DATABASE_URL is missing", "DISPATCH_KAFKA_BOOTSTRAP_SERVERS is missing",
                     "DISPATCH_JWT_PUBLIC_KEY is missing", "DISPATCH_PORT is invalid"):
        assert expected in result.stderr
    assert "Traceback" not in result.stderr


def _listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except OSError:
        return False


def test_gridlink_up_uses_existing_servers_when_configured_and_leaves_them_running(infrastructure, tmp_path):
    ports = {s: free_port() for s in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(f"{s.upper()}_" for s in SERVICES))}
    env.update({"GRIDLINK_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": infrastructure.database_url,
                "KAFKA_BOOTSTRAP_SERVERS": infrastructure.bootstrap_servers,
                "KAFKA_IDEMPOTENCE": str(infrastructure.idempotence).lower(),
                **{f"{s.upper()}_PORT": str(p) for s, p in ports.items()}})
    platform = RunningPlatform(data_dir=tmp_path / "data", env=env, ports=ports)
    platform.start()
    try:
        response = httpx.post(f"{platform.url('intake')}/v1/reports", timeout=10, json={
            "category": "street-lighting", "description": "路灯不亮", "location": {"lat": 31.2240, "lon": 121.4370},
            "anonymous": True})
        assert response.status_code == 201
        log = platform.log_tail(60)
        assert "starting PostgreSQL" not in log and "starting Tansu" not in log
        assert not (tmp_path / "data" / "postgres").exists()
    finally:
        assert platform.interrupt() == 0
    database = make_url(infrastructure.database_url)
    assert _listening(f"{database.host}:{database.port}") and _listening(infrastructure.bootstrap_servers)
