"""The platform as a resident, a dispatcher, a unit and an operator meet it: over HTTP, through the real broker."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.auth import Role, generate_keypair, issue_token
from shared.local_time import LOCAL_ZONE as SHANGHAI_TZ
from shared.webhooks import WebhookRejected, verify
from tests.receivers import LocalReceiver, Request

pytestmark = pytest.mark.e2e

HUAYANG = {"lat": 31.2200, "lon": 121.4300}
JIANGSU = {"lat": 31.2240, "lon": 121.4370}
OUTSIDE = {"lat": 31.3000, "lon": 121.5000}
PHONE, NAME = "13812345678", "王秀英"


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


def test_a_report_flows_through_all_four_services_and_the_resident_can_track_it(platform):
    accepted = report(platform)
    assert accepted.status_code == 201, accepted.text
    code = accepted.json()["tracking_code"]
    assert accepted.json()["status"] == "received"

    track = f"{platform.url('intake')}/v1/track/{code}?phone_last4={PHONE[-4:]}"
    status = wait_for(lambda: httpx.get(track).json(),
                      lambda s: s["status"] == "dispatched" and s["expected_completion_at"] is not None)
    assert status["unit"] == "区建设和管理委员会"
    assert [e["kind"] for e in status["timeline"]] == ["received", "dispatched"]
    assert datetime.fromisoformat(status["expected_completion_at"]) > datetime.fromisoformat(status["reported_at"])
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
        lambda d: len(d) == 3)
    assert {(d["audience"], d["template"]) for d in deliveries} == {
        ("resident", "received"), ("resident", "dispatched"), ("unit", "new_assignment")}
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


def _problem(response: httpx.Response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"code", "message", "field"} and body["code"] == code
    if field is not None:
        assert body["field"] == field
    return body


@pytest.mark.parametrize(("changes", "status", "code", "field"), [
    ({"category": "no-such-category"}, 422, "unknown_category", "category"),
    ({"location": OUTSIDE}, 422, "outside_jurisdiction", "location"),
    ({"description": "水" * 4001}, 422, "too_long", "description"),
    ({"description": "   "}, 422, "too_short", "description"),
    ({"location": {"lat": "north", "lon": 121.43}}, 422, "wrong_type", "location.lat"),
    ({"location": {"lat": 95, "lon": 121.43}}, 422, "out_of_range", "location.lat"),
    ({"contact": None}, 422, "missing_field", "contact"),
    ({"contact": {"name": NAME, "phone": "1381234567X"}}, 422, "invalid_format", "contact.phone"),
    ({"priority": "high"}, 422, "unknown_field", "priority"),
    ({"urgent": "very"}, 422, "wrong_type", "urgent"),
])
def test_a_bad_report_gets_a_field_error_that_echoes_no_personal_data(platform, changes, status, code, field):
    body = _problem(report(platform, **changes), status, code, field)
    text = json.dumps(body, ensure_ascii=False)
    assert NAME not in text and "1381234567X" not in text and PHONE not in text


def test_malformed_json_wrong_shapes_and_oversized_bodies_are_refused_cleanly(platform):
    url = f"{platform.url('intake')}/v1/reports"
    _problem(httpx.post(url, content=b'{"category": "drainage", ', headers={"content-type": "application/json"}),
             400, "malformed_json")
    assert httpx.post(url, json=[1, 2, 3]).status_code == 422
    assert httpx.post(url, content="not json at all", headers={"content-type": "text/plain"}).status_code in (400, 415, 422)
    _problem(httpx.post(url, content=b"{" + b" " * 2_000_000 + b"}", headers={"content-type": "application/json"}),
             413, "body_too_large")
    _problem(httpx.get(f"{platform.url('intake')}/v1/track/NOT-A-CODE"), 404, "not_found", "tracking_code")
    _problem(httpx.get(f"{platform.url('intake')}/v1/nowhere"), 404, "not_found")
    _problem(httpx.delete(f"{platform.url('intake')}/v1/reports"), 405, "method_not_allowed")


def test_a_named_report_is_read_back_only_with_the_last_four_digits_of_the_phone(platform):
    code = report(platform).json()["tracking_code"]
    url = f"{platform.url('intake')}/v1/track/{code}"
    _problem(httpx.get(url), 401, "phone_last4_required", "phone_last4")
    _problem(httpx.get(f"{url}?phone_last4=0000"), 404, "not_found")
    assert httpx.get(f"{url}?phone_last4={PHONE[-4:]}").status_code == 200
    _problem(httpx.get(f"{url}?phone_last4=12"), 422, "invalid_format", "phone_last4")


def test_routes_that_are_not_public_need_a_valid_token_with_the_right_role(platform):
    url = f"{platform.url('intake')}/v1/cases/00000000-0000-0000-0000-000000000000"
    _problem(httpx.get(url), 401, "unauthenticated", "authorization")
    _problem(httpx.get(url, headers=bearer("not.a.token")), 401, "invalid_token")
    foreign_key, _ = generate_keypair()
    _problem(httpx.get(url, headers=bearer(issue_token(foreign_key, role=Role.OPERATOR, jurisdiction="cn-changning"))),
             401, "invalid_token")
    unsigned = jwt.encode({"sub": "x", "role": "admin", "jurisdiction": "cn-changning", "iss": "gridlink",
                           "aud": "gridlink", "iat": datetime.now(UTC), "exp": datetime.now(UTC) + timedelta(hours=1)},
                          key=None, algorithm="none")
    _problem(httpx.get(url, headers=bearer(unsigned)), 401, "invalid_token")
    hs256 = jwt.encode({"sub": "x", "role": "admin"}, "a-shared-secret-of-at-least-32-bytes!", algorithm="HS256")
    _problem(httpx.get(url, headers=bearer(hs256)), 401, "invalid_token")
    _problem(httpx.get(url, headers=bearer(platform.token("unit_staff", unit="cc-feile"))), 403, "forbidden_role")
    _problem(httpx.get(url, headers=bearer(platform.token("operator"))), 404, "not_found", "case_id")
    _problem(httpx.get(f"{platform.url('intake')}/v1/cases/not-a-uuid", headers=bearer(platform.token("operator"))),
             422, "wrong_type", "case_id")


def test_unit_staff_see_only_their_own_units_cases(platform):
    report(platform)
    dispatcher = bearer(platform.token("dispatcher"))
    queue = wait_for(lambda: httpx.get(f"{platform.url('dispatch')}/v1/units/cn-construction/queue",
                                       headers=dispatcher).json(), lambda q: len(q) > 0)
    case_id = queue[0]["case_id"]
    own = bearer(platform.token("unit_staff", unit="cn-construction"))
    other = bearer(platform.token("unit_staff", unit="cc-feile"))
    assert httpx.get(f"{platform.url('dispatch')}/v1/cases/{case_id}", headers=own).status_code == 200
    _problem(httpx.get(f"{platform.url('dispatch')}/v1/cases/{case_id}", headers=other), 404, "not_found")
    _problem(httpx.get(f"{platform.url('dispatch')}/v1/units/cn-construction/queue", headers=other), 404, "not_found")
    _problem(httpx.get(f"{platform.url('dispatch')}/v1/triage", headers=other), 403, "forbidden_role")


def test_the_lead_unit_signs_notes_progress_and_completes_and_then_the_resident_judges_the_result(platform):
    made = report(platform, category="noise", description="楼下酒吧每晚音乐声很大，吵得睡不着",
                  contact={"name": NAME, "phone": "13812349876"})
    code = made.json()["tracking_code"]
    operator = bearer(platform.token("operator"))
    case_id = httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{code}", headers=operator).json()["case_id"]
    unit, other = (bearer(platform.token("unit_staff", unit=u)) for u in ("cn-enforcement", "cn-construction"))
    dispatch = platform.url("dispatch")
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200 and r.json()["due_at"] is not None).json()
    assert (case["status"], case["lead_unit_id"]) == ("dispatched", "cn-enforcement")
    # Supervision's clock reached dispatch: the unit's queue sorts and filters by it.
    queue = httpx.get(f"{dispatch}/v1/units/cn-enforcement/queue", headers=unit,
                      params={"due": "soon", "within_hours": 720, "sort": "due"}).json()
    assert case_id in [c["case_id"] for c in queue]
    dues = [c["due_at"] for c in queue]
    assert dues == sorted(dues)
    overdue = httpx.get(f"{dispatch}/v1/units/cn-enforcement/queue", headers=unit, params={"due": "overdue"}).json()
    assert case_id not in [c["case_id"] for c in overdue]

    def act(path: str, body: dict, headers=unit, key: str | None = None) -> httpx.Response:
        extra = {"Idempotency-Key": key} if key else {}
        return httpx.post(f"{dispatch}/v1/cases/{case_id}/{path}", json=body, headers={**headers, **extra}, timeout=10)

    _problem(act("sign", {"version": case["version"]}, other), 404, "not_found")  # not theirs to know of
    premature = _problem(act("complete", {"version": case["version"], "result": "已处理"}), 409, "illegal_transition")
    assert "dispatched" in premature["message"] and "sign" in premature["message"]
    signed = act("sign", {"version": case["version"]}, key="sign-once-0001")
    assert signed.status_code == 200 and signed.json()["status"] == "signed", signed.text
    replayed = act("sign", {"version": case["version"]}, key="sign-once-0001")
    assert replayed.status_code == 200 and replayed.headers.get("idempotent-replayed") == "true"
    _problem(act("progress", {"version": case["version"], "text": "已联系店主"}), 409, "stale_version", "version")
    noted = act("progress", {"version": signed.json()["version"], "text": "已到现场，联系店主 13812349876"})
    assert noted.status_code == 200 and noted.json()["status"] == "in_progress"
    _problem(act("complete", {"version": noted.json()["version"], "result": ""}), 422, "too_short", "result")
    done = act("complete", {"version": noted.json()["version"], "result": "已责令整改，晚十点后停止营业"})
    assert done.status_code == 200 and done.json()["status"] == "completed", done.text
    history = httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json()["history"]
    assert [h["action"] for h in history][-3:] == ["sign", "note_progress", "complete"]
    elsewhere = bearer(platform.token("dispatcher", jurisdiction="cn-xuhui"))
    _problem(httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=elsewhere), 404, "not_found")
    assert "13812349876" not in json.dumps(history, ensure_ascii=False)
    track = wait_for(lambda: httpx.get(f"{platform.url('intake')}/v1/track/{code}",
                                       params={"phone_last4": "9876"}).json(),
                     lambda t: t["status"] == "completed")
    assert track["unit"] and track["can_evaluate"] and "13812349876" not in json.dumps(track, ensure_ascii=False)
    kinds = [e["kind"] for e in track["timeline"]]
    assert {"received", "dispatched", "signed", "progress", "completed"} <= set(kinds), kinds
    verdict = httpx.post(f"{platform.url('intake')}/v1/track/{code}/verdict", params={"phone_last4": "9876"},
                         json={"verdict": "satisfied"}, timeout=10)
    assert verdict.status_code == 201, verdict.text


def test_a_unit_returns_a_case_with_a_reason_code_and_it_waits_in_triage(platform):
    made = report(platform, category="noise", description="夜里广场舞音响太响", location={"lat": 31.2241, "lon": 121.4371},
                  contact={"name": NAME, "phone": "13812340001"})
    operator = bearer(platform.token("operator"))
    case_id = httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{made.json()['tracking_code']}",
                        headers=operator).json()["case_id"]
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    dispatch = platform.url("dispatch")
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200).json()
    url = f"{dispatch}/v1/cases/{case_id}/return"
    _problem(httpx.post(url, json={"version": case["version"], "reason": "too_busy", "text": "x"}, headers=unit),
             422, "invalid_field", "reason")
    returned = httpx.post(url, json={"version": case["version"], "reason": "wrong_area", "text": "属于街道管辖"},
                          headers=unit, timeout=10)
    assert returned.status_code == 200 and returned.json()["status"] == "triage", returned.text
    triage = httpx.get(f"{dispatch}/v1/triage", headers=bearer(platform.token("dispatcher"))).json()
    assert case_id in [c["case_id"] for c in triage]
    _problem(httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit), 404, "not_found")  # no longer theirs


def test_dispatchers_dispatch_by_hand_open_claiming_approve_transfers_and_summon_joint_handling(platform):
    from concurrent.futures import ThreadPoolExecutor

    made = report(platform, category="noise", description="工地夜间施工噪声扰民", location={"lat": 31.2150, "lon": 121.4300},
                  contact={"name": NAME, "phone": "13812340002"})
    operator, dispatcher = bearer(platform.token("operator")), bearer(platform.token("dispatcher"))
    case_id = httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{made.json()['tracking_code']}",
                        headers=operator).json()["case_id"]
    dispatch = platform.url("dispatch")
    enforcement = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher),
                    lambda r: r.status_code == 200).json()

    def act(path: str, body: dict, headers) -> httpx.Response:
        return httpx.post(f"{dispatch}/v1/cases/{case_id}/{path}", json=body, headers=headers, timeout=10)

    # The unit gives it back; a dispatcher puts it on the claiming board; of two partners claiming at once, one wins.
    case = act("return", {"version": case["version"], "reason": "not_our_duty", "text": "属社会组织调解"},
               enforcement).json()
    _problem(act("dispatch", {"version": case["version"], "lead": "no-such-unit", "reason": "x"}, dispatcher),
             422, "unknown_unit")
    _problem(act("board", {"version": case["version"]}, enforcement), 403, "forbidden_role")
    case = act("board", {"version": case["version"]}, dispatcher).json()
    assert case["status"] == "on_claiming_board"
    partners = [bearer(platform.token("unit_staff", unit=u)) for u in ("po-social-work-station",
                                                                         "po-party-service-centre")]
    with ThreadPoolExecutor(2) as pool:
        claims = list(pool.map(lambda h: act("claim", {"version": case["version"]}, h), partners))
    assert sorted(c.status_code for c in claims) == [200, 409], [c.text for c in claims]
    winner = next(c for c in claims if c.status_code == 200).json()
    loser = next(c for c in claims if c.status_code == 409).json()
    assert loser["code"] in ("already_claimed", "stale_version")
    lead = winner["lead_unit_id"]
    lead_staff = partners[0] if lead == "po-social-work-station" else partners[1]
    # The winner asks to hand it on; a dispatcher approves; the new unit has it.
    asked = act("transfer-request", {"version": winner["version"], "to_unit": "cc-xiushui",
                                     "reason": "居委会更熟悉情况"}, lead_staff)
    assert asked.status_code == 200 and asked.json()["status"] == "transfer_requested", asked.text
    moved = act("transfer-approval", {"version": asked.json()["version"]}, dispatcher)
    assert moved.json()["lead_unit_id"] == "cc-xiushui" and moved.json()["status"] == "dispatched"
    # The whistle: two units summoned, one checks in.
    summoned = act("joint-handling", {"version": moved.json()["version"], "units": ["cc-xiushui", "gw-xiushui-g1"],
                                      "check_in_within_minutes": 60}, dispatcher)
    assert summoned.status_code == 200, summoned.text
    grid_worker = bearer(platform.token("unit_staff", unit="gw-xiushui-g1"))
    assert act("check-in", {"version": summoned.json()["version"]}, grid_worker).status_code == 200
    # The unit asks for more time; the request is in the history for supervision.
    committee = bearer(platform.token("unit_staff", unit="cc-xiushui"))
    signed = act("sign", {"version": summoned.json()["version"] + 1}, committee)
    assert signed.status_code == 200, signed.text
    later = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    extended = act("extension-request", {"version": signed.json()["version"], "reason": "需协调多方",
                                         "proposed_date": later}, committee)
    assert extended.status_code == 200 and extended.json()["status"] == "signed", extended.text
    history = httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher).json()["history"]
    assert [h["action"] for h in history][-9:] == [
        "return", "put_on_board", "claim", "request_transfer", "approve_transfer", "summon", "check_in", "sign",
        "request_extension"]


def test_the_unit_directory_is_read_by_staff_and_edited_by_an_admin_and_routing_follows(platform):
    units = f"{platform.url('dispatch')}/v1/units"
    admin, staff = bearer(platform.token("admin")), bearer(platform.token("unit_staff", unit="cc-xiushui"))
    kinds = {u["kind"] for u in httpx.get(units, headers=staff).json()}
    assert kinds == {"district_department", "street_department", "community_committee", "grid_worker",
                     "resident_unit", "partner_organisation", "enterprise", "volunteer_team"}
    serving = httpx.get(units, headers=staff, params={"kind": "grid_worker", "area": "cm-xiushui-g1"}).json()
    assert [u["id"] for u in serving] == ["gw-xiushui-g1"]
    unit = {"id": "vt-xiushui-elders", "kind": "volunteer_team", "parent_id": "cc-xiushui", "name_zh": "秀水助老志愿队",
            "name_en": "Xiushui Elder Care Volunteers", "areas": ["cm-xiushui"], "categories": ["elderly-care"],
            "contact": "021-62110099", "hours": "08:00-20:00"}
    _problem(httpx.post(units, json=unit, headers=staff), 403, "forbidden_role")
    _problem(httpx.post(units, json={**unit, "parent_id": "no-such-unit"}, headers=admin), 422, "unknown_unit",
             "parent_id")
    _problem(httpx.post(units, json={**unit, "kind": "guild"}, headers=admin), 422, "invalid_field", "kind")
    created = httpx.post(units, json=unit, headers=admin)
    assert created.status_code == 201, created.text
    _problem(httpx.post(units, json=unit, headers=admin), 409, "unit_exists", "id")
    edited = httpx.put(f"{units}/vt-xiushui-elders", headers=admin,
                       json={**{k: v for k, v in unit.items() if k != "id"}, "hours": "08:00-21:00"})
    assert edited.status_code == 200 and edited.json()["hours"] == "08:00-21:00"
    assert httpx.get(f"{units}/vt-xiushui-elders", headers=staff).json()["parent_id"] == "cc-xiushui"
    _problem(httpx.get(f"{units}/nobody", headers=staff), 404, "not_found")
    # A dispatcher can now hand a case to the new unit (it is in the routing directory at once).
    made = report(platform, category="noise", description="小区里有人夜里敲打铁器", contact={"name": NAME,
                                                                                    "phone": "13812340003"})
    operator, dispatcher = bearer(platform.token("operator")), bearer(platform.token("dispatcher"))
    case_id = httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{made.json()['tracking_code']}",
                        headers=operator).json()["case_id"]
    case = wait_for(lambda: httpx.get(f"{platform.url('dispatch')}/v1/cases/{case_id}", headers=dispatcher),
                    lambda r: r.status_code == 200).json()
    moved = httpx.post(f"{platform.url('dispatch')}/v1/cases/{case_id}/redispatch", headers=dispatcher, timeout=10,
                       json={"version": case["version"], "lead": "vt-xiushui-elders", "reason": "志愿队就近上门劝导"})
    assert moved.status_code == 200 and moved.json()["lead_unit_id"] == "vt-xiushui-elders", moved.text


# Points of Xiushui grid 1, each further than the duplicate radius from the others and from the points above, so
# that no test's report joins another test's case.
SPOT = {"reopen": {"lat": 31.2110, "lon": 121.4260}, "extension": {"lat": 31.2110, "lon": 121.4340},
        "route": {"lat": 31.2210, "lon": 121.4260}, "photos": {"lat": 31.2210, "lon": 121.4340},
        "wait": {"lat": 31.2160, "lon": 121.4300}, "observe": {"lat": 31.2130, "lon": 121.4300},
        "accepted": {"lat": 31.2110, "lon": 121.4300}, "not_accepted": {"lat": 31.2190, "lon": 121.4260},
        "rates": {"lat": 31.2150, "lon": 121.4340}, "inbox": {"lat": 31.2170, "lon": 121.4260},
        "partners": {"lat": 31.2170, "lon": 121.4340}, "texts": {"lat": 31.2190, "lon": 121.4340},
        "english": {"lat": 31.2130, "lon": 121.4340}}


def _case_of(platform, made: httpx.Response) -> str:
    """The new case a report opened."""
    assert made.status_code == 201 and not made.json()["linked_to_existing_case"], made.text
    operator = bearer(platform.token("operator"))
    return httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{made.json()['tracking_code']}",
                     headers=operator).json()["case_id"]


def _png(color=(200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "PNG")
    return out.getvalue()


def test_a_dissatisfied_verdict_reopens_the_case_to_its_unit_until_the_resident_is_satisfied(platform):
    made = report(platform, category="noise", description="楼上每天深夜拖动家具噪音很大", location=SPOT["reopen"],
                  contact={"name": NAME, "phone": "13812340011"})
    code, case_id = made.json()["tracking_code"], _case_of(platform, made)
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    dispatch, intake = platform.url("dispatch"), platform.url("intake")
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200).json()

    def act(path: str, body: dict) -> dict:
        answer = httpx.post(f"{dispatch}/v1/cases/{case_id}/{path}", json=body, headers=unit, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def verdict(value: str) -> httpx.Response:
        wait_for(lambda: httpx.get(f"{intake}/v1/track/{code}", params={"phone_last4": "0011"}).json(),
                 lambda t: t["can_evaluate"])
        return httpx.post(f"{intake}/v1/track/{code}/verdict", params={"phone_last4": "0011"}, timeout=10,
                          json={"verdict": value, "comment": "还是很吵，请回电 13812340011"})

    case = act("complete", {"version": act("sign", {"version": case["version"]})["version"], "result": "已上门劝导"})
    assert verdict("dissatisfied").status_code == 201
    # Supervision reopens round 1; dispatch gives it back to the same unit with one more redo.
    again = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json(),
                     lambda c: c["status"] == "dispatched")
    assert (again["lead_unit_id"], again["redo_count"]) == ("cn-enforcement", 1)
    reopened = next(h for h in again["history"] if h["action"] == "reopen")
    assert "13812340011" not in json.dumps(again, ensure_ascii=False) and "不满意" in reopened["note"]
    track = wait_for(lambda: httpx.get(f"{intake}/v1/track/{code}", params={"phone_last4": "0011"}).json(),
                     lambda t: "reopened" in [e["kind"] for e in t["timeline"]])
    assert track["status"] == "dispatched" and not track["can_evaluate"]
    act("complete", {"version": act("sign", {"version": again["version"]})["version"], "result": "已约谈并加装减噪垫"})
    second = verdict("satisfied")
    assert second.status_code == 201 and second.json()["round"] == 2
    time.sleep(2)  # a satisfied verdict reopens nothing
    final = httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json()
    assert (final["status"], final["redo_count"]) == ("completed", 1)


def test_a_unit_asks_for_more_time_a_supervisor_decides_and_urges_and_the_unit_sees_it(platform):
    made = report(platform, category="noise", description="附近工厂早上五点开始鸣笛", location=SPOT["extension"],
                  contact={"name": NAME, "phone": "13812340012"})
    case_id = _case_of(platform, made)
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    supervisor = bearer(platform.token("supervisor"))
    dispatch, supervision = platform.url("dispatch"), platform.url("supervision")
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200 and r.json()["due_at"] is not None).json()

    def act(path: str, body: dict) -> httpx.Response:
        return httpx.post(f"{dispatch}/v1/cases/{case_id}/{path}", json=body, headers=unit, timeout=10)

    signed = act("sign", {"version": case["version"]}).json()
    proposed = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    asked = act("extension-request", {"version": signed["version"], "reason": "需协调环保部门检测",
                                      "proposed_date": proposed})
    assert asked.status_code == 200 and asked.json()["extension_pending"], asked.text
    _problem(act("extension-request", {"version": asked.json()["version"], "reason": "再申请",
                                       "proposed_date": proposed}), 409, "extension_pending")
    pending = wait_for(lambda: httpx.get(f"{supervision}/v1/extension-requests", headers=supervisor,
                                         params={"case_id": case_id}).json(), lambda rows: len(rows) == 1)[0]
    assert (pending["unit_id"], pending["proposed_date"]) == ("cn-enforcement", proposed)
    elsewhere = bearer(platform.token("supervisor", jurisdiction="cn-xuhui"))
    assert httpx.get(f"{supervision}/v1/extension-requests", headers=elsewhere,
                     params={"case_id": case_id}).json() == []
    decision = f"{supervision}/v1/extension-requests/{pending['id']}/decision"
    _problem(httpx.post(decision, json={"approve": True, "reason": "同意"}, headers=elsewhere), 404, "not_found")
    _problem(httpx.post(decision, json={"approve": True, "reason": "同意"}, headers=unit), 403, "forbidden_role")
    approved = httpx.post(decision, json={"approve": True, "reason": "确需检测"}, headers=supervisor, timeout=10)
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    _problem(httpx.post(decision, json={"approve": False, "reason": "改主意"}, headers=supervisor), 409,
             "already_decided")
    new_due = approved.json()["due_at"]
    moved = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json(),
                     lambda c: not c["extension_pending"] and c["due_at"] == new_due)
    assert moved["history"][-1]["action"] == "decide_extension" and "approved" in moved["history"][-1]["note"]
    assert new_due.startswith(proposed)  # the close of the working day in Shanghai, in UTC, is still that date
    track = f"{platform.url('intake')}/v1/track/{made.json()['tracking_code']}?phone_last4=0012"
    told = wait_for(lambda: httpx.get(track).json(), lambda t: "extended" in [e["kind"] for e in t["timeline"]])
    assert proposed in next(e for e in told["timeline"] if e["kind"] == "extended")["text_zh"]
    deadlines = httpx.get(f"{supervision}/v1/cases/{case_id}/deadlines", headers=supervisor).json()
    assert new_due.replace("Z", "+00:00")[:16] in [d["due_at"].replace("Z", "+00:00")[:16] for d in deadlines]
    # A second request is refused with a reason; the unit sees the refusal on its case.
    asked = act("extension-request", {"version": moved["version"], "reason": "检测排期更晚", "proposed_date":
                                      (datetime.now(UTC) + timedelta(days=40)).date().isoformat()}).json()
    second = wait_for(lambda: httpx.get(f"{supervision}/v1/extension-requests", headers=supervisor,
                                        params={"case_id": case_id}).json(), lambda rows: len(rows) == 1)[0]
    refused = httpx.post(f"{supervision}/v1/extension-requests/{second['id']}/decision", headers=supervisor,
                         json={"approve": False, "reason": "已延期一次，请按期办结"}, timeout=10)
    assert refused.json()["status"] == "refused"
    after = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json(),
                     lambda c: not c["extension_pending"] and c["version"] > asked["version"])
    assert after["due_at"] == new_due and "refused" in after["history"][-1]["note"]
    # A supervisor presses the unit; the urging shows on the unit's case with the written reply it owes.
    urged = httpx.post(f"{supervision}/v1/cases/{case_id}/urging", headers=supervisor, timeout=10,
                       json={"reason": "居民多次来电，请加快办理", "reply_within_hours": 24})
    assert urged.status_code == 201, urged.text
    _problem(httpx.post(f"{supervision}/v1/cases/{case_id}/urging", headers=elsewhere, json={"reason": "x"}),
             404, "not_found")
    shown = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json(),
                     lambda c: c["escalation_level"] == "urging")
    assert shown["reply_by"] and shown["history"][-1]["action"] == "escalated:urging"


def test_supervision_keeps_the_units_clocks_stops_them_while_it_waits_and_tracks_an_explained_case(platform):
    made = report(platform, category="noise", description="夜间施工机器轰鸣影响休息", location=SPOT["wait"],
                  contact={"name": NAME, "phone": "13812340013"})
    case_id = _case_of(platform, made)
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    supervisor = bearer(platform.token("supervisor"))
    dispatch, supervision = platform.url("dispatch"), platform.url("supervision")
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200 and r.json()["due_at"] is not None).json()

    def act(path: str, body: dict) -> httpx.Response:
        return httpx.post(f"{dispatch}/v1/cases/{case_id}/{path}", json=body, headers=unit, timeout=10)

    def clocks(check):
        return wait_for(lambda: {d["kind"]: d for d in httpx.get(f"{supervision}/v1/cases/{case_id}/deadlines",
                                                                 headers=supervisor).json()}, check)

    opened = clocks(lambda d: {"sign_for", "completion"} <= set(d))
    assert [w[1] for w in opened["completion"]["warnings"]] == [0.5, 0.8]
    signed = act("sign", {"version": case["version"]}).json()
    clocks(lambda d: d["sign_for"]["status"] == "closed" and d["sign_for"]["outcome"] == "met")
    _problem(act("suspension", {"version": signed["version"], "reason": "holiday", "text": "x"}), 422,
             "invalid_field", "reason")
    waiting = act("suspension", {"version": signed["version"], "reason": "waiting_for_resident",
                                 "text": "居民外出，电话13812340013无人接听"})
    assert waiting.status_code == 200 and waiting.json()["suspended"] == "waiting_for_resident", waiting.text
    _problem(act("suspension", {"version": waiting.json()["version"], "reason": "weather", "text": "雨"}), 409,
             "already_suspended")
    paused = clocks(lambda d: d["completion"]["status"] == "paused")["completion"]
    assert paused["next_fire_at"] is None
    resumed = act("resumption", {"version": waiting.json()["version"]})
    assert resumed.status_code == 200 and resumed.json()["suspended"] is None, resumed.text
    running = clocks(lambda d: d["completion"]["status"] == "open")["completion"]
    assert running["due_at"] >= opened["completion"]["due_at"]  # never earlier for having waited
    planned = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    explained = act("explanation", {"version": resumed.json()["version"], "explanation": "需整体改造，列入明年计划",
                                    "planned_date": planned})
    assert explained.status_code == 200, explained.text
    after = clocks(lambda d: "planned" in d and d["completion"]["status"] == "closed")
    assert after["completion"]["outcome"] == "explained" and after["planned"]["due_at"].startswith(planned)
    timeline = httpx.get(f"{supervision}/v1/cases/{case_id}/timeline", headers=supervisor).json()
    kinds = [e["kind"] for e in timeline]
    for kind in ("deadline_set", "clock_closed", "clock_paused", "clock_resumed"):
        assert kind in kinds, kinds
    assert "13812340013" not in json.dumps(timeline)
    elsewhere = bearer(platform.token("supervisor", jurisdiction="cn-xuhui"))
    _problem(httpx.get(f"{supervision}/v1/cases/{case_id}/timeline", headers=elsewhere), 404, "not_found")


def test_a_case_gets_its_supervisor_and_a_resident_supervisor_follows_it_until_the_certificate_is_revoked(platform):
    made = report(platform, category="noise", description="广场舞音响声音太大", location=SPOT["observe"],
                  contact={"name": NAME, "phone": "13812340014"})
    case_id = _case_of(platform, made)
    supervision, dispatch = platform.url("supervision"), platform.url("dispatch")
    street_team = bearer(platform.token("supervisor", subject="sup-huayang"))
    watched = wait_for(lambda: httpx.get(f"{supervision}/v1/supervisors/me/cases", headers=street_team).json(),
                       lambda rows: any(r["case_id"] == case_id for r in rows))
    mine = next(r for r in watched if r["case_id"] == case_id)
    assert mine["street_id"] == "st-huayang" and mine["next_due_at"] and not mine["breached"]
    others = bearer(platform.token("supervisor", subject="sup-jiangsu"))
    assert case_id not in [r["case_id"] for r in httpx.get(f"{supervision}/v1/supervisors/me/cases",
                                                           headers=others).json()]
    team = httpx.get(f"{supervision}/v1/supervisors", headers=street_team).json()
    assert {"sup-huayang", "sup-jiangsu", "sup-elderly", "sup-district"} <= {s["id"] for s in team}

    issued = httpx.post(f"{supervision}/v1/certificates", headers=street_team,
                        json={"holder_name": "李建国", "areas": ["cm-xiushui"], "valid_days": 30})
    assert issued.status_code == 201, issued.text
    certificate = issued.json()
    assert certificate["holder"] == "李*国" and "李建国" not in issued.text
    observer = bearer(certificate["credential"])
    listed = httpx.get(f"{supervision}/v1/observer/cases", headers=observer).json()
    assert case_id in [c["case_id"] for c in listed]
    detail = httpx.get(f"{supervision}/v1/observer/cases/{case_id}", headers=observer).json()
    assert detail["deadlines"] and detail["timeline"]
    noted = httpx.post(f"{supervision}/v1/observer/cases/{case_id}/observations", headers=observer,
                       json={"text": "晚上九点后仍在播放，可联系楼长13812345670核实"})
    assert noted.status_code == 201 and "13812345670" not in noted.text, noted.text
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    seen = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json(),
                    lambda c: any(h["action"] == "observed" for h in c["history"]))
    assert certificate["number"] in next(h for h in seen["history"] if h["action"] == "observed")["note"]
    # Another area's case is not the certificate's to see; a revoked certificate sees nothing at all.
    jiangsu = _case_of(platform, report(platform, category="street-stalls", description="学校门口有流动摊贩",
                                        location=JIANGSU, contact={"name": NAME, "phone": "13812340015"}))
    _problem(httpx.get(f"{supervision}/v1/observer/cases/{jiangsu}", headers=observer), 404, "not_found")
    revoked = httpx.post(f"{supervision}/v1/certificates/{certificate['id']}/revocation", headers=street_team,
                         json={"reason": "搬离本社区"})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"], revoked.text
    _problem(httpx.get(f"{supervision}/v1/observer/cases", headers=observer), 401, "certificate_revoked")
    _problem(httpx.get(f"{supervision}/v1/observer/cases", headers=bearer("cert_forged")), 401,
             "invalid_certificate")
    _problem(httpx.post(f"{supervision}/v1/certificates", headers=unit,
                        json={"holder_name": "x", "areas": ["cm-xiushui"]}), 403, "forbidden_role")


def test_past_the_cap_on_reopenings_an_explanation_meeting_is_held_and_a_panel_rates_the_unit(platform):
    supervision, dispatch, intake = platform.url("supervision"), platform.url("dispatch"), platform.url("intake")
    admin, supervisor = bearer(platform.token("admin")), bearer(platform.token("supervisor"))
    dispatcher = bearer(platform.token("dispatcher"))
    # For this sub-item, no reopening: the first dissatisfied round goes to a meeting.
    policy = f"{supervision}/v1/jurisdictions/cn-changning/policies/help?category=elderly-care"
    assert httpx.put(policy, headers=admin, json={"sign_for_hours": 1, "completion_days": 2, "warn_at": [0.5],
                                                  "max_reopenings": 0}).status_code == 200

    def completed_and_judged(spot: str, phone: str) -> tuple[str, str]:
        made = report(platform, category="elderly-care", description="独居老人家中无人照看需要上门探访",
                      location=SPOT[spot], contact={"name": NAME, "phone": phone})
        case_id = _case_of(platform, made)
        case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher).json(),
                        lambda c: c.get("lead_unit_id") and c.get("due_at"))
        unit = bearer(platform.token("unit_staff", unit=case["lead_unit_id"]))
        signed = httpx.post(f"{dispatch}/v1/cases/{case_id}/sign", headers=unit, json={"version": case["version"]})
        assert signed.status_code == 200, signed.text
        version = signed.json()["version"]
        for helper in case["assisting_unit_ids"]:  # the grid worker reports its part first
            part = httpx.post(f"{dispatch}/v1/cases/{case_id}/part", json={"version": version, "text": "已陪同探访"},
                              headers=bearer(platform.token("unit_staff", unit=helper)))
            assert part.status_code == 200, part.text
            version = part.json()["version"]
        done = httpx.post(f"{dispatch}/v1/cases/{case_id}/complete", headers=unit,
                          json={"version": version, "result": "已上门探访"})
        assert done.status_code == 200, (case, done.text)
        track = f"{intake}/v1/track/{made.json()['tracking_code']}"
        wait_for(lambda: httpx.get(track, params={"phone_last4": phone[-4:]}).json(),
                 lambda t: t["status"] == "completed")
        judged = httpx.post(f"{track}/verdict?phone_last4={phone[-4:]}", json={"verdict": "dissatisfied"})
        assert judged.status_code == 201, judged.text
        return case_id, track

    accepted_case, accepted_track = completed_and_judged("accepted", "13812340016")
    refused_case, _ = completed_and_judged("not_accepted", "13812340017")
    called = wait_for(lambda: httpx.get(f"{supervision}/v1/meetings", headers=supervisor,
                                        params={"status": "called"}).json(),
                      lambda rows: {accepted_case, refused_case} <= {m["case_id"] for m in rows})
    meeting = {m["case_id"]: m for m in called}
    told = wait_for(lambda: httpx.get(accepted_track, params={"phone_last4": "0016"}).json(),
                    lambda t: "meeting_called" in [e["kind"] for e in t["timeline"]])
    assert told["status"] == "completed"
    scheduled = httpx.post(f"{supervision}/v1/meetings/{meeting[accepted_case]['id']}/schedule", headers=supervisor,
                           json={"scheduled_for": "2026-12-01T19:00:00+08:00", "place": "秀水居委会会议室"})
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled", scheduled.text
    held = httpx.post(f"{supervision}/v1/meetings/{meeting[accepted_case]['id']}/record", headers=supervisor,
                      json={"summary": "说明了上门服务的排班，居民表示理解", "accepted": True})
    assert held.status_code == 200 and held.json()["accepted"] is True, held.text
    _problem(httpx.post(f"{supervision}/v1/meetings/{meeting[accepted_case]['id']}/record", headers=supervisor,
                        json={"summary": "再记一次", "accepted": True}), 409, "already_held")
    # Not accepted: the case goes back to dispatch for another round.
    httpx.post(f"{supervision}/v1/meetings/{meeting[refused_case]['id']}/record", headers=supervisor,
               json={"summary": "居民不接受说明", "accepted": False}).raise_for_status()
    wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{refused_case}", headers=dispatcher).json(),
             lambda c: c["redo_count"] == 1 and c["status"] == "dispatched")

    # The accepted case touched many: a panel of the street rates the unit that handled it.
    assert httpx.post(f"{supervision}/v1/cases/{accepted_case}/wide-impact", headers=supervisor,
                      json={"reason": "涉及整栋楼独居老人"}).status_code == 200
    quarter = f"{datetime.now(UTC).year}Q{(datetime.now(UTC).month - 1) // 3 + 1}"
    members = [{"party": "community", "name": "张社区"}, {"party": "party_member", "name": "李党员"}]
    _problem(httpx.post(f"{supervision}/v1/panels", headers=supervisor,
                        json={"quarter": quarter, "street_id": "st-huayang", "members": members * 2}),
             422, "panel_incomplete", "members")
    panel = httpx.post(f"{supervision}/v1/panels", headers=supervisor, json={
        "quarter": quarter, "street_id": "st-huayang", "members": members + [{"party": "resident", "name": "王居民"}]})
    assert panel.status_code == 201 and "王居民" not in panel.text, panel.text
    panel_id = panel.json()["id"]
    docket = httpx.get(f"{supervision}/v1/panels/{panel_id}/cases", headers=supervisor).json()
    assert accepted_case in [c["case_id"] for c in docket] and refused_case not in [c["case_id"] for c in docket]
    rated = httpx.post(f"{supervision}/v1/panels/{panel_id}/ratings", headers=supervisor, json={
        "case_id": accepted_case, "community": 4, "party_member": 5, "resident": 3})
    assert rated.status_code == 201, rated.text
    _problem(httpx.post(f"{supervision}/v1/panels/{panel_id}/ratings", headers=supervisor, json={
        "case_id": accepted_case, "community": 4, "party_member": 5, "resident": 3}), 409, "already_rated")
    _problem(httpx.post(f"{supervision}/v1/panels/{panel_id}/ratings", headers=supervisor, json={
        "case_id": refused_case, "community": 4, "party_member": 5, "resident": 3}), 422, "not_on_docket")
    standing = httpx.get(f"{supervision}/v1/panels/{panel_id}/results", headers=supervisor).json()
    assert [(s["cases"], s["overall"]) for s in standing] == [(1, 4.0)]


def test_the_rates_follow_what_units_do_and_a_rebuild_from_the_journal_gives_the_same_numbers(platform):
    supervision, dispatch = platform.url("supervision"), platform.url("dispatch")
    leader, admin = bearer(platform.token("leader")), bearer(platform.token("admin"))
    period = datetime.now(UTC).astimezone(SHANGHAI_TZ).strftime("%Y-%m")

    def enforcement(rows):
        return next((r for r in rows if r["key"] == "cn-enforcement"), {"rates": {}})

    before = enforcement(httpx.get(f"{supervision}/v1/rates", headers=leader,
                                   params={"by": "unit", "period": period}).json())
    measured = before["rates"].get("response", {}).get("measured", 0)
    case_id = _case_of(platform, report(platform, category="noise", description="KTV营业到凌晨两点",
                                        location=SPOT["rates"], contact={"name": NAME, "phone": "13812340018"}))
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200 and r.json()["sign_due_at"] is not None).json()
    assert httpx.post(f"{dispatch}/v1/cases/{case_id}/sign", headers=unit,
                      json={"version": case["version"]}).status_code == 200
    after = wait_for(lambda: enforcement(httpx.get(f"{supervision}/v1/rates", headers=leader,
                                                   params={"by": "unit", "period": period}).json()),
                     lambda r: r["rates"].get("response", {}).get("measured", 0) == measured + 1)
    assert after["rates"]["response"]["rate"] is not None and after["score"] is not None
    by_street = httpx.get(f"{supervision}/v1/rates", headers=leader, params={"by": "street", "period": period}).json()
    assert "st-huayang" in [r["key"] for r in by_street]
    ranking = httpx.get(f"{supervision}/v1/rankings", headers=leader, params={"period": period, "min_measured": 1})
    assert ranking.status_code == 200 and "cn-enforcement" in [r["key"] for r in ranking.json()["ranked"]]
    _problem(httpx.get(f"{supervision}/v1/rates", headers=leader, params={"by": "unit", "period": "2026-13"}),
             422, "invalid_format", "period")
    rebuilt = httpx.post(f"{supervision}/v1/rates/rebuild", headers=admin, timeout=60)
    assert rebuilt.status_code == 200 and rebuilt.json()["same_numbers"] is True, rebuilt.text
    assert rebuilt.json()["cases"] >= 1


def test_the_mirror_wall_shows_the_public_figures_and_answers_without_personal_data(platform):
    supervision = platform.url("supervision")
    wall = wait_for(lambda: httpx.get(f"{supervision}/v1/public/mirror-wall").json(), lambda w: w["received"] > 0)
    assert wall["period"] == datetime.now(UTC).astimezone(SHANGHAI_TZ).strftime("%Y-%m")
    assert sum(t["received"] for t in wall["by_category"]) == wall["received"] and wall["by_month"]
    assert "st-huayang" in [t["key"] for t in wall["by_street"]]
    cases = httpx.get(f"{supervision}/v1/public/mirror-wall/cases", params={"limit": 200})
    assert cases.status_code == 200 and cases.headers["cache-control"].startswith("public")
    assert cases.json() and all(c["number"].startswith("GL-") for c in cases.json())
    page = httpx.get(f"{supervision}/mirror-wall")
    assert page.status_code == 200 and "镜子墙" in page.text
    for text in (cases.text, page.text, json.dumps(wall, ensure_ascii=False)):
        assert NAME not in text and "13812" not in text
    _problem(httpx.get(f"{supervision}/v1/public/mirror-wall", params={"period": "2026-13"}), 422,
             "invalid_format", "period")


def test_a_supervisor_generates_the_weekly_bulletin_as_html_and_pdf(platform):
    supervision = platform.url("supervision")
    supervisor = bearer(platform.token("supervisor"))
    made = httpx.post(f"{supervision}/v1/bulletins", headers=supervisor, json={}, timeout=30)
    assert made.status_code == 201, made.text
    week = made.json()["week"]
    assert week == datetime.now(UTC).astimezone(SHANGHAI_TZ).strftime("%G-W%V")
    html = httpx.get(f"{supervision}/v1/bulletins/{week}.html", headers=supervisor)
    assert html.status_code == 200 and "作风效能建设周通报" in html.text
    pdf = httpx.get(f"{supervision}/v1/bulletins/{week}.pdf", headers=supervisor)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == \
        "application/pdf"
    assert week in [b["week"] for b in httpx.get(f"{supervision}/v1/bulletins", headers=supervisor).json()]
    _problem(httpx.post(f"{supervision}/v1/bulletins", headers=supervisor, json={"week": "2099-W01"}), 422,
             "out_of_range", "week")
    _problem(httpx.get(f"{supervision}/v1/bulletins/2020-W01.pdf", headers=supervisor), 404, "not_found")
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    _problem(httpx.get(f"{supervision}/v1/bulletins", headers=unit), 403, "forbidden_role")


def test_units_and_supervisors_read_their_inbox_and_an_admin_s_template_is_checked_before_it_is_used(platform):
    notification, dispatch = platform.url("notification"), platform.url("dispatch")
    admin, unit = bearer(platform.token("admin")), bearer(platform.token("unit_staff", unit="cn-enforcement"))
    supervisor = bearer(platform.token("supervisor", subject="sup-huayang"))
    rule = f"{notification}/v1/templates/org.gridlink.case.dispatched.v1/unit/new_assignment/zh"
    _problem(httpx.put(rule, headers=admin, json={"source": "新派单 {{ phone }}"}), 422, "invalid_template", "source")
    _problem(httpx.put(rule, headers=admin, json={"source": "新派单 {{ unit_name "}), 422, "invalid_template",
             "source")
    _problem(httpx.put(rule, headers=unit, json={"source": "x"}), 403, "forbidden_role")
    default = next(t["source"] for t in httpx.get(f"{notification}/v1/templates", headers=admin).json()
                   if t["template"] == "new_assignment" and t["event_type"].endswith("dispatched.v1")
                   and t["locale"] == "zh")
    assert httpx.put(rule, headers=admin, json={"source": "【新派单】{{ category_code }}，请于两小时内签收"}
                     ).status_code == 200
    try:
        case_id = _case_of(platform, report(platform, category="noise", description="工地夜间打桩声音很大",
                                            location=SPOT["inbox"], contact={"name": NAME, "phone": "13812340019"}))
        mine = wait_for(lambda: httpx.get(f"{notification}/v1/inbox", headers=unit, params={"unread": True}).json(),
                        lambda box: any(m["case_id"] == case_id for m in box["messages"]))
    finally:
        httpx.put(rule, headers=admin, json={"source": default}).raise_for_status()
    message = next(m for m in mine["messages"] if m["case_id"] == case_id)
    assert message["body"] == "【新派单】noise，请于两小时内签收" and message["read_at"] is None
    read = httpx.post(f"{notification}/v1/inbox/{message['id']}/read", headers=unit)
    assert read.status_code == 200 and read.json()["read_at"], read.text
    after = httpx.get(f"{notification}/v1/inbox", headers=unit, params={"unread": True}).json()
    assert after["unread"] == mine["unread"] - 1 and message["id"] not in [m["id"] for m in after["messages"]]
    _problem(httpx.post(f"{notification}/v1/inbox/{message['id']}/read", headers=supervisor), 404, "not_found")
    # The unit asks for more time: the case's supervisor hears of it.
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200).json()
    signed = httpx.post(f"{dispatch}/v1/cases/{case_id}/sign", headers=unit, json={"version": case["version"]}).json()
    httpx.post(f"{dispatch}/v1/cases/{case_id}/extension-request", headers=unit, json={
        "version": signed["version"], "reason": "需等待检测结果",
        "proposed_date": (datetime.now(UTC) + timedelta(days=20)).date().isoformat()}).raise_for_status()
    told = wait_for(lambda: httpx.get(f"{notification}/v1/inbox", headers=supervisor).json(),
                    lambda box: any(m["case_id"] == case_id for m in box["messages"]))
    assert next(m for m in told["messages"] if m["case_id"] == case_id)["template"] == "extension_request"
    deliveries = httpx.get(f"{notification}/v1/cases/{case_id}/deliveries", headers=supervisor).json()
    assert all("13812340019" not in d["body"] and NAME not in d["body"] for d in deliveries)


def test_a_partner_registers_a_webhook_only_for_a_safe_url_and_declared_events(platform):
    notification = platform.url("notification")
    partner = bearer(platform.token("partner", subject="partner-street-app"))
    hooks = f"{notification}/v1/webhooks"
    events = ["org.gridlink.case.completed.v1"]
    for url, code in (("http://127.0.0.1:8004/v1/inbox", "forbidden_target"), ("http://10.0.0.8/hook", "forbidden_target"),
                      ("http://169.254.169.254/latest/meta-data", "forbidden_target"), ("ftp://127.0.0.2/x", "invalid_url"),
                      ("https://user:secret@127.0.0.2/x", "invalid_url")):
        _problem(httpx.post(hooks, headers=partner, json={"url": url, "event_types": events}), 422, code, "url")
    _problem(httpx.post(hooks, headers=partner, json={"url": "http://127.0.0.2:9/hook",
                                                      "event_types": ["case.whatever"]}), 422, "unknown_filter",
             "event_types")
    _problem(httpx.post(hooks, headers=partner, json={"url": "http://127.0.0.2:9/hook", "event_types": events,
                                                      "areas": ["Not An Area"]}), 422, "unknown_filter", "areas")
    _problem(httpx.post(hooks, headers=partner, json={"url": "http://127.0.0.2:9/hook", "event_types": events,
                                                      "areas": ["st-huayang", "st-nowhere"]}), 422, "unknown_filter",
             "areas")
    areas = httpx.get(f"{platform.url('intake')}/v1/areas").json()  # what a partner may filter on, from intake
    assert {"id": "st-huayang", "level": "street", "parent_id": "cn-changning"}.items() <= \
        next(a for a in areas if a["id"] == "st-huayang").items() and all("polygon" not in a for a in areas)
    _problem(httpx.post(hooks, headers=bearer(platform.token("supervisor")), json={
        "url": "http://127.0.0.2:9/hook", "event_types": events}), 403, "forbidden_role")
    made = httpx.post(hooks, headers=partner, json={"url": "http://127.0.0.2:9/hook", "event_types": events,
                                                    "areas": ["st-huayang"]})
    assert made.status_code == 201 and made.json()["secret"].startswith("whsec_"), made.text
    listed = httpx.get(hooks, headers=partner).json()
    assert [h["id"] for h in listed] == [made.json()["id"]] and "secret" not in listed[0]
    other = bearer(platform.token("partner", subject="another-partner"))
    assert httpx.get(hooks, headers=other).json() == []
    _problem(httpx.delete(f"{hooks}/{made.json()['id']}", headers=other), 404, "not_found")
    assert httpx.delete(f"{hooks}/{made.json()['id']}", headers=partner).status_code == 204


class Receiver(LocalReceiver):
    """A partner's webhook receiver: it verifies every signature with the reference verifier, answers /flaky with
    503 the first time a webhook-id comes and 204 after, /gone with 410 and /moved with a redirect to /flaky."""

    def __init__(self):
        self.secrets: dict[str, str] = {}
        self.received: list[dict] = []
        super().__init__(self._answer)

    def _answer(self, request: Request) -> tuple[int, dict[str, str]]:
        try:
            verified = verify(self.secrets[request.path], request.headers, request.body) is not None
        except (WebhookRejected, KeyError):
            verified = False
        seen = [r for r in self.received if r["id"] == request.headers.get("webhook-id")]
        self.received.append({"path": request.path, "id": request.headers.get("webhook-id"), "verified": verified,
                              "body": json.loads(request.body)})
        if request.path == "/moved":
            return 302, {"location": self.url("/flaky")}
        return {"/gone": 410}.get(request.path, 503 if request.path == "/flaky" and not seen else 204), {}

    def of(self, case_id: str, path: str) -> list[dict]:
        return [r for r in self.received if r["path"] == path and r["body"]["data"]["case_id"] == case_id]


def _partner_kafka_notices(platform, case_id: str) -> list[dict]:
    """What any Kafka client reads for the case on the partner topic (a plain aiokafka consumer)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer

    bootstrap = platform.env.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{platform.env['GRIDLINK_BROKER_PORT']}"

    async def read() -> list[dict]:
        from aiokafka import TopicPartition

        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
        await consumer.start()
        found = []
        try:
            await consumer.topics()
            partitions = [TopicPartition("gridlink.partner.cases", p)
                          for p in sorted(consumer.partitions_for_topic("gridlink.partner.cases") or ())]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            # Every record up to the end offsets as they were at the start, however many fetches that takes.
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    found += [r for r in records if r.key.decode() == case_id]
        finally:
            await consumer.stop()
        return [{"headers": dict((k, v.decode()) for k, v in r.headers), "data": json.loads(r.value)} for r in found]

    return asyncio.run(read())


