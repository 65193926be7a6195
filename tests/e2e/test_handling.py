"""Units and dispatchers at work: signing, progress, completion and the resident's verdict; returns, transfers,
claiming and joint handling; the directory, routing rules and photos."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.client import NAME, SPOT, bearer, case_of, png, problem, report, wait_for

pytestmark = pytest.mark.e2e


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

    problem(act("sign", {"version": case["version"]}, other), 404, "not_found")  # not theirs to know of
    premature = problem(act("complete", {"version": case["version"], "result": "已处理"}), 409, "illegal_transition")
    assert premature["message"] == "事项当前为「已派发」，不能进行此操作"
    assert "dispatched" in premature["message_en"] and "sign" in premature["message_en"]
    signed = act("sign", {"version": case["version"]}, key="sign-once-0001")
    assert signed.status_code == 200 and signed.json()["status"] == "signed", signed.text
    replayed = act("sign", {"version": case["version"]}, key="sign-once-0001")
    assert replayed.status_code == 200 and replayed.headers.get("idempotent-replayed") == "true"
    problem(act("progress", {"version": case["version"], "text": "已联系店主"}), 409, "stale_version", "version")
    noted = act("progress", {"version": signed.json()["version"], "text": "已到现场，联系店主 13812349876"})
    assert noted.status_code == 200 and noted.json()["status"] == "in_progress"
    problem(act("complete", {"version": noted.json()["version"], "result": ""}), 422, "too_short", "result")
    done = act("complete", {"version": noted.json()["version"], "result": "已责令整改，晚十点后停止营业"})
    assert done.status_code == 200 and done.json()["status"] == "completed", done.text
    history = httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json()["history"]
    assert [h["action"] for h in history][-3:] == ["sign", "note_progress", "complete"]
    elsewhere = bearer(platform.token("dispatcher", jurisdiction="cn-xuhui"))
    problem(httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=elsewhere), 404, "not_found")
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
    problem(httpx.post(url, json={"version": case["version"], "reason": "too_busy", "text": "x"}, headers=unit),
             422, "invalid_field", "reason")
    returned = httpx.post(url, json={"version": case["version"], "reason": "wrong_area", "text": "属于街道管辖"},
                          headers=unit, timeout=10)
    assert returned.status_code == 200 and returned.json()["status"] == "triage", returned.text
    triage = httpx.get(f"{dispatch}/v1/triage", headers=bearer(platform.token("dispatcher"))).json()
    assert case_id in [c["case_id"] for c in triage]
    problem(httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit), 404, "not_found")  # no longer theirs


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
    problem(act("dispatch", {"version": case["version"], "lead": "no-such-unit", "reason": "x"}, dispatcher),
             422, "unknown_unit")
    problem(act("board", {"version": case["version"]}, enforcement), 403, "forbidden_role")
    case = act("board", {"version": case["version"]}, dispatcher).json()
    assert case["status"] == "on_claiming_board"
    partners = [bearer(platform.token("unit_staff", unit=u)) for u in ("po-social-work-station",
                                                                         "po-party-service-centre")]
    # The board lists it for the linkage centre and for the units that may claim it.
    for headers in (dispatcher, *partners):
        assert case_id in [c["case_id"] for c in httpx.get(f"{dispatch}/v1/board", headers=headers).json()]
    with ThreadPoolExecutor(2) as pool:
        claims = list(pool.map(lambda h: act("claim", {"version": case["version"]}, h), partners))
    assert sorted(c.status_code for c in claims) == [200, 409], [c.text for c in claims]
    winner = next(c for c in claims if c.status_code == 200).json()
    loser = next(c for c in claims if c.status_code == 409).json()
    assert loser["code"] in ("already_claimed", "stale_version")
    assert case_id not in [c["case_id"] for c in httpx.get(f"{dispatch}/v1/board", headers=dispatcher).json()]
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
    joint = summoned.json()["joint_handling"]  # the answer names the units called and the check-in limit
    assert [u["unit_id"] for u in joint["units"]] == ["cc-xiushui", "gw-xiushui-g1"]
    assert [u["unit_name"] for u in joint["units"]] == ["秀水居委会", "秀水第1网格网格员"]
    # What the unit reads: the resident's words (masked), the place by name, the status in words.
    assert summoned.json()["description"] == "工地夜间施工噪声扰民" and summoned.json()["category_name"] == "噪音扰民"
    assert summoned.json()["place"]["name"] == "华阳路街道 秀水居委会 秀水第1网格"
    assert summoned.json()["status_name"] == "已派发" and summoned.json()["lead_unit_name"] == "秀水居委会"
    # Everyone told their part: the board's units, who claimed it, the summoned units and their check-in limit.
    notification = platform.url("notification")

    def inbox(unit: str) -> list[dict]:
        return httpx.get(f"{notification}/v1/units/{unit}/inbox",
                         headers=bearer(platform.token("unit_staff", unit=unit))).json()

    told = wait_for(lambda: inbox("hy-management-office"), lambda m: {"claimable", "claimed"} <= {
        d["template"] for d in m if d["case_id"] == case_id})
    claimed = next(d for d in told if d["template"] == "claimed" and d["case_id"] == case_id)
    assert claimed["body"].startswith("认领台案件已由") and "认领" in claimed["body"]
    for unit in ("cc-xiushui", "gw-xiushui-g1"):
        message = wait_for(lambda: inbox(unit), lambda m: any(d["template"] == "summoned" for d in m))
        body = next(d["body"] for d in message if d["template"] == "summoned")
        assert body.startswith("【联合处置】秀水居委会、秀水第1网格网格员共同处置此案，请于") and "Z" not in body
    assert 55 * 60 < (datetime.fromisoformat(joint["check_in_by"]) - datetime.now(UTC)).total_seconds() <= 3600
    grid_worker = bearer(platform.token("unit_staff", unit="gw-xiushui-g1"))
    checked = act("check-in", {"version": summoned.json()["version"]}, grid_worker)
    assert checked.status_code == 200
    assert {u["unit_id"]: bool(u["checked_in_at"]) for u in checked.json()["joint_handling"]["units"]} == {
        "cc-xiushui": False, "gw-xiushui-g1": True}
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
    problem(httpx.post(units, json=unit, headers=staff), 403, "forbidden_role")
    problem(httpx.post(units, json={**unit, "parent_id": "no-such-unit"}, headers=admin), 422, "unknown_unit",
             "parent_id")
    problem(httpx.post(units, json={**unit, "kind": "guild"}, headers=admin), 422, "invalid_field", "kind")
    created = httpx.post(units, json=unit, headers=admin)
    assert created.status_code == 201, created.text
    problem(httpx.post(units, json=unit, headers=admin), 409, "unit_exists", "id")
    edited = httpx.put(f"{units}/vt-xiushui-elders", headers=admin,
                       json={**{k: v for k, v in unit.items() if k != "id"}, "hours": "08:00-21:00"})
    assert edited.status_code == 200 and edited.json()["hours"] == "08:00-21:00"
    assert httpx.get(f"{units}/vt-xiushui-elders", headers=staff).json()["parent_id"] == "cc-xiushui"
    problem(httpx.get(f"{units}/nobody", headers=staff), 404, "not_found")
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


def test_a_returned_case_is_routed_again_to_a_unit_that_did_not_return_it_by_a_rule_an_admin_wrote(platform):
    rules = f"{platform.url('dispatch')}/v1/routing-rules"
    admin, dispatcher = bearer(platform.token("admin")), bearer(platform.token("dispatcher"))
    rule = {"id": "r-noise-fallback", "category": "noise", "lead_kind": "community_committee",
            "assisting_kind": "grid_worker"}
    problem(httpx.post(rules, json=rule, headers=dispatcher), 403, "forbidden_role")
    problem(httpx.post(rules, json={**rule, "lead_unit_id": "cn-police"}, headers=admin), 422, "invalid_field")
    problem(httpx.post(rules, json={**rule, "lead_kind": None, "lead_unit_id": "nobody"}, headers=admin), 422,
             "unknown_unit", "lead_unit_id")
    assert httpx.post(rules, json=rule, headers=admin).status_code == 201
    problem(httpx.post(rules, json=rule, headers=admin), 409, "rule_exists", "id")
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
    case_id = case_of(platform, made)
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
    assert timeline[-1]["rule_id"] == "r-noise-fallback" and "按派单规则派发至秀水居委会" in timeline[-1]["note"]
    # Without the fallback rule nothing else may have it: routing again is refused, the case stays in triage.
    committee = bearer(platform.token("unit_staff", unit="cc-xiushui"))
    back = httpx.post(f"{dispatch}/v1/cases/{case_id}/return", headers=committee, timeout=10,
                      json={"version": routed.json()["version"], "reason": "missing_information", "text": "地址不详"})
    assert back.status_code == 200, back.text
    assert httpx.delete(f"{rules}/r-noise-fallback", headers=admin).status_code == 204
    problem(httpx.delete(f"{rules}/r-noise-fallback", headers=admin), 404, "not_found")
    problem(httpx.post(f"{dispatch}/v1/cases/{case_id}/route", headers=dispatcher,
                        json={"version": back.json()["version"]}), 409, "unroutable")
    assert httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher).json()["status"] == "triage"


def test_a_unit_attaches_its_own_photos_to_progress_and_completion(platform):
    made = report(platform, category="noise", description="菜市场清晨装卸货物噪声大", location=SPOT["photos"],
                  contact={"name": NAME, "phone": "13812340014"})
    case_id = case_of(platform, made)
    dispatch = platform.url("dispatch")
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    other = bearer(platform.token("unit_staff", unit="cn-construction"))

    def upload(headers, content=None) -> httpx.Response:
        return httpx.post(f"{dispatch}/v1/photos", headers=headers, timeout=10,
                          files={"file": ("site.png", content or png(), "image/png")})

    mine, theirs = upload(unit), upload(other)
    assert mine.status_code == 201 and theirs.status_code == 201, mine.text
    problem(upload(unit, b"not an image at all"), 422, "not_an_image", "file")
    problem(upload(bearer(platform.token("dispatcher"))), 403, "forbidden_role")
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit),
                    lambda r: r.status_code == 200).json()
    signed = httpx.post(f"{dispatch}/v1/cases/{case_id}/sign", json={"version": case["version"]}, headers=unit).json()
    url = f"{dispatch}/v1/cases/{case_id}/progress"
    problem(httpx.post(url, headers=unit, json={"version": signed["version"], "text": "现场照片",
                                                 "photos": [theirs.json()["photo_id"]]}), 422, "unknown_photo", "photos")
    noted = httpx.post(url, headers=unit, json={"version": signed["version"], "text": "现场照片",
                                                "photos": [mine.json()["photo_id"]]})
    assert noted.status_code == 200, noted.text
    detail = httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json()
    assert detail["photos"] == [mine.json()["photo_id"]]
    image = httpx.get(f"{dispatch}/v1/cases/{case_id}/photos/{mine.json()['photo_id']}", headers=unit)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    problem(httpx.get(f"{dispatch}/v1/cases/{case_id}/photos/{mine.json()['photo_id']}", headers=other), 404,
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
    problem(httpx.post(f"{url}/import", files=files, headers=staff), 403, "forbidden_role")
    dry = httpx.post(f"{url}/import", files=files, headers=admin, params={"dry_run": "true"}, timeout=20)
    assert dry.status_code == 200, dry.text
    assert dry.json()["created"] == ["cc-jiangsu-import", "vt-jiangsu-repair"]
    assert [(r["row"], r["code"], r["field"]) for r in dry.json()["refused"]] == [
        (4, "invalid_field", "kind"), (5, "duplicate_id", "id"), (6, "unknown_unit", "parent_id")]
    problem(httpx.get(f"{url}/vt-jiangsu-repair", headers=staff), 404, "not_found")  # a dry run changes nothing
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
    problem(httpx.post(f"{url}/import", headers=admin, files={"file": ("u.csv", b"name,kind\nx,y\n", "text/csv")}),
             422, "missing_column", "file")


def test_a_unit_renamed_in_the_directory_is_named_anew_by_every_service_that_shows_it(platform):
    """Reference data travels as events: dispatch publishes the unit's change, dispatch's views and notification's
    texts name it as it is now (not as the step's event carried it)."""
    admin, dispatcher = bearer(platform.token("admin")), bearer(platform.token("dispatcher"))
    operator = bearer(platform.token("operator"))
    dispatch = platform.url("dispatch")
    unit = {"kind": "partner_organisation", "name_zh": "秀水邻里互助会", "name_en": "Xiushui Neighbours' Circle",
            "areas": ["cm-xiushui"], "categories": ["greening"]}
    assert httpx.post(f"{dispatch}/v1/units", json={"id": "po-xiushui-circle", **unit}, headers=admin).status_code == 201
    renamed = httpx.put(f"{dispatch}/v1/units/po-xiushui-circle",
                        json={**unit, "name_zh": "秀水睦邻中心", "name_en": "Xiushui Neighbourhood Centre"}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    made = report(platform, category="greening", description="小区绿化带里的树枝折断了挂在半空",
                  location={"lat": 31.2140, "lon": 121.4280}, contact={"name": NAME, "phone": "13812340077"})
    case_id = case_of(platform, made)
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher),
                    lambda r: r.status_code == 200 and r.json()["status"] == "dispatched").json()
    moved = httpx.post(f"{dispatch}/v1/cases/{case_id}/redispatch", headers=dispatcher, timeout=10, json={
        "version": case["version"], "lead": "po-xiushui-circle", "reason": "就近处置"})
    assert moved.status_code == 200, moved.text
    view = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher).json(),
                    lambda v: v["lead_unit_name"] == "秀水睦邻中心")
    english = httpx.get(f"{dispatch}/v1/cases/{case_id}", headers={**dispatcher, "Accept-Language": "en"}).json()
    assert english["lead_unit_name"] == "Xiushui Neighbourhood Centre" and english["status_name"] == "dispatched"
    assert view["place"]["name"] == "华阳路街道 秀水居委会 秀水第1网格"
    texts = wait_for(lambda: httpx.get(f"{platform.url('notification')}/v1/cases/{case_id}/deliveries",
                                       headers=operator).json(),
                     lambda d: any(x["template"] == "now_handling" for x in d))
    assert "现由秀水睦邻中心办理" in next(x["body"] for x in texts if x["template"] == "now_handling")


