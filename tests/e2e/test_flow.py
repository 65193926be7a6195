"""The thin flow end to end: a report through all four services, tracked by the resident; routing by grid and sub-item;
idempotent retries; numbers masked on the way out; every service's health."""

from __future__ import annotations

import json
import time
from datetime import datetime

import httpx
import pytest

from tests.e2e.client import HUAYANG, JIANGSU, NAME, PHONE, bearer, problem, report, wait_for

pytestmark = pytest.mark.e2e


def test_a_report_flows_through_all_four_services_and_the_resident_can_track_it(platform):
    accepted = report(platform)
    assert accepted.status_code == 201, accepted.text
    code = accepted.json()["tracking_code"]
    assert accepted.json()["status"] == "received"

    track = f"{platform.url('intake')}/v1/track/{code}?phone_last4={PHONE[-4:]}"
    status = wait_for(lambda: httpx.get(track).json(),
                      lambda s: s["status"] == "dispatched" and s["expected_completion_at"] is not None)
    assert status["unit"] == "区建设和管理委员会" and (status["status_zh"], status["status_en"]) == ("已派发", "dispatched")
    assert [e["kind"] for e in status["timeline"]] == ["received", "dispatched"]
    assert datetime.fromisoformat(status["expected_completion_at"]) > datetime.fromisoformat(status["reported_at"])
    times = [status["reported_at"], status["expected_completion_at"], *(e["at"] for e in status["timeline"])]
    assert all(t.endswith("+08:00") for t in times), times  # the resident's own clock, never UTC's "Z"
    assert PHONE not in json.dumps(status) and NAME not in json.dumps(status)

    dispatcher = bearer(platform.token("dispatcher"))
    queue = httpx.get(f"{platform.url('dispatch')}/v1/units/cn-construction/queue", headers=dispatcher).json()
    case_id = next(c["case_id"] for c in queue if c["category"] == "drainage")
    case = httpx.get(f"{platform.url('dispatch')}/v1/cases/{case_id}", headers=dispatcher).json()
    assert case["rule_id"] == "r-drainage" and case["history"][0]["rule_id"] == "r-drainage"

    supervisor = bearer(platform.token("supervisor"))
    deadlines = wait_for(
        lambda: httpx.get(f"{platform.url('supervision')}/v1/cases/{case_id}/deadlines", headers=supervisor).json(),
        lambda d: len(d) == 2)
    assert {d["kind"] for d in deadlines} == {"sign_for", "completion"}
    assert all(d["unit_id"] == "cn-construction" for d in deadlines)

    deliveries = wait_for(
        lambda: httpx.get(f"{platform.url('notification')}/v1/cases/{case_id}/deliveries", headers=supervisor).json(),
        lambda d: len(d) == 4)
    assert {(d["audience"], d["recipient"], d["template"]) for d in deliveries} == {
        ("resident", f"resident:{case_id}", "received"), ("resident", f"resident:{case_id}", "dispatched"),
        ("unit", "unit:cn-construction", "new_assignment"), ("unit", "unit:cn-greening", "assisting")}
    assert all(PHONE not in d["body"] and NAME not in d["body"] for d in deliveries)
    unit = bearer(platform.token("unit_staff", unit="cn-construction"))
    inbox = httpx.get(f"{platform.url('notification')}/v1/units/cn-construction/inbox", headers=unit).json()
    assert any(d["template"] == "new_assignment" for d in inbox)

    # The logs follow the case across services by its id and correlation id, and never name the resident.
    logs = {s: (platform.data_dir / "logs" / f"{s}.log").read_text(encoding="utf-8")
            for s in ("intake", "dispatch", "supervision", "notification")}
    correlation_ids = set()
    for service in ("dispatch", "supervision", "notification"):
        consumed = [json.loads(line) for line in logs[service].splitlines()
                    if '"event consumed"' in line and case_id in line]
        assert consumed and all(e["event_id"] and e["case_id"] == case_id for e in consumed), service
        correlation_ids |= {e["correlation_id"] for e in consumed}
    assert len(correlation_ids) == 1  # the report's request started the flow; every event after it carries its id
    assert all(PHONE not in text and NAME not in text for text in logs.values())


def test_a_case_is_routed_by_grid_and_category_to_the_local_unit(platform):
    code = report(platform, category="elderly-care", description="独居老人需要助餐服务", location=JIANGSU).json()[
        "tracking_code"]
    status = wait_for(lambda: httpx.get(f"{platform.url('intake')}/v1/track/{code}?phone_last4={PHONE[-4:]}").json(),
                      lambda s: s["status"] == "dispatched")
    assert status["unit"] == "华山居委会"  # local handling: the community committee of the grid