def test_partners_get_signed_webhooks_retried_under_one_id_and_thin_notices_on_their_topic(platform):
    notification = platform.url("notification")
    partner = bearer(platform.token("partner", subject="partner-grid-app"))
    hooks = f"{notification}/v1/webhooks"
    receiver = Receiver()
    reported = ["org.gridlink.case.reported.v1"]
    endpoints = {}
    for path, areas in (("/flaky", ["st-huayang"]), ("/gone", []), ("/moved", []), ("/elsewhere", ["st-jiangsu"])):
        made = httpx.post(hooks, headers=partner, json={"url": receiver.url(path), "event_types": reported,
                                                        "areas": areas})
        assert made.status_code == 201, made.text
        endpoints[path], receiver.secrets[path] = made.json()["id"], made.json()["secret"]
    try:
        case_id = _case_of(platform, report(platform, location=SPOT["partners"]))
        # A 503 first, then the same message again under the same webhook-id, both signed with the secret.
        flaky = wait_for(lambda: receiver.of(case_id, "/flaky"), lambda got: len(got) >= 2)
        assert len({r["id"] for r in flaky}) == 1 and all(r["verified"] for r in flaky)
        notice = flaky[0]["body"]
        assert notice["type"] == "org.gridlink.partner.case_step.v1" and notice["specversion"] == "1.0"
        assert notice["data"]["step"] == "org.gridlink.case.reported.v1"
        assert notice["data"]["street_id"] == "st-huayang" and notice["data"]["category_code"] == "drainage"
        text = json.dumps(notice, ensure_ascii=False)
        assert PHONE not in text and NAME not in text and "下水道" not in text
        log = f"{hooks}/{endpoints['/flaky']}/messages"
        delivered = wait_for(lambda: httpx.get(log, headers=partner).json(),
                             lambda got: any(m["case_id"] == case_id and m["status"] == "delivered" for m in got))
        message = next(m for m in delivered if m["case_id"] == case_id)
        assert message["id"] == flaky[0]["id"] and message["attempts"] == 2
        detail = httpx.get(f"{log}/{message['id']}", headers=partner).json()
        assert [a["status_code"] for a in detail["attempt_log"]] == [503, 204]
        assert detail["attempt_log"][0]["next_attempt_at"] and json.loads(detail["payload"]) == notice
        # 410: the endpoint is disabled at once, with the reason for the partner.
        gone = wait_for(lambda: next(h for h in httpx.get(hooks, headers=partner).json()
                                     if h["id"] == endpoints["/gone"]), lambda h: h["status"] == "disabled")
        assert "410" in gone["disabled_reason"]
        _problem(httpx.post(f"{hooks}/{endpoints['/gone']}/messages/{message['id']}/replay", headers=partner),
                 409, "endpoint_disabled", "endpoint_id")
        # A redirect is never followed: the message is tried on the schedule, then given up, then replayed by hand.
        moved_log = f"{hooks}/{endpoints['/moved']}/messages"
        given_up = wait_for(lambda: httpx.get(moved_log, headers=partner, params={"status": "failed"}).json(),
                            lambda got: any(m["case_id"] == case_id for m in got), timeout=40)
        moved = next(m for m in given_up if m["case_id"] == case_id)
        assert moved["attempts"] == 4 and moved["last_error"] == "redirect (302) not followed"
        assert len(receiver.of(case_id, "/moved")) == 4 and len(receiver.of(case_id, "/flaky")) == 2
        replayed = httpx.post(f"{moved_log}/{moved['id']}/replay", headers=partner)
        assert replayed.status_code == 202 and replayed.json()["status"] == "pending", replayed.text
        wait_for(lambda: receiver.of(case_id, "/moved"), lambda got: len(got) == 5)
        assert {r["id"] for r in receiver.of(case_id, "/moved")} == {moved["id"]}
        # The area filter: the endpoint for another street heard nothing of this case.
        assert receiver.of(case_id, "/elsewhere") == []
        assert httpx.get(f"{hooks}/{endpoints['/elsewhere']}/messages", headers=partner).json() == []
        other = bearer(platform.token("partner", subject="another-partner"))
        _problem(httpx.get(log, headers=other), 404, "not_found", "endpoint_id")
        # The same step on the partner topic, readable by any Kafka client, as thin and masked.
        on_topic = wait_for(lambda: _partner_kafka_notices(platform, case_id), lambda got: len(got) >= 1)
        assert on_topic[0]["headers"]["ce_type"] == "org.gridlink.partner.case_step.v1"
        assert on_topic[0]["data"]["step"] == "org.gridlink.case.reported.v1"
        assert PHONE not in json.dumps(on_topic, ensure_ascii=False)
    finally:
        for endpoint_id in endpoints.values():
            httpx.delete(f"{hooks}/{endpoint_id}", headers=partner)
        receiver.close()