def test_a_unit_asks_for_the_resident_to_be_called_back_and_reads_the_answer_without_the_number(platform):
    made = report(platform, category="greening", description="楼下的大树歪了，怕台风天倒下来",
                  location={"lat": 31.2175, "lon": 121.4310}, contact={"name": NAME, "phone": "13812340088"})
    case_id = case_of(platform, made)
    dispatch, intake = platform.url("dispatch"), platform.url("intake")
    dispatcher, operator = bearer(platform.token("dispatcher")), bearer(platform.token("operator"))
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher),
                    lambda r: r.status_code == 200 and r.json()["lead_unit_id"]).json()
    lead = case["lead_unit_id"]
    unit = bearer(platform.token("unit_staff", unit=lead))
    stranger = bearer(platform.token("unit_staff", unit="cn-police" if lead != "cn-police" else "cn-greening"))
    ask = f"{dispatch}/v1/cases/{case_id}/callback-request"
    problem(httpx.post(ask, json={"question": "哪棵树？"}, headers=stranger), 404, "not_found")
    asked = httpx.post(ask, json={"question": "请问是哪一栋楼下的树？电话13812349999"}, headers=unit)
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["request_id"]
    queue = wait_for(lambda: httpx.get(f"{intake}/v1/unit-callbacks", headers=operator).json(),
                     lambda rows: any(r["request_id"] == request_id for r in rows))
    task = next(r for r in queue if r["request_id"] == request_id)
    assert task["question"] == "请问是哪一栋楼下的树？电话138****9999" and task["unit_name"] != task["unit_id"]
    assert task["reporter_phone_masked"] == "138****0088" and task["asked_at"].endswith("+08:00")
    answer = f"{intake}/v1/unit-callbacks/{request_id}/answer"
    assert httpx.post(answer, json={"reached": True, "answer": "居民说是3号楼北侧"}, headers=operator).status_code == 201
    problem(httpx.post(answer, json={"reached": True, "answer": "再答一次"}, headers=operator), 404, "not_found")
    seen = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json(),
                    lambda c: any(h["action"] == "callback_answered" for h in c["history"]))
    assert next(h["note"] for h in seen["history"] if h["action"] == "callback_answered") == \
        "接线员回访居民：居民说是3号楼北侧"
    assert "13812340088" not in json.dumps(seen, ensure_ascii=False)
    inbox = wait_for(lambda: httpx.get(f"{platform.url('notification')}/v1/units/{lead}/inbox", headers=unit).json(),
                     lambda m: any(d["template"] == "callback_answer" for d in m))
    assert next(d["body"] for d in inbox if d["template"] == "callback_answer") == "【回访结果】居民答复：居民说是3号楼北侧"


