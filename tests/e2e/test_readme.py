"""The README's thin flow works as printed, and its configuration table names every setting."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from services.intake.settings import IntakeSettings
from shared.runtime.settings import ServiceSettings

pytestmark = pytest.mark.e2e
README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
DEFAULT_PORTS = {"8001": "intake", "8002": "dispatch", "8003": "supervision", "8004": "notification"}


def thin_flow_script() -> str:
    return README.split("<!-- thin-flow -->", 1)[1].split("```bash", 1)[1].split("```", 1)[0]


def test_the_readmes_curl_flow_works_as_printed(platform, tmp_path):
    script = thin_flow_script()
    # Only the addresses change: the test platform listens on free ports, not on the defaults.
    for port, service in DEFAULT_PORTS.items():
        script = script.replace(f"127.0.0.1:{port}", platform.url(service).removeprefix("http://"))
    script = script.replace(".venv/bin/gridlink", f"{sys.executable} -m gridlink.cli")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=platform.env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"tracking code: [0-9A-Z]{8}", out)
    assert '"status":"dispatched"' in out and '"unit":"区建设和管理委员会"' in out
    assert '"rule_id":"r-drainage"' in out
    assert '"kind":"sign_for"' in out and '"kind":"completion"' in out
    assert '"template":"received"' in out and '"template":"dispatched"' in out and '"template":"new_assignment"' in out


def test_the_configuration_table_names_every_service_setting():
    for field in ServiceSettings.model_fields:
        assert f"`<SERVICE>_{field.upper()}`" in README, field
    for field in set(IntakeSettings.model_fields) - set(ServiceSettings.model_fields):
        assert f"`{IntakeSettings.env_name(field)}`" in README, field