def _outbox(platform, sink: str) -> list[dict]:
    """What the file sink standing in for a gateway (none is configured on the test platform) was given."""
    path = platform.data_dir / "outbox" / f"{sink}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_residents_are_texted_with_their_number_fetched_from_intake_and_answered_in_their_group(platform):
    phone = "13812340077"
    made = report(platform, location=SPOT["texts"], urgent=True, contact={"name": NAME, "phone": phone},
                  category="utilities-outage", description="楼道水管爆裂，整栋楼停水")
    case_id, code = _case_of(platform, made), made.json()["tracking_code"]
    supervisor = bearer(platform.token("supervisor"))
    deliveries = f"{platform.url('notification')}/v1/cases/{case_id}/deliveries"
    # Urgent: not held for the quiet hours. The number comes from intake at the moment of sending, audited there.
    told = wait_for(lambda: httpx.get(deliveries, headers=supervisor).json(),
                    lambda ds: any(d["template"] == "received" and d["status"] == "delivered" for d in ds))
    received = next(d for d in told if d["template"] == "received")
    assert (received["channel"], received["attempts"], received["last_error"]) == ("sms", 1, None)
    texted = [m for m in _outbox(platform, "sms") if m["reference"] == f"d{received['id']}-0"]
    assert len(texted) == 1 and texted[0]["to"] == "138****0077" and code in texted[0]["text"]
    assert phone not in (platform.data_dir / "outbox" / "sms.jsonl").read_text(encoding="utf-8")
    audit = httpx.get(f"{platform.url('intake')}/v1/reveals", params={"case_id": case_id}, headers=supervisor).json()
    assert audit and {(a["actor"], a["actor_role"]) for a in audit} == {("service:notification", "service")}
    assert audit[0]["reason"].startswith("notification")
    # Only notification may ask intake for numbers.
    _problem(httpx.post(f"{platform.url('intake')}/v1/reporters/numbers", headers=supervisor,
                        json={"case_ids": [case_id], "purpose": "curious"}), 403, "forbidden_role")
    # A report from a messaging group is answered in the group, in reply to the resident's message.
    secret = (platform.data_dir / "keys" / "messaging-bridge.secret").read_text().strip()
    body = json.dumps({"message_id": "wx-9001", "group_id": "jiangsu-residents", "sender": {"nickname": "小李"},
                       "text": "华阳路口路灯坏了好几天，晚上很黑", "location": SPOT["texts"]}, ensure_ascii=False).encode()
    from shared.webhooks import signed_headers

    grouped = httpx.post(f"{platform.url('intake')}/v1/bridges/messaging-group/messages", content=body,
                         headers={**signed_headers(secret, "g-1", body), "content-type": "application/json"},
                         timeout=15)
    assert grouped.status_code == 201, grouped.text
    group_code = grouped.json()["tracking_code"]
    operator = bearer(platform.token("operator"))
    group_case = httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{group_code}",
                           headers=operator).json()["case_id"]
    in_group = wait_for(lambda: httpx.get(f"{platform.url('notification')}/v1/cases/{group_case}/deliveries",
                                          headers=supervisor).json(),
                        lambda ds: any(d["audience"] == "resident" and d["status"] == "delivered" for d in ds))
    assert {d["channel"] for d in in_group if d["audience"] == "resident"} == {"group"}
    replies = [m for m in _outbox(platform, "messaging-group") if group_code in m["text"]]
    assert replies[0]["to"] == "jiangsu-residents/wx-9001"
    assert replies[0]["text"].startswith("【gridlink】您反映的问题（")  # the dispatch; intake itself answered the receipt


