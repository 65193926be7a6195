"""Ctrl-C stops the platform in order, leaving no process behind, and the data survives a restart."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.client import PHONE, report, wait_for

pytestmark = pytest.mark.e2e


# It stops the platform and starts it again: a module of its own, with its own platform.
def test_ctrl_c_stops_everything_in_order_and_the_data_survives_a_restart(platform):
    code = report(platform).json()["tracking_code"]
    track = lambda: httpx.get(f"{platform.url('intake')}/v1/track/{code}?phone_last4={PHONE[-4:]}")  # noqa: E731
    wait_for(lambda: track().json(), lambda s: s["status"] == "dispatched")
    children = platform.descendants()
    assert len(children) >= 7  # PostgreSQL, the broker, four services and the console
    assert platform.interrupt() == 0
    time.sleep(0.5)
    assert [p.pid for p in children if p.is_running() and p.status() != "zombie"] == []
    log = platform.log_tail(20)
    order = [line for line in log.splitlines() if "stopping" in line]
    assert order == ["gridlink: stopping intake", "gridlink: stopping dispatch", "gridlink: stopping supervision",
                     "gridlink: stopping notification", "gridlink: stopping console", "gridlink: stopping the broker",
                     "gridlink: stopping PostgreSQL"]
    assert "drained" in log

    platform.start()
    status = track()
    assert status.status_code == 200 and status.json()["status"] == "dispatched"
