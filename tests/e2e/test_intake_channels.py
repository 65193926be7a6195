"""Every intake channel against the running platform: what each answers, what it refuses, and what it links."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image

from shared.webhooks import signed_headers
from tests.e2e.client import wait_for

pytestmark = pytest.mark.e2e

HUAYANG = {"lat": 31.2200, "lon": 121.4300}


def bearer(platform, role: str, unit: str | None = None) -> dict:
    return {"Authorization": f"Bearer {platform.token(role, unit)}"}


def post(platform, path: str, body: dict, headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"{platform.url('intake')}{path}", json=body, headers=headers or {}, timeout=15)


def get(platform, path: str, **kwargs) -> httpx.Response:
    return httpx.get(f"{platform.url('intake')}{path}", timeout=15, **kwargs)


def test_the_hotline_takes_a_call_with_a_picked_or_suggested_category(platform):
    operator = bearer(platform, "operator")
    picked = post(platform, "/v1/hotline/reports", {
        "call_id": "call-0001", "caller": {"name": "陈先生", "phone": "13700001111"},
        "description": "岐山村门口路灯坏了三盏", "address": "岐山村", "category": "street-lighting"}, operator)
    assert picked.status_code == 201, picked.text
    assert picked.json()["category"] == "street-lighting" and picked.json()["category_confidence"] == 1.0
    again = post(platform, "/v1/hotline/reports", {
        "call_id": "call-0001", "caller": {"name": "陈先生", "phone": "13700001111"},
        "description": "岐山村门口路灯坏了三盏", "address": "岐山村", "category": "street-lighting"}, operator)
    assert again.json()["tracking_code"] == picked.json()["tracking_code"]  # the same call entered twice
    # The operator's pick is kept, and what the classifier made of the caller's words is shown beside it.
    overruled = post(platform, "/v1/hotline/reports", {
        "call_id": "call-0002", "caller": {"phone": "13700003333"}, "description": "华山路口路灯坏了好几盏，晚上很黑",
        "address": "岐山村", "category": "parking"}, operator)
    assert overruled.status_code == 201 and overruled.json()["category"] == "parking"
    staff = get(platform, f"/v1/cases/by-code/{overruled.json()['tracking_code']}", headers=operator).json()
    assert (staff["category_name"], staff["suggested_category"], staff["suggested_category_name"]) == (
        "停车管理", "street-lighting", "路灯")
    assert staff["channel_name"] == "热线" and staff["reported_at"].endswith("+08:00")
    suggested = post(platform, "/v1/hotline/reports", {
        "caller": {"phone": "13700002222"}, "description": "愚园路600号门口井盖缺失，很危险", "address": "愚园路600号"},
        operator)
    assert suggested.status_code == 201 and suggested.json()["category"] == "roads"
    assert post(platform, "/v1/hotline/reports", {"description": "x", "location": HUAYANG}).status_code == 401


def test_a_caller_with_only_a_landline_is_recorded_reads_the_case_back_and_is_not_texted(platform):
    operator = bearer(platform, "operator")
    made = post(platform, "/v1/hotline/reports", {
        "caller": {"name": "周老伯", "phone": "021-62251234转801"}, "description": "华阳花园楼道灯坏了",
        "address": "华阳花园", "category": "street-lighting"}, operator)
    assert made.status_code == 201, made.text
    code = made.json()["tracking_code"]
    view = get(platform, f"/v1/cases/{_case_id(platform, code)}", headers=operator).json()
    assert view["reporter_phone_masked"] == "021****1234-801" and "6225" not in json.dumps(view)
    assert get(platform, f"/v1/track/{code}", params={"phone_last4": "1234"}).status_code == 200
    typed = post(platform, "/v1/reports", {"description": "路灯不亮", "location": HUAYANG, "category": "street-lighting",
                                           "contact": {"name": "周老伯", "phone": "6225 1234"}})
    assert typed.status_code == 422 and typed.json()["field"] == "contact.phone"  # no area code: which city?
    # Notification texts mobiles only: the landline caller's case gets no SMS.
    deliveries = f"{platform.url('notification')}/v1/cases/{_case_id(platform, code)}/deliveries"
    told = wait_for(lambda: httpx.get(deliveries, headers=operator, timeout=10).json(),
                    lambda ds: any(d["template"] == "received" for d in ds))
    assert all(d["channel"] != "sms" or d["status"] == "no_contact" for d in told if d["audience"] == "resident")


def test_a_grid_workers_patrol_report_carries_its_photos_stripped_of_metadata(platform):
    image, exif = Image.new("RGB", (64, 48), "blue"), Image.Exif()
    exif[0x0110] = "SecretPhone X"
    raw = io.BytesIO()
    image.save(raw, "JPEG", exif=exif)
    uploaded = httpx.post(f"{platform.url('intake')}/v1/photos", files={"file": ("p.jpg", raw.getvalue(), "image/jpeg")},
                          timeout=15)
    assert uploaded.status_code == 201, uploaded.text
    photo_id = uploaded.json()["photo_id"]
    fake = httpx.post(f"{platform.url('intake')}/v1/photos", files={"file": ("p.jpg", b"<?php evil", "image/jpeg")},
                      timeout=15)
    assert fake.status_code == 422 and fake.json()["code"] == "not_an_image"
    worker = bearer(platform, "unit_staff", "gw-xiushui-g1")
    made = post(platform, "/v1/patrol/reports", {"observation_id": "obs-1", "description": "巡查发现人行道地砖松动",
                                                 "location": HUAYANG, "photos": [photo_id]}, worker)
    assert made.status_code == 201, made.text
    reused = post(platform, "/v1/patrol/reports", {"description": "另一处", "location": HUAYANG,
                                                   "photos": [photo_id]}, worker)
    assert reused.status_code == 422 and reused.json()["code"] == "unknown_photo"
    staff = bearer(platform, "operator")
    stored = get(platform, f"/v1/photos/{photo_id}", headers=staff)
    assert stored.status_code == 200 and b"SecretPhone" not in stored.content


def test_a_signed_group_message_makes_one_report_and_the_same_message_twice_makes_nothing_new(platform):
    secret = (platform.data_dir / "keys" / "messaging-bridge.secret").read_text().strip()
    url = f"{platform.url('intake')}/v1/bridges/messaging-group/messages"
    message = {"message_id": "wx-778", "group_id": "huashan-residents", "sender": {"nickname": "老王"},
               "text": "江苏新村门口垃圾桶满了好几天没人清运", "address": "江苏新村"}
    body = json.dumps(message, ensure_ascii=False).encode()
    first = httpx.post(url, content=body, headers={**signed_headers(secret, "d-1", body),
                                                   "content-type": "application/json"}, timeout=15)
    assert first.status_code == 201, first.text
    assert first.json()["tracking_code"] in first.json()["reply"]
    second = httpx.post(url, content=body, headers={**signed_headers(secret, "d-2", body),
                                                    "content-type": "application/json"}, timeout=15)
    assert second.status_code == 200 and second.json()["tracking_code"] == first.json()["tracking_code"]
    forged = httpx.post(url, content=body, headers={**signed_headers(secret, "d-3", body + b" "),
                                                    "content-type": "application/json"}, timeout=15)
    assert forged.status_code == 401 and forged.json()["code"] == "invalid_signature"


def test_a_second_residents_report_of_the_same_problem_joins_the_open_case_and_can_be_unlinked(platform):
    first = post(platform, "/v1/reports", {"description": "秀水小区门口下水道堵塞，污水冒到路上", "address": "秀水小区",
                                           "contact": {"phone": "13600001111"}})
    second = post(platform, "/v1/reports", {"description": "秀水小区门口的下水道堵了，污水一直往外冒",
                                            "address": "秀水小区", "contact": {"phone": "13600002222"}})
    assert first.status_code == second.status_code == 201
    code = first.json()["tracking_code"]
    assert second.json()["tracking_code"] == code and second.json()["linked_to_existing_case"]
    other = post(platform, "/v1/reports", {"description": "秀水小区门口垃圾没人清运", "address": "秀水小区",
                                           "contact": {"phone": "13600003333"}})
    assert other.json()["tracking_code"] != code  # never across sub-items
    # The co-reporter reads the case with the last four digits of their own phone.
    assert get(platform, f"/v1/track/{code}", params={"phone_last4": "2222"}).status_code == 200
    staff = bearer(platform, "operator")
    found = httpx.get(f"{platform.url('intake')}/open311/v2/requests/{code}.json", params={"extensions": "true"},
                      timeout=15).json()[0]
    assert found["extended_attributes"]["residents_affected"] == 2
    case_id = _case_id(platform, code)
    reports = get(platform, f"/v1/cases/{case_id}/reports", headers=staff).json()
    assert [r["role"] for r in reports] == ["primary", "co_report"] and "13600002222" not in json.dumps(reports)
    unlinked = post(platform, f"/v1/reports/{reports[1]['report_id']}/unlink", {}, staff)
    assert unlinked.status_code == 201 and unlinked.json()["tracking_code"] != code
    assert get(platform, f"/v1/cases/{case_id}", headers=staff).json()["residents_affected"] == 1


def _case_id(platform, code: str) -> str:
    found = get(platform, f"/v1/cases/by-code/{code}", headers=bearer(platform, "operator"))
    assert found.status_code == 200, found.text
    return found.json()["case_id"]


def test_an_unsure_classification_waits_in_triage_until_an_operator_places_it(platform):
    made = post(platform, "/v1/reports", {"description": "喂喂，听得到吗？", "location": HUAYANG,
                                          "anonymous": True})
    assert made.status_code == 201 and made.json()["needs_triage"], made.text
    staff = bearer(platform, "operator")
    case_id = _case_id(platform, made.json()["tracking_code"])
    assert case_id in [item["case_id"] for item in get(platform, "/v1/triage", headers=staff).json()]
    placed = post(platform, f"/v1/cases/{case_id}/classification", {"category": "noise", "reason": "来电确认是噪音"},
                  staff)
    assert placed.status_code == 204, placed.text
    assert case_id not in [item["case_id"] for item in get(platform, "/v1/triage", headers=staff).json()]
    view = get(platform, f"/v1/cases/{case_id}", headers=staff).json()
    assert view["category"] == "noise" and view["classified_by"] == "operator"
    deadline = time.monotonic() + 30
    while get(platform, f"/v1/track/{made.json()['tracking_code']}").json()["status"] != "dispatched":
        assert time.monotonic() < deadline, "the placed case was never dispatched"
        time.sleep(0.3)


def test_revealing_a_number_needs_a_reason_and_leaves_an_audit_line(platform):
    made = post(platform, "/v1/reports", {"description": "华阳花园电梯坏了", "address": "华阳花园",
                                          "contact": {"name": "周女士", "phone": "13511112222"}})
    case_id = _case_id(platform, made.json()["tracking_code"])
    operator = bearer(platform, "operator")
    assert "13511112222" not in get(platform, f"/v1/cases/{case_id}", headers=operator).text
    refused = post(platform, f"/v1/cases/{case_id}/reporters/reveal", {"note": "回访需要联系居民"}, operator)
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    not_listed = post(platform, f"/v1/cases/{case_id}/reporters/reveal", {"reason": "看看", "note": "想看看号码"},
                      operator)
    assert not_listed.status_code == 422 and not_listed.json()["field"] == "reason"
    shown = post(platform, f"/v1/cases/{case_id}/reporters/reveal", {"reason": "callback", "note": "回访需要联系居民"},
                 operator)
    assert shown.status_code == 200 and shown.json()[0]["phone"] == "13511112222"
    assert shown.headers["cache-control"] == "no-store"
    for role in ("partner", "unit_staff", "dispatcher", "admin"):  # only those who call residents back
        headers = bearer(platform, role, "cn-construction" if role == "unit_staff" else None)
        assert post(platform, f"/v1/cases/{case_id}/reporters/reveal", {"reason": "clarify", "note": "核实地点"},
                    headers).status_code == 403, role
    # A supervisor, but not the one watching this case.
    other = post(platform, f"/v1/cases/{case_id}/reporters/reveal", {"reason": "clarify", "note": "核实地点"},
                 bearer(platform, "supervisor"))
    assert (other.status_code, other.json()["code"]) == (403, "not_case_supervisor")
    # The supervisor watching it (supervision assigned the street's), once intake has heard of the assignment.
    own = {"Authorization": "Bearer " + platform.token("supervisor", subject="sup-huayang", area="st-huayang")}
    wait_for(lambda: post(platform, f"/v1/cases/{case_id}/reporters/reveal",
                          {"reason": "clarify", "note": "核实电梯位置"}, own).status_code, lambda status: status == 200)
    audit = get(platform, "/v1/reveals", params={"case_id": case_id}, headers=bearer(platform, "supervisor")).json()
    # Notification's lookups of the number to text the resident are audited too (unless the quiet hours hold them).
    by_people = sorted((a for a in audit if a["actor_role"] != "service"), key=lambda a: a["at"])
    assert [(a["actor_role"], a["reason_code"], a["reason"], a["note"], a["actor_scope"]) for a in by_people] == [
        ("operator", "callback", "回访核实办理结果", "回访需要联系居民", "cn-changning"),
        ("supervisor", "clarify", "核实诉求内容或地点", "核实电梯位置", "cn-changning/st-huayang")]
    assert by_people[1]["actor"] == "sup-huayang"
    assert {a["actor"] for a in audit if a["actor_role"] == "service"} <= {"service:notification"}
    verdict = post(platform, f"/v1/track/{made.json()['tracking_code']}/verdict?phone_last4=2222",
                   {"verdict": "satisfied"})
    assert verdict.status_code == 409 and verdict.json()["code"] == "not_completed"


def test_open311_clients_create_list_and_read_requests_in_json_and_xml(platform):
    base = f"{platform.url('intake')}/open311/v2"
    key = subprocess.run([sys.executable, "-m", "gridlink.cli", "apikey", "create", "test-client", "--intake-url",
                          platform.url("intake")], env=platform.env, check=True, capture_output=True,
                         text=True).stdout.strip()
    services = httpx.get(f"{base}/services.json", timeout=15).json()
    assert {"service_code", "service_name", "metadata", "type", "keywords", "group"} <= set(services[0])
    definition = httpx.get(f"{base}/services/205.xml", timeout=15)
    assert definition.status_code == 200 and "<code>time_of_day</code>" in definition.text
    created = httpx.post(f"{base}/requests.json", data={
        "api_key": key, "service_code": "205", "lat": "31.2241", "long": "121.4371",
        "description": "Loud music from the bar every night", "attribute[time_of_day][]": ["night", "evening"],
        "media_url": "https://photos.example.org/bar.jpg"},
        timeout=15)
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    assert "token" not in created.json()[0]  # the request exists at once: its id, not a token to ask about later
    one = httpx.get(f"{base}/requests/{request_id}.xml", timeout=15)
    assert one.status_code == 200 and f"<service_request_id>{request_id}</service_request_id>" in one.text
    assert "<media_url>https://photos.example.org/bar.jpg</media_url>" in one.text
    listed = httpx.get(f"{base}/requests.json", params={"service_code": "205", "status": "open", "page_size": "5",
                                                         "jurisdiction_id": ""}, timeout=15).json()
    assert request_id in [r["service_request_id"] for r in listed]
    assert httpx.get(f"{base}/servicerequestupdates.json", timeout=15).status_code == 200
    since = (datetime.now(UTC) - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")  # a start alone: 90 days on
    assert httpx.get(f"{base}/servicerequestupdates.json", params={"start_date": since}, timeout=15).status_code == 200
    for response, status in (
            (httpx.post(f"{base}/requests.json", data={"service_code": "205", "lat": "31.22", "long": "121.43"},
                        timeout=15), 403),
            (httpx.post(f"{base}/requests.json", data={"api_key": key, "service_code": "205"}, timeout=15), 400),
            (httpx.post(f"{base}/requests.json", data={"api_key": key, "service_code": "205", "lat": "31.2241",
                                                       "long": "121.4371", "media_url": "file:///etc/passwd"},
                        timeout=15), 400),
            (httpx.post(f"{base}/requests.json", data={"api_key": key, "service_code": "205", "lat": "31.3",
                                                       "long": "121.5"}, timeout=15), 400),
            (httpx.get(f"{base}/requests.json", params={"start_date": "2026-01-01T00:00:00Z",
                                                        "end_date": "2026-06-01T00:00:00Z"}, timeout=15), 400),
            (httpx.get(f"{base}/services.json", params={"jurisdiction_id": "elsewhere"}, timeout=15), 404),
            (httpx.get(f"{base}/requests/NOPE.json", timeout=15), 404)):
        assert response.status_code == status, response.text
        assert isinstance(response.json(), list) and {"code", "description"} <= set(response.json()[0])
    xml_error = httpx.get(f"{base}/requests/NOPE.xml", timeout=15)
    assert xml_error.status_code == 404 and "<errors><error><code>404</code>" in xml_error.text


def test_a_csv_import_reports_every_row_and_importing_it_again_creates_nothing_new(platform, tmp_path):
    slips = tmp_path / "slips.csv"
    slips.write_text("来源,内容,地址,纬度,经度,电话\n意见箱,定西公寓垃圾房没人清运,定西公寓,,,13800001111\n"
                     "问卷,,,31.22,121.43,\n走访,路灯不亮,火星路1号,,,\n意见箱,路灯不亮,,31.3,121.5,\n", encoding="utf-8")
    run = [sys.executable, "-m", "gridlink.cli", "import", str(slips), "--intake-url", platform.url("intake")]
    first = subprocess.run(run, env=platform.env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "4 rows: 1 accepted, 3 refused" in first.stdout
    assert "row 3: refused, missing_field (description)" in first.stdout
    assert "row 4: refused, address_not_found (address)" in first.stdout
    assert "row 5: refused, outside_jurisdiction (location)" in first.stdout
    again = subprocess.run(run, env=platform.env, capture_output=True, text=True, timeout=120)
    assert "4 rows: 1 already_imported, 3 refused" in again.stdout, again.stdout
    report = (tmp_path / "slips.csv.import-report.csv").read_text(encoding="utf-8")
    assert report.count("\n") == 5 and "13800001111" not in report


def test_an_imported_slip_keeps_its_own_kind_and_the_day_it_was_handed_in(platform, tmp_path):
    slips = tmp_path / "talks.csv"
    slips.write_text("类型,内容,纬度,经度,日期\n谈心,楼道里堆满杂物，消防通道被堵,31.2180,121.4335,2026年11月20日\n"
                     "电子邮件,小区健身器材坏了,31.2185,121.4335,2099-01-01\n", encoding="utf-8")
    run = [sys.executable, "-m", "gridlink.cli", "import", str(slips), "--intake-url", platform.url("intake")]
    done = subprocess.run(run, env=platform.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "row 3: refused, out_of_range (received_on)" in done.stdout  # a slip is not handed in in the future
    rows = list(csv.DictReader((tmp_path / "talks.csv.import-report.csv").open(encoding="utf-8")))
    code = rows[0]["tracking_code"]
    staff = get(platform, f"/v1/cases/by-code/{code}", headers=bearer(platform, "operator")).json()
    assert (staff["channel"], staff["source_kind"], staff["source_kind_name"], staff["handed_in_on"]) == (
        "batch_import", "one_to_one_talk", "一对一谈心", "2026-11-20")
    unit_case = wait_for(lambda: httpx.get(f"{platform.url('dispatch')}/v1/cases/{staff['case_id']}",
                                           headers=bearer(platform, "dispatcher")),
                         lambda r: r.status_code == 200).json()
    assert (unit_case["source_kind_name"], unit_case["handed_in_on"]) == ("一对一谈心", "2026-11-20")


def test_the_category_tree_is_edited_through_the_admin_api_and_old_cases_keep_their_version(platform):
    admin, operator = bearer(platform, "admin"), bearer(platform, "operator")
    item = {"code": "pigeon-nuisance", "service_code": "990", "class_code": "livelihood", "name_zh": "鸽子扰民",
            "name_en": "Pigeon nuisance", "priority": "low", "time_limit_class": "help",
            "keywords": ["鸽子", "鸽笼", "pigeon"], "examples": ["楼上养的鸽子到处拉屎"]}
    assert post(platform, "/v1/admin/categories", item, operator).status_code == 403
    created = post(platform, "/v1/admin/categories", item, admin)
    assert created.status_code == 201 and created.json()["version"] == 1, created.text
    assert post(platform, "/v1/admin/categories", item, admin).json()["code"] == "category_exists"
    first = post(platform, "/v1/reports", {"category": "pigeon-nuisance", "description": "楼上的鸽笼太臭了",
                                           "location": HUAYANG, "anonymous": True})
    assert first.status_code == 201, first.text
    edited = httpx.put(f"{platform.url('intake')}/v1/admin/categories/pigeon-nuisance", headers=admin, timeout=15,
                       json={**{k: v for k, v in item.items() if k != "code"}, "priority": "normal"})
    assert edited.status_code == 200 and edited.json()["version"] == 2, edited.text
    old_case = get(platform, f"/v1/cases/{_case_id(platform, first.json()['tracking_code'])}", headers=operator)
    assert old_case.json()["category_version"] == 1
    second = post(platform, "/v1/reports", {"category": "pigeon-nuisance", "description": "Pigeons nest on the roof",
                                            "location": {"lat": 31.2241, "lon": 121.4371}, "anonymous": True})
    new_case = get(platform, f"/v1/cases/{_case_id(platform, second.json()['tracking_code'])}", headers=operator)
    assert new_case.json()["category_version"] == 2
    retired = httpx.delete(f"{platform.url('intake')}/v1/admin/categories/pigeon-nuisance", headers=admin, timeout=15)
    assert retired.status_code == 204
    refused = post(platform, "/v1/reports", {"category": "pigeon-nuisance", "description": "鸽子又来了",
                                             "location": HUAYANG, "anonymous": True})
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_category"
    history = get(platform, "/v1/admin/categories/pigeon-nuisance/versions", headers=admin).json()
    assert [(v["version"], v["active"], v["current"]) for v in history] == [(3, False, True), (2, True, False),
                                                                          (1, True, False)]
    assert get(platform, f"/v1/track/{first.json()['tracking_code']}").status_code == 200  # its case lives on


def test_an_xlsx_file_is_imported_through_the_api_row_by_row(platform):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["source", "description", "address", "lat", "lon", "phone"])
    sheet.append(["visit_log", "华山公寓独居老人需要助餐服务", "华山公寓", None, None, "13600003333"])
    sheet.append(["questionnaire", "x" * 4001, "华山公寓", None, None, None])
    raw = io.BytesIO()
    book.save(raw)
    operator = bearer(platform, "operator")
    started = httpx.post(f"{platform.url('intake')}/v1/imports", headers=operator, timeout=30,
                         files={"file": ("visits.xlsx", raw.getvalue())})
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while (status := get(platform, started.json()["status_url"], headers=operator).json())["status"] in (
            "pending", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    assert status["counts"] == {"accepted": 1, "refused": 1}, status
    refused = next(line for line in status["rows"] if line["outcome"] == "refused")
    assert (refused["row"], refused["code"], refused["field"]) == (3, "too_long", "description")
    assert "13600003333" not in json.dumps(status, ensure_ascii=False)
    not_a_sheet = httpx.post(f"{platform.url('intake')}/v1/imports", headers=operator, timeout=30,
                             files={"file": ("visits.xlsx", b"PK\x03\x04 not really a workbook")})
    assert not_a_sheet.status_code in (202, 422)
    if not_a_sheet.status_code == 202:  # read in the background: the import fails, saying why
        deadline = time.monotonic() + 30
        while (failed := get(platform, not_a_sheet.json()["status_url"], headers=operator).json())["status"] in (
                "pending", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        assert failed["status"] == "failed" and failed["error"]


def test_oversized_input_is_refused_on_every_channel_without_echoing_it(platform):
    huge_photo = httpx.post(f"{platform.url('intake')}/v1/photos", timeout=30,
                            files={"file": ("big.jpg", b"\xff\xd8" + b"0" * (8_388_608 + 70_000), "image/jpeg")})
    assert huge_photo.status_code == 413 and huge_photo.json()["code"] == "body_too_large"
    long_text = "路灯坏了" * 1001
    too_long = post(platform, "/v1/reports", {"description": long_text, "location": HUAYANG, "anonymous": True})
    assert too_long.status_code == 422 and too_long.json()["field"] == "description"
    assert long_text not in too_long.text
    key = subprocess.run([sys.executable, "-m", "gridlink.cli", "apikey", "create", "limits", "--intake-url",
                          platform.url("intake")], env=platform.env, check=True, capture_output=True,
                         text=True).stdout.strip()
    open311 = httpx.post(f"{platform.url('intake')}/open311/v2/requests.json", timeout=15, data={
        "api_key": key, "service_code": "205", "lat": "31.2241", "long": "121.4371", "description": long_text})
    assert open311.status_code == 400, open311.text
    assert "description" in open311.json()[0]["description"] and long_text not in open311.text


def test_a_group_message_that_is_unsigned_or_malformed_is_refused_and_makes_nothing(platform):
    secret = (platform.data_dir / "keys" / "messaging-bridge.secret").read_text().strip()
    url = f"{platform.url('intake')}/v1/bridges/messaging-group/messages"
    body = json.dumps({"message_id": "wx-bad", "group_id": "g", "text": "13912345678 说路灯坏了"}).encode()
    unsigned = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=15)
    assert unsigned.status_code == 401 and unsigned.json()["field"] == "webhook-signature"
    forged = httpx.post(url, content=body, timeout=15,
                        headers={**signed_headers("whsec_" + "A" * 32, "msg-1", body), "content-type": "application/json"})
    assert forged.status_code == 401
    missing_place = httpx.post(url, content=body, timeout=15,
                               headers={**signed_headers(secret, "msg-2", body), "content-type": "application/json"})
    assert missing_place.status_code == 422 and "13912345678" not in missing_place.text
    garbage = b"{not json"
    malformed = httpx.post(url, content=garbage, timeout=15,
                           headers={**signed_headers(secret, "msg-3", garbage), "content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"


def test_residents_reporting_the_same_problem_at_once_end_up_on_one_case(platform):
    from concurrent.futures import ThreadPoolExecutor

    body = {"description": "定西公寓门口的下水道堵住了，污水漫到人行道上", "location": {"lat": 31.2270, "lon": 121.4300}}
    bodies = [{**body, "contact": {"phone": f"1371111{i:04d}"}} for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: post(platform, "/v1/reports", b), bodies))
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    assert len({a.json()["tracking_code"] for a in answers}) == 1
    assert sum(not a.json()["linked_to_existing_case"] for a in answers) == 1
    case = get(platform, f"/v1/cases/{_case_id(platform, answers[0].json()['tracking_code'])}",
               headers=bearer(platform, "operator")).json()
    assert case["residents_affected"] == 6


def publish(platform, event, *, source: str) -> None:
    """Put an event on the broker as the service named by ``source`` would: a stand-in for it."""
    import asyncio

    from shared.messaging.envelope import Envelope
    from shared.messaging.kafka import make_producer

    bootstrap = platform.env.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{platform.env['GRIDLINK_BROKER_PORT']}"

    async def send() -> None:
        producer = make_producer(bootstrap, idempotence=False, client_id="test-stand-in")
        await producer.start()
        try:
            envelope = Envelope.wrap(event, source=source)
            await producer.send_and_wait(event.topic.name, value=envelope.value(), key=envelope.key.encode(),
                                         headers=envelope.headers())
        finally:
            await producer.stop()

    asyncio.run(send())


def test_after_completion_each_resident_gives_one_verdict_per_round_online_or_on_a_call_back(platform):
    """The test publishes ``case.completed`` on the broker as a stand-in for dispatch, so that intake's verdict rules
    are tried alone (tests/e2e/test_flow.py and its neighbours drive the whole loop through dispatch)."""
    from datetime import UTC, datetime

    from shared.events import CaseCompleted

    report = {"description": "秀水小区健身器材坏了，螺丝松动，孩子玩很危险", "address": "秀水小区"}
    made = post(platform, "/v1/reports", {**report, "contact": {"name": "吴先生", "phone": "13822223333"}})
    code = made.json()["tracking_code"]
    joined = post(platform, "/v1/reports", {**report, "contact": {"phone": "13822224444"}})
    assert joined.json()["tracking_code"] == code, joined.text  # a neighbour, co-reporter of the same case
    case_id = _case_id(platform, code)
    publish(platform, CaseCompleted(case_id=case_id, unit_id="cm-xiushui", unit_name="秀水居委会",
                                    result="已更换螺丝，电话 13822223333 回访", completed_at=datetime.now(UTC)),
            source="/gridlink/dispatch")
    deadline = time.monotonic() + 30
    while (track := get(platform, f"/v1/track/{code}", params={"phone_last4": "3333"}).json())["status"] != "completed":
        assert time.monotonic() < deadline, track
        time.sleep(0.3)
    assert "13822223333" not in json.dumps(track, ensure_ascii=False)
    wrong_phone = post(platform, f"/v1/track/{code}/verdict?phone_last4=0000", {"verdict": "satisfied"})
    assert wrong_phone.status_code == 404  # as for an unknown code
    operator = bearer(platform, "operator")
    # Not "dissatisfied": that would reopen the case (supervision) and close this round to the neighbour.
    callback = post(platform, f"/v1/cases/{case_id}/callback-verdict", {"verdict": "basically_satisfied",
                                                                         "comment": "还有点晃"}, operator)
    assert callback.status_code == 201 and callback.json()["round"] == 1, callback.text
    # The first reporter's verdict is taken: not again online, nor on a second call-back.
    online = post(platform, f"/v1/track/{code}/verdict?phone_last4=3333", {"verdict": "satisfied"})
    assert online.status_code == 409 and online.json()["code"] == "already_evaluated"
    assert post(platform, f"/v1/cases/{case_id}/callback-verdict", {"verdict": "satisfied"},
                operator).status_code == 409
    neighbour = post(platform, f"/v1/track/{code}/verdict?phone_last4=4444", {"verdict": "basically_satisfied"})
    assert neighbour.status_code == 201 and neighbour.json()["round"] == 1, neighbour.text
    assert post(platform, f"/v1/track/{code}/verdict?phone_last4=4444",
                {"verdict": "satisfied"}).status_code == 409
    timeline = get(platform, f"/v1/track/{code}", params={"phone_last4": "4444"}).json()["timeline"]
    assert [e["kind"] for e in timeline].count("evaluated") == 2


def test_a_completion_nobody_judged_waits_in_the_operators_call_back_queue_until_a_verdict_is_taken(platform):
    """``case.completed`` and ``case.callback_requested`` are published as stand-ins for dispatch and supervision
    (supervision asks only after working days; tests/integration/test_supervision_watch.py moves its clock)."""
    from datetime import UTC, datetime

    from shared.events import CaseCallbackRequested, CaseCompleted

    made = post(platform, "/v1/reports", {"description": "飞乐新村楼道灯坏了一个月", "address": "飞乐新村",
                                          "contact": {"name": "钱女士", "phone": "13822225555"}})
    code = made.json()["tracking_code"]
    case_id = _case_id(platform, code)
    done = datetime.now(UTC)
    publish(platform, CaseCompleted(case_id=case_id, unit_id="cm-feile", unit_name="飞乐居委会", result="已更换灯泡",
                                    completed_at=done), source="/gridlink/dispatch")
    publish(platform, CaseCallbackRequested(case_id=case_id, round=1, completed_at=done, requested_at=datetime.now(UTC)),
            source="/gridlink/supervision")
    operator = bearer(platform, "operator")
    deadline = time.monotonic() + 30
    while not [t for t in get(platform, "/v1/callbacks", headers=operator).json() if t["case_id"] == case_id]:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    task = next(t for t in get(platform, "/v1/callbacks", headers=operator).json() if t["case_id"] == case_id)
    assert (task["tracking_code"], task["round"], task["reporter_phone_masked"]) == (code, 1, "138****5555")
    assert get(platform, "/v1/callbacks", headers=bearer(platform, "dispatcher")).status_code == 403
    taken = post(platform, f"/v1/cases/{case_id}/callback-verdict", {"verdict": "satisfied"}, operator)
    assert taken.status_code == 201, taken.text
    assert case_id not in [t["case_id"] for t in get(platform, "/v1/callbacks", headers=operator).json()]