def test_staff_read_their_messages_in_the_language_of_their_contact_point(platform):
    notification = platform.url("notification")
    admin, unit = bearer(platform.token("admin")), bearer(platform.token("unit_staff", unit="cn-enforcement"))
    point = f"{notification}/v1/contact-points/unit:cn-enforcement"
    _problem(httpx.put(point, headers=admin, json={"email": "not an address"}), 422, "invalid_format", "email")
    _problem(httpx.put(point, headers=admin, json={"locale": "fr"}), 422, "invalid_field", "locale")
    _problem(httpx.put(f"{notification}/v1/contact-points/resident:x", headers=admin, json={}), 422,
             "invalid_format", "recipient")
    _problem(httpx.put(point, headers=unit, json={"locale": "en"}), 403, "forbidden_role")
    made = httpx.put(point, headers=admin, json={"locale": "en", "email": "enforcement@street.example"})
    assert made.status_code == 200 and made.json()["locale"] == "en", made.text
    try:
        assert {"recipient": "unit:cn-enforcement", "email": "enforcement@street.example", "locale": "en"}.items() <= \
            next(c for c in httpx.get(f"{notification}/v1/contact-points", headers=admin).json()
                 if c["recipient"] == "unit:cn-enforcement").items()
        case_id = _case_of(platform, report(platform, category="noise", description="凌晨垃圾车作业声音很大",
                                            location=SPOT["english"]))
        told = wait_for(lambda: httpx.get(f"{notification}/v1/inbox", headers=unit).json(),
                        lambda box: any(m["case_id"] == case_id for m in box["messages"]))
    finally:
        assert httpx.delete(point, headers=admin).status_code == 204
    message = next(m for m in told["messages"] if m["case_id"] == case_id)
    assert message["body"].startswith("New case: noise") and message["channel"] == "inbox"
    # The resident is still told in Chinese.
    operator = bearer(platform.token("operator"))
    resident = [d for d in httpx.get(f"{notification}/v1/cases/{case_id}/deliveries", headers=operator).json()
                if d["audience"] == "resident"]
    assert resident and all("您反映的问题" in d["body"] for d in resident)
    _problem(httpx.delete(point, headers=admin), 404, "not_found", "recipient")
    # Messages no channel could carry are listed for admins, each with its reason (none on this platform so far).
    dead = httpx.get(f"{notification}/v1/dead-letters", headers=admin)
    assert dead.status_code == 200 and all(d["status"] == "dead_lettered" and d["last_error"] for d in dead.json())
    _problem(httpx.get(f"{notification}/v1/dead-letters", headers=operator), 403, "forbidden_role")
    _problem(httpx.post(f"{notification}/v1/dead-letters/999999999/retry", headers=admin), 404, "not_found",
             "delivery_id")