def test_an_anonymous_report_is_tracked_by_code_alone(platform):
    # Its own problem, not the drainage case the other tests report (it would join that case as a co-report).
    response = report(platform, anonymous=True, contact=None, category="street-lighting", location=JIANGSU,
                      description="华山路上的路灯整晚不亮")
    assert response.status_code == 201
    status = httpx.get(f"{platform.url('intake')}/v1/track/{response.json()['tracking_code']}")
    assert status.status_code == 200 and status.json()["status"] in ("received", "dispatched")


def test_a_named_report_is_read_back_only_with_the_last_four_digits_of_the_phone(platform):
    code = report(platform).json()["tracking_code"]
    url = f"{platform.url('intake')}/v1/track/{code}"
    problem(httpx.get(url), 401, "phone_last4_required", "phone_last4")
    problem(httpx.get(f"{url}?phone_last4=0000"), 404, "not_found")
    assert httpx.get(f"{url}?phone_last4={PHONE[-4:]}").status_code == 200
    problem(httpx.get(f"{url}?phone_last4=12"), 422, "invalid_format", "phone_last4")


def test_a_retried_report_with_the_same_idempotency_key_creates_one_case(platform):
    key = f"retry-{time.monotonic_ns()}"
    first = httpx.post(f"{platform.url('intake')}/v1/reports", headers={"Idempotency-Key": key}, json={
        "category": "noise", "description": "夜间施工噪音", "location": HUAYANG, "anonymous": True})
    again = httpx.post(f"{platform.url('intake')}/v1/reports", headers={"Idempotency-Key": key}, json={
        "category": "noise", "description": "夜间施工噪音", "location": HUAYANG, "anonymous": True})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    reused = httpx.post(f"{platform.url('intake')}/v1/reports", headers={"Idempotency-Key": key}, json={
        "category": "noise", "description": "另一件事", "location": HUAYANG, "anonymous": True})
    problem(reused, 422, "idempotency_key_reused", "Idempotency-Key")
    problem(httpx.post(f"{platform.url('intake')}/v1/reports", headers={"Idempotency-Key": "short"}, json={}),
             422, "invalid_format", "Idempotency-Key")


def test_concurrent_retries_with_one_idempotency_key_create_one_case(platform):
    import asyncio

    key = f"concurrent-{time.monotonic_ns()}"
    body = {"category": "sanitation", "description": "垃圾未清运", "location": JIANGSU, "anonymous": True}

    async def burst():
        async with httpx.AsyncClient() as client:
            return await asyncio.gather(*[client.post(f"{platform.url('intake')}/v1/reports", json=body,
                                                      headers={"Idempotency-Key": key}) for _ in range(8)])

    answers = asyncio.run(burst())
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["tracking_code"] for a in answers}) == 1


def test_numbers_written_into_a_report_leave_intake_masked(platform):
    import asyncio

    from tests.samples import read_topic

    code = report(platform, description=f"楼道灯坏了，请回电{PHONE}").json()["tracking_code"]
    broker = f"127.0.0.1:{platform.env['GRIDLINK_BROKER_PORT']}"
    published = wait_for(
        lambda: [json.loads(r.value) for r in asyncio.run(read_topic(broker, "gridlink.intake.cases"))
                 if json.loads(r.value).get("tracking_code") == code],
        lambda found: len(found) == 1)
    assert PHONE not in published[0]["description"]
    assert f"{PHONE[:3]}****{PHONE[-4:]}" in published[0]["description"]
    assert published[0]["reporter"]["phone_masked"] == f"{PHONE[:3]}****{PHONE[-4:]}"
    assert NAME not in json.dumps(published[0], ensure_ascii=False)


def test_every_service_reports_health_readiness_and_metrics(platform):
    for service in ("intake", "dispatch", "supervision", "notification"):
        assert httpx.get(f"{platform.url(service)}/healthz").json() == {"status": "alive"}
        ready = httpx.get(f"{platform.url(service)}/readyz").json()
        assert ready["database"] == "ok" and ready["broker"] == "ok" and "outbox_backlog" in ready
        metrics = httpx.get(f"{platform.url(service)}/metrics").text
        for name in ("gridlink_http_requests_total", "gridlink_outbox_backlog", "gridlink_events_consumed_total",
                     "gridlink_events_produced_total", "gridlink_consumer_lag", "gridlink_dead_lettered_total"):
            assert name in metrics, (service, name)
    assert 'gridlink_events_produced_total{topic="gridlink.intake.cases"' in httpx.get(
        f"{platform.url('intake')}/metrics").text
