"""How the end-to-end tests reach the platform: a resident's report, waiting for a state, tokens, the error shape,
the new case a report opened, the points of the demo grids each journey reports at, the file sinks."""

from __future__ import annotations

import json
import time

import httpx

HUAYANG = {"lat": 31.2200, "lon": 121.4300}
JIANGSU = {"lat": 31.2240, "lon": 121.4370}
OUTSIDE = {"lat": 31.3000, "lon": 121.5000}
PHONE, NAME = "13812345678", "王秀英"


# Points of Xiushui grid 1, each further than the duplicate radius from the others and from the points above, so
# that no test's report joins another test's case.
SPOT = {"reopen": {"lat": 31.2110, "lon": 121.4260}, "extension": {"lat": 31.2110, "lon": 121.4340},
        "route": {"lat": 31.2210, "lon": 121.4260}, "photos": {"lat": 31.2210, "lon": 121.4340},
        "wait": {"lat": 31.2160, "lon": 121.4300}, "observe": {"lat": 31.2130, "lon": 121.4300},
        "accepted": {"lat": 31.2110, "lon": 121.4300}, "not_accepted": {"lat": 31.2190, "lon": 121.4260},
        "rates": {"lat": 31.2150, "lon": 121.4340}, "inbox": {"lat": 31.2170, "lon": 121.4260},
        "partners": {"lat": 31.2170, "lon": 121.4340}, "texts": {"lat": 31.2190, "lon": 121.4340},
        "english": {"lat": 31.2130, "lon": 121.4340}}


def report(platform, **changes) -> httpx.Response:
    body = {"category": "drainage", "description": "小区门口下水道堵塞，雨后积水严重", "location": HUAYANG,
            "contact": {"name": NAME, "phone": PHONE}}
    body.update(changes)
    return httpx.post(f"{platform.url('intake')}/v1/reports", json=body, timeout=10)


def wait_for(fetch, check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s; last: {value}")
        time.sleep(0.2)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def problem(response: httpx.Response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"code", "message", "field"} and body["code"] == code
    if field is not None:
        assert body["field"] == field
    return body


def case_of(platform, made: httpx.Response) -> str:
    """The new case a report opened."""
    assert made.status_code == 201 and not made.json()["linked_to_existing_case"], made.text
    operator = bearer(platform.token("operator"))
    return httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{made.json()['tracking_code']}",
                     headers=operator).json()["case_id"]


def completed(platform, case_id: str, result: str, photo: bytes | None = None) -> None:
    """The case signed for by its lead unit, each assisting unit's part reported, and completed (with a photo of the
    result, if given)."""
    dispatch = platform.url("dispatch")
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}",
                                      headers=bearer(platform.token("dispatcher"))).json(),
                    lambda c: c.get("lead_unit_id") and c.get("due_at"))
    unit = bearer(platform.token("unit_staff", unit=case["lead_unit_id"]))
    version = httpx.post(f"{dispatch}/v1/cases/{case_id}/sign", headers=unit,
                         json={"version": case["version"]}).json()["version"]
    for helper in case["assisting_unit_ids"]:
        version = httpx.post(f"{dispatch}/v1/cases/{case_id}/part", json={"version": version, "text": "已配合"},
                             headers=bearer(platform.token("unit_staff", unit=helper))).json()["version"]
    photos = [httpx.post(f"{dispatch}/v1/photos", headers=unit, timeout=10, files={
        "file": ("done.png", photo, "image/png")}).json()["photo_id"]] if photo else []
    done = httpx.post(f"{dispatch}/v1/cases/{case_id}/complete", headers=unit,
                      json={"version": version, "result": result, "photos": photos})
    assert done.status_code == 200, done.text


def png(color=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "PNG")
    return out.getvalue()


def outbox(platform, sink: str) -> list[dict]:
    """What the file sink standing in for a gateway (none is configured on the test platform) was given."""
    path = platform.data_dir / "outbox" / f"{sink}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