def test_the_working_calendar_and_the_time_limit_policies_are_data_an_admin_edits(platform):
    supervision = platform.url("supervision")
    supervisor, admin = bearer(platform.token("supervisor")), bearer(platform.token("admin"))
    calendar = f"{supervision}/v1/jurisdictions/cn-changning/calendar"
    shown = httpx.get(calendar, headers=supervisor, params={"year": 2026}).json()
    assert shown["years"]["2026"] == "statutory" and shown["timezone"] == "Asia/Shanghai"
    assert {"day": "2026-10-01", "workday": False, "name": "National Day"} in shown["days"]
    year = max(int(y) for y in shown["years"]) + 1
    _problem(httpx.post(f"{calendar}/{year}/statutory", headers=admin), 409, "unknown_year", "year")
    _problem(httpx.put(f"{calendar}/{year}", headers=supervisor, json={"days": []}), 403, "forbidden_role")
    _problem(httpx.put(f"{calendar}/{year}", headers=admin, json={"days": [
        {"day": f"{year - 1}-12-31", "workday": False, "name": "x"}]}), 422, "out_of_range", "days")
    entered = httpx.put(f"{calendar}/{year}", headers=admin, json={"days": [
        {"day": f"{year}-01-01", "workday": False, "name": "元旦"}]})
    assert entered.status_code == 200, entered.text
    assert entered.json()["years"][str(year)] == "edited" and year not in entered.json()["missing_years"]
    policies = f"{supervision}/v1/jurisdictions/cn-changning/policies"
    listed = httpx.get(policies, headers=supervisor).json()
    elderly = next(p for p in listed if p["category_code"] == "elderly-care")
    assert (elderly["time_limit_class"], elderly["completion_days"]) == ("help", 2)
    _problem(httpx.put(f"{policies}/complaint", headers=admin, json={"sign_for_hours": 2, "completion_days": 10,
                                                                      "warn_at": [0.9, 0.5]}), 422, "invalid_policy")
    changed = httpx.put(f"{policies}/complaint", headers=admin, json={"sign_for_hours": 2, "completion_days": 10,
                                                                       "warn_at": [0.5, 0.8, 0.9]})
    assert changed.status_code == 200 and changed.json()["warn_at"] == [0.5, 0.8, 0.9], changed.text
    restored = httpx.put(f"{policies}/complaint", headers=admin, json={"sign_for_hours": 2, "completion_days": 10})
    assert restored.json()["warn_at"] == [0.5, 0.8]
    elsewhere = bearer(platform.token("admin", jurisdiction="cn-xuhui"))
    _problem(httpx.get(calendar, headers=elsewhere), 404, "not_found")


