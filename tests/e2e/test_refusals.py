"""What the platform refuses, and how: field errors that echo no personal data, malformed and oversized bodies, tokens
and roles, another unit's cases, and no body at all that gets a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.auth import Role, generate_keypair, issue_token
from tests.e2e.client import NAME, OUTSIDE, PHONE, bearer, problem, report, wait_for

pytestmark = pytest.mark.e2e


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
    ({"contact": {"name": "王\x00秀英", "phone": PHONE}}, 422, "invalid_character", "contact.name"),
    ({"description": "下水道堵塞\x00"}, 422, "invalid_character", "description"),
])
def test_a_bad_report_gets_a_field_error_that_echoes_no_personal_data(platform, changes, status, code, field):
    body = problem(report(platform, **changes), status, code, field)
    text = json.dumps(body, ensure_ascii=False)
    assert NAME not in text and "1381234567X" not in text and PHONE not in text


def test_malformed_json_wrong_shapes_and_oversized_bodies_are_refused_cleanly(platform):
    url = f"{platform.url('intake')}/v1/reports"
    problem(httpx.post(url, content=b'{"category": "drainage", ', headers={"content-type": "application/json"}),
             400, "malformed_json")
    assert httpx.post(url, json=[1, 2, 3]).status_code == 422
    assert httpx.post(url, content="not json at all", headers={"content-type": "text/plain"}).status_code in (400, 415, 422)
    problem(httpx.post(url, content=b"{" + b" " * 2_000_000 + b"}", headers={"content-type": "application/json"}),
             413, "body_too_large")
    problem(httpx.get(f"{platform.url('intake')}/v1/track/NOT-A-CODE"), 404, "not_found", "tracking_code")
    problem(httpx.get(f"{platform.url('intake')}/v1/nowhere"), 404, "not_found")
    problem(httpx.delete(f"{platform.url('intake')}/v1/reports"), 405, "method_not_allowed")


def test_routes_that_are_not_public_need_a_valid_token_with_the_right_role(platform):
    url = f"{platform.url('intake')}/v1/cases/00000000-0000-0000-0000-000000000000"
    problem(httpx.get(url), 401, "unauthenticated", "authorization")
    problem(httpx.get(url, headers=bearer("not.a.token")), 401, "invalid_token")
    foreign_key, _ = generate_keypair()
    problem(httpx.get(url, headers=bearer(issue_token(foreign_key, role=Role.OPERATOR, jurisdiction="cn-changning"))),
             401, "invalid_token")
    unsigned = jwt.encode({"sub": "x", "role": "admin", "jurisdiction": "cn-changning", "iss": "gridlink",
                           "aud": "gridlink", "iat": datetime.now(UTC), "exp": datetime.now(UTC) + timedelta(hours=1)},
                          key=None, algorithm="none")
    problem(httpx.get(url, headers=bearer(unsigned)), 401, "invalid_token")
    hs256 = jwt.encode({"sub": "x", "role": "admin"}, "a-shared-secret-of-at-least-32-bytes!", algorithm="HS256")
    problem(httpx.get(url, headers=bearer(hs256)), 401, "invalid_token")
    problem(httpx.get(url, headers=bearer(platform.token("unit_staff", unit="cc-feile"))), 403, "forbidden_role")
    problem(httpx.get(url, headers=bearer(platform.token("operator"))), 404, "not_found", "case_id")
    problem(httpx.get(f"{platform.url('intake')}/v1/cases/not-a-uuid", headers=bearer(platform.token("operator"))),
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
    problem(httpx.get(f"{platform.url('dispatch')}/v1/cases/{case_id}", headers=other), 404, "not_found")
    problem(httpx.get(f"{platform.url('dispatch')}/v1/units/cn-construction/queue", headers=other), 404, "not_found")
    problem(httpx.get(f"{platform.url('dispatch')}/v1/triage", headers=other), 403, "forbidden_role")


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


def test_an_id_beyond_what_the_database_holds_is_a_clear_422_on_every_service_that_takes_one(platform):
    admin, supervisor = bearer(platform.token("admin")), bearer(platform.token("supervisor"))
    huge = 2**64
    problem(httpx.post(f"{platform.url('notification')}/v1/dead-letters/{huge}/retry", headers=admin), 422,
            "out_of_range", "delivery_id")
    problem(httpx.post(f"{platform.url('supervision')}/v1/extension-requests/{huge}/decision", headers=supervisor,
                       json={"approve": False, "reason": "x"}), 422, "out_of_range", "request_id")
    problem(httpx.post(f"{platform.url('supervision')}/v1/meetings/{huge}/record", headers=supervisor,
                       json={"summary": "x", "accepted": True}), 422, "out_of_range", "meeting_id")


def test_concurrent_edits_of_one_sub_item_give_409_not_500_while_residents_go_on_reporting_it(platform):
    from concurrent.futures import ThreadPoolExecutor

    admin = bearer(platform.token("admin"))
    item = {"service_code": "991", "class_code": "livelihood", "name_zh": "流浪猫扰民", "name_en": "Stray cats",
            "priority": "low", "time_limit_class": "help", "keywords": ["流浪猫", "野猫"], "examples": ["野猫夜里叫"]}
    intake = platform.url("intake")
    created = httpx.post(f"{intake}/v1/admin/categories", headers=admin, json={"code": "stray-cats", **item},
                         timeout=15)
    assert created.status_code == 201, created.text

    def edit(n: int) -> int:
        return httpx.put(f"{intake}/v1/admin/categories/stray-cats", headers=admin, timeout=30,
                         json={**item, "examples": [f"野猫夜里叫，第{n}次"]}).status_code

    def resident(n: int) -> int:
        return httpx.post(f"{intake}/v1/reports", timeout=30, json={
            "category": "stray-cats", "description": f"楼下野猫夜里一直叫（{n}）", "anonymous": True,
            "location": [{"lat": 31.2110, "lon": 121.4260 + n * 0.003}, {"lat": 31.2250, "lon": 121.4400}][n % 2]}
        ).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        edits = [pool.submit(edit, n) for n in range(8)]
        reports = [pool.submit(resident, n) for n in range(4)]
        edited, reported = [f.result() for f in edits], [f.result() for f in reports]
    assert set(edited) <= {200, 409} and 200 in edited, edited
    assert reported == [201] * 4, reported
    versions = httpx.get(f"{intake}/v1/admin/categories/stray-cats/versions", headers=admin, timeout=15).json()
    assert len(versions) == 1 + edited.count(200) and sum(v["current"] for v in versions) == 1


def test_a_report_outside_the_jurisdiction_tells_the_resident_where_it_belongs_and_is_kept_for_passing_on(platform):
    refused = report(platform, location={"lat": 31.25, "lon": 121.45}, description="静安寺门口路灯不亮三天了")
    body = problem(refused, 422, "outside_jurisdiction", "location")
    assert body["belongs_to"]["name_zh"] == "静安区" and body["belongs_to"]["hotline"] in body["message"]
    assert body["message"].startswith("该地点不在本辖区内") and "Jing'an" in body["message_en"]
    assert PHONE not in refused.text and NAME not in refused.text
    kept = httpx.get(f"{platform.url('intake')}/v1/refused-reports", headers=bearer(platform.token("operator")),
                     timeout=10).json()
    mine = [k for k in kept if k["description"] == "静安寺门口路灯不亮三天了"]
    assert len(mine) == 1 and (mine[0]["belongs_to"], mine[0]["lat"]) == ("cn-jingan", 31.25)
    assert PHONE not in json.dumps(kept)