def test_a_street_renamed_by_intake_s_admin_is_named_anew_in_dispatch_s_views(platform):
    """The area tree is intake's: a rename is published (reference.area_changed) and dispatch names the place anew."""
    admin, dispatcher = bearer(platform.token("admin")), bearer(platform.token("dispatcher"))
    area = f"{platform.url('intake')}/v1/admin/areas/cm-feile"
    renamed = httpx.put(area, headers=admin, json={"name_zh": "飞乐新村居委会", "name_en": "Feile New Village"})
    assert renamed.status_code == 200 and renamed.json()["level"] == "community", renamed.text
    problem(httpx.put(f"{platform.url('intake')}/v1/admin/areas/no-such-area", headers=admin,
                      json={"name_zh": "无", "name_en": "None"}), 404, "not_found", "area_id")
    problem(httpx.put(area, headers=dispatcher, json={"name_zh": "x", "name_en": "x"}), 403, "forbidden_role")
    made = report(platform, category="greening", description="绿化带里的灌木枯死了一大片",
                  location={"lat": 31.2150, "lon": 121.4200}, contact={"name": NAME, "phone": "13812340099"})
    case_id = case_of(platform, made)
    view = wait_for(lambda: httpx.get(f"{platform.url('dispatch')}/v1/cases/{case_id}", headers=dispatcher),
                    lambda r: r.status_code == 200 and "飞乐新村居委会" in r.json()["place"]["name"]).json()
    assert view["place"]["community_id"] == "cm-feile"