def test_a_returned_case_is_routed_again_to_a_unit_that_did_not_return_it_by_a_rule_an_admin_wrote(platform):
    rules = f"{platform.url('dispatch')}/v1/routing-rules"
    admin, dispatcher = bearer(platform.token("admin")), bearer(platform.token("dispatcher"))
    rule = {"id": "r-noise-fallback", "category": "noise", "lead_kind": "community_committee",
            "assisting_kind": "grid_worker"}
    _problem(httpx.post(rules, json=rule, headers=dispatcher), 403, "forbidden_role")
    _problem(httpx.post(rules, json={**rule, "lead_unit_id": "cn-police"}, headers=admin), 422, "invalid_field")
    _problem(httpx.post(rules, json={**rule, "lead_kind": None, "lead_unit_id": "nobody"}, headers=admin), 422,
             "unknown_unit", "lead_unit_id")
    assert httpx.post(rules, json=rule, headers=admin).status_code == 201
    _problem(httpx.post(rules, json=rule, headers=admin), 409, "rule_exists", "id")
    assert [r["id"] for r in httpx.get(rules, headers=dispatcher, params={"category": "noise"}).json()] == [
        "r-noise", "r-noise-fallback"]
    area = {"district_id": "cn-changning", "street_id": "st-huayang", "community_id": "cm-xiushui",
            "grid_id": "cm-xiushui-g1"}
    question = {"category_code": "noise", "category_class": "livelihood", "area": area}
    preview = httpx.post(f"{rules}/preview", json=question, headers=dispatcher).json()
    assert (preview["rule_id"], preview["lead_unit_id"]) == ("r-noise", "cn-enforcement")
    preview = httpx.post(f"{rules}/preview", json={**question, "exclude": ["cn-enforcement"]}, headers=dispatcher)
    assert preview.json() == {"rule_id": "r-noise-fallback", "lead_unit_id": "cc-xiushui",
                              "assisting_unit_ids": ["gw-xiushui-g1"]}
    # The enforcement bureau returns a case; routed again, it goes by the fallback rule, not back to the bureau.
    made = report(platform, category="noise", description="小区健身器材夜里有人使用吱吱作响", location=SPOT["route"],
                  contact={"name": NAME, "phone": "13812340013"})
    case_id = _case_of(platform, made)
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    dispatch = platform.url("dispatch")
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200).json()
    returned = httpx.post(f"{dispatch}/v1/cases/{case_id}/return", headers=unit, timeout=10,
                          json={"version": case["version"], "reason": "not_our_duty", "text": "属邻里纠纷"}).json()
    routed = httpx.post(f"{dispatch}/v1/cases/{case_id}/route", headers=dispatcher, timeout=10,
                        json={"version": returned["version"]})
    assert routed.status_code == 200, routed.text
    assert (routed.json()["lead_unit_id"], routed.json()["rule_id"]) == ("cc-xiushui", "r-noise-fallback")
    assert routed.json()["assisting_unit_ids"] == ["gw-xiushui-g1"]
    timeline = httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher).json()["history"]
    assert timeline[-1]["rule_id"] == "r-noise-fallback" and "r-noise-fallback" in timeline[-1]["note"]
    # Without the fallback rule nothing else may have it: routing again is refused, the case stays in triage.
    committee = bearer(platform.token("unit_staff", unit="cc-xiushui"))
    back = httpx.post(f"{dispatch}/v1/cases/{case_id}/return", headers=committee, timeout=10,
                      json={"version": routed.json()["version"], "reason": "missing_information", "text": "地址不详"})
    assert back.status_code == 200, back.text
    assert httpx.delete(f"{rules}/r-noise-fallback", headers=admin).status_code == 204
    _problem(httpx.delete(f"{rules}/r-noise-fallback", headers=admin), 404, "not_found")
    _problem(httpx.post(f"{dispatch}/v1/cases/{case_id}/route", headers=dispatcher,
                        json={"version": back.json()["version"]}), 409, "unroutable")
    assert httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher).json()["status"] == "triage"


def test_a_unit_attaches_its_own_photos_to_progress_and_completion(platform):
    made = report(platform, category="noise", description="菜市场清晨装卸货物噪声大", location=SPOT["photos"],
                  contact={"name": NAME, "phone": "13812340014"})
    case_id = _case_of(platform, made)
    dispatch = platform.url("dispatch")
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    other = bearer(platform.token("unit_staff", unit="cn-construction"))

    def upload(headers, content=None) -> httpx.Response:
        return httpx.post(f"{dispatch}/v1/photos", headers=headers, timeout=10,
                          files={"file": ("site.png", content or _png(), "image/png")})

    mine, theirs = upload(unit), upload(other)
    assert mine.status_code == 201 and theirs.status_code == 201, mine.text
    _problem(upload(unit, b"not an image at all"), 422, "not_an_image", "file")
    _problem(upload(bearer(platform.token("dispatcher"))), 403, "forbidden_role")
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200).json()
    signed = httpx.post(f"{dispatch}/v1/cases/{case_id}/sign", json={"version": case["version"]}, headers=unit).json()
    url = f"{dispatch}/v1/cases/{case_id}/progress"
    _problem(httpx.post(url, headers=unit, json={"version": signed["version"], "text": "现场照片",
                                                 "photos": [theirs.json()["photo_id"]]}), 422, "unknown_photo", "photos")
    noted = httpx.post(url, headers=unit, json={"version": signed["version"], "text": "现场照片",
                                                "photos": [mine.json()["photo_id"]]})
    assert noted.status_code == 200, noted.text
    detail = httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json()
    assert detail["photos"] == [mine.json()["photo_id"]]
    image = httpx.get(f"{dispatch}/v1/cases/{case_id}/photos/{mine.json()['photo_id']}", headers=unit)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    _problem(httpx.get(f"{dispatch}/v1/cases/{case_id}/photos/{mine.json()['photo_id']}", headers=other), 404,
             "not_found")


def test_an_admin_imports_units_from_a_spreadsheet_row_by_row(platform):
    import io

    from openpyxl import Workbook

    url = f"{platform.url('dispatch')}/v1/units"
    admin, staff = bearer(platform.token("admin")), bearer(platform.token("unit_staff", unit="cc-xiushui"))
    csv_text = ("单位编码,单位类型,上级单位,单位名称,英文名称,服务区域,受理事项,联系电话,工作时间\n"
                "vt-jiangsu-repair,志愿者队伍,cc-jiangsu-import,江苏路便民维修队,Jiangsu Repair Volunteers,"
                "st-jiangsu,housing-repair、street-lighting,021-62120099,08:00-18:00\n"
                "cc-jiangsu-import,居委会,,江苏路导入居委,Imported Committee,st-jiangsu,,021-62120098,09:00-17:00\n"
                "bad-kind,行会,,某行会,Guild,st-jiangsu,,,\n"
                "cc-jiangsu-import,居委会,,重复行,Dup,st-jiangsu,,,\n"
                "orphan-unit,企业,no-such-parent,孤儿企业,Orphan,st-jiangsu,,,\n")
    files = {"file": ("units.csv", csv_text.encode("gb18030"), "text/csv")}
    _problem(httpx.post(f"{url}/import", files=files, headers=staff), 403, "forbidden_role")
    dry = httpx.post(f"{url}/import", files=files, headers=admin, params={"dry_run": "true"}, timeout=20)
    assert dry.status_code == 200, dry.text
    assert dry.json()["created"] == ["cc-jiangsu-import", "vt-jiangsu-repair"]
    assert [(r["row"], r["code"], r["field"]) for r in dry.json()["refused"]] == [
        (4, "invalid_field", "kind"), (5, "duplicate_id", "id"), (6, "unknown_unit", "parent_id")]
    _problem(httpx.get(f"{url}/vt-jiangsu-repair", headers=staff), 404, "not_found")  # a dry run changes nothing
    done = httpx.post(f"{url}/import", files=files, headers=admin, timeout=20).json()
    assert done["created"] == ["cc-jiangsu-import", "vt-jiangsu-repair"] and len(done["refused"]) == 3
    unit = httpx.get(f"{url}/vt-jiangsu-repair", headers=staff).json()
    assert (unit["kind"], unit["parent_id"], unit["categories"]) == (
        "volunteer_team", "cc-jiangsu-import", ["housing-repair", "street-lighting"])
    # The same unit again from an XLSX updates it.
    book = Workbook()
    book.active.append(["id", "kind", "name_zh", "name_en", "areas", "hours"])
    book.active.append(["vt-jiangsu-repair", "volunteer_team", "江苏路便民维修队", "Repair", "st-jiangsu", "07:30-19:00"])
    out = io.BytesIO()
    book.save(out)
    again = httpx.post(f"{url}/import", headers=admin, timeout=20,
                       files={"file": ("units.xlsx", out.getvalue(), "application/octet-stream")}).json()
    assert (again["created"], again["updated"], again["refused"]) == ([], ["vt-jiangsu-repair"], [])
    assert httpx.get(f"{url}/vt-jiangsu-repair", headers=staff).json()["hours"] == "07:30-19:00"
    _problem(httpx.post(f"{url}/import", headers=admin, files={"file": ("u.csv", b"name,kind\nx,y\n", "text/csv")}),
             422, "missing_column", "file")


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
    _problem(reused, 422, "idempotency_key_reused", "Idempotency-Key")
    _problem(httpx.post(f"{platform.url('intake')}/v1/reports", headers={"Idempotency-Key": "short"}, json={}),
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


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12)
fields = st.sampled_from(["category", "description", "location", "contact", "anonymous", "urgent", "extra"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(json_values, st.dictionaries(fields, json_values, max_size=6)))
def test_no_report_body_whatever_its_shape_gets_a_500(platform, data):
    response = httpx.post(f"{platform.url('intake')}/v1/reports", json=data, timeout=10)
    assert response.status_code in (201, 400, 413, 422), response.text
    if response.status_code != 201:
        assert set(response.json()) >= {"code", "message", "field"}


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


# Last: it stops the platform and starts it again.
def test_ctrl_c_stops_everything_in_order_and_the_data_survives_a_restart(platform):
    code = report(platform).json()["tracking_code"]
    track = lambda: httpx.get(f"{platform.url('intake')}/v1/track/{code}?phone_last4={PHONE[-4:]}")  # noqa: E731
    wait_for(lambda: track().json(), lambda s: s["status"] == "dispatched")
    children = platform.descendants()
    assert len(children) >= 6  # PostgreSQL, the broker, four services
    assert platform.interrupt() == 0
    time.sleep(0.5)
    assert [p.pid for p in children if p.is_running() and p.status() != "zombie"] == []
    log = platform.log_tail(20)
    order = [line for line in log.splitlines() if "stopping" in line]
    assert order == ["gridlink: stopping intake", "gridlink: stopping dispatch", "gridlink: stopping supervision",
                     "gridlink: stopping notification", "gridlink: stopping the broker", "gridlink: stopping PostgreSQL"]
    assert "drained" in log

    platform.start()
    status = track()
    assert status.status_code == 200 and status.json()["status"] == "dispatched"
