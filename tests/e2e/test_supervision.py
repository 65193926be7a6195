"""Supervision as units, supervisors and residents meet it: clocks, extensions and urging, reopenings, explanation
meetings and panels, the rates, the mirror wall, the bulletin, the calendar."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.local_time import LOCAL_ZONE as SHANGHAI_TZ
from tests.e2e.client import JIANGSU, NAME, SPOT, bearer, case_of, problem, report, wait_for

pytestmark = pytest.mark.e2e


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_dissatisfied_verdict_reopens_the_case_to_its_unit_until_the_resident_is_satisfied(platform):
    made = report(platform, category="noise", description="楼上每天深夜拖动家具噪音很大", location=SPOT["reopen"],
                  contact={"name": NAME, "phone": "13812340011"})
    code, case_id = made.json()["tracking_code"], case_of(platform, made)
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
    case_id = case_of(platform, made)
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
    problem(act("extension-request", {"version": asked.json()["version"], "reason": "再申请",
                                       "proposed_date": proposed}), 409, "extension_pending")
    pending = wait_for(lambda: httpx.get(f"{supervision}/v1/extension-requests", headers=supervisor,
                                         params={"case_id": case_id}).json(), lambda rows: len(rows) == 1)[0]
    assert (pending["unit_id"], pending["proposed_date"]) == ("cn-enforcement", proposed)
    elsewhere = bearer(platform.token("supervisor", jurisdiction="cn-xuhui"))
    assert httpx.get(f"{supervision}/v1/extension-requests", headers=elsewhere,
                     params={"case_id": case_id}).json() == []
    decision = f"{supervision}/v1/extension-requests/{pending['id']}/decision"
    problem(httpx.post(decision, json={"approve": True, "reason": "同意"}, headers=elsewhere), 404, "not_found")
    problem(httpx.post(decision, json={"approve": True, "reason": "同意"}, headers=unit), 403, "forbidden_role")
    approved = httpx.post(decision, json={"approve": True, "reason": "确需检测"}, headers=supervisor, timeout=10)
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    problem(httpx.post(decision, json={"approve": False, "reason": "改主意"}, headers=supervisor), 409,
             "already_decided")
    new_due = approved.json()["due_at"]
    moved = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json(),
                     lambda c: not c["extension_pending"] and moment(c["due_at"]) == moment(new_due))
    assert moved["due_at"].endswith("+08:00")  # the unit reads it in Shanghai's time
    assert moved["history"][-1]["action"] == "decide_extension" and "批准延期至" in moved["history"][-1]["note"]
    assert new_due.startswith(proposed)  # the close of the working day in Shanghai, in UTC, is still that date
    track = f"{platform.url('intake')}/v1/track/{made.json()['tracking_code']}?phone_last4=0012"
    told = wait_for(lambda: httpx.get(track).json(), lambda t: "extended" in [e["kind"] for e in t["timeline"]])
    assert proposed in next(e for e in told["timeline"] if e["kind"] == "extended")["text_zh"]
    deadlines = httpx.get(f"{supervision}/v1/cases/{case_id}/deadlines", headers=supervisor).json()
    assert moment(new_due) in [moment(d["due_at"]) for d in deadlines]
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
    assert moment(after["due_at"]) == moment(new_due) and "不予延期" in after["history"][-1]["note"]
    # A supervisor presses the unit; the urging shows on the unit's case with the written reply it owes.
    urged = httpx.post(f"{supervision}/v1/cases/{case_id}/urging", headers=supervisor, timeout=10,
                       json={"reason": "居民多次来电，请加快办理", "reply_within_hours": 24})
    assert urged.status_code == 201, urged.text
    problem(httpx.post(f"{supervision}/v1/cases/{case_id}/urging", headers=elsewhere, json={"reason": "x"}),
             404, "not_found")
    shown = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=unit).json(),
                     lambda c: c["escalation_level"] == "urging")
    assert shown["reply_by"] and shown["history"][-1]["action"] == "escalated:urging"
    assert shown["escalation_level_name"] == "催办" and shown["reply_by"].endswith("+08:00")


def test_supervision_keeps_the_units_clocks_stops_them_while_it_waits_and_tracks_an_explained_case(platform):
    made = report(platform, category="noise", description="夜间施工机器轰鸣影响休息", location=SPOT["wait"],
                  contact={"name": NAME, "phone": "13812340013"})
    case_id = case_of(platform, made)
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
    problem(act("suspension", {"version": signed["version"], "reason": "holiday", "text": "x"}), 422,
             "invalid_field", "reason")
    waiting = act("suspension", {"version": signed["version"], "reason": "waiting_for_resident",
                                 "text": "居民外出，电话13812340013无人接听"})
    assert waiting.status_code == 200 and waiting.json()["suspended"] == "waiting_for_resident", waiting.text
    problem(act("suspension", {"version": waiting.json()["version"], "reason": "weather", "text": "雨"}), 409,
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
    problem(httpx.get(f"{supervision}/v1/cases/{case_id}/timeline", headers=elsewhere), 404, "not_found")


def test_a_case_gets_its_supervisor_and_a_resident_supervisor_follows_it_until_the_certificate_is_revoked(platform):
    made = report(platform, category="noise", description="广场舞音响声音太大", location=SPOT["observe"],
                  contact={"name": NAME, "phone": "13812340014"})
    case_id = case_of(platform, made)
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
    jiangsu = case_of(platform, report(platform, category="street-stalls", description="学校门口有流动摊贩",
                                        location=JIANGSU, contact={"name": NAME, "phone": "13812340015"}))
    problem(httpx.get(f"{supervision}/v1/observer/cases/{jiangsu}", headers=observer), 404, "not_found")
    revoked = httpx.post(f"{supervision}/v1/certificates/{certificate['id']}/revocation", headers=street_team,
                         json={"reason": "搬离本社区"})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"], revoked.text
    problem(httpx.get(f"{supervision}/v1/observer/cases", headers=observer), 401, "certificate_revoked")
    problem(httpx.get(f"{supervision}/v1/observer/cases", headers=bearer("cert_forged")), 401,
             "invalid_certificate")
    problem(httpx.post(f"{supervision}/v1/certificates", headers=unit,
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
        case_id = case_of(platform, made)
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
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    planned = httpx.post(f"{supervision}/v1/meetings/{meeting[accepted_case]['id']}/schedule", headers=supervisor,
                         json={"scheduled_for": later, "place": "秀水居委会会议室"})
    assert planned.status_code == 200, planned.text
    problem(httpx.post(f"{supervision}/v1/meetings/{meeting[accepted_case]['id']}/record", headers=supervisor,
                       json={"summary": "还没开会", "accepted": True}), 409, "not_held_yet")
    earlier = (datetime.now(UTC) - timedelta(hours=2)).isoformat()  # it was held this evening, as it turned out
    scheduled = httpx.post(f"{supervision}/v1/meetings/{meeting[accepted_case]['id']}/schedule", headers=supervisor,
                           json={"scheduled_for": earlier, "place": "秀水居委会会议室"})
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled", scheduled.text
    # The resident is told the date and place; the meeting's date is when the matter is expected to be settled.
    deliveries = wait_for(lambda: httpx.get(f"{platform.url('notification')}/v1/cases/{accepted_case}/deliveries",
                                            headers=supervisor).json(),
                          lambda d: sum(x["template"] == "meeting" and x["audience"] == "resident" for x in d) >= 2)
    assert all("情况说明会定于" in x["body"] and "在秀水居委会会议室举行" in x["body"]
               for x in deliveries if x["template"] == "meeting" and x["audience"] == "resident")
    expected = wait_for(lambda: httpx.get(accepted_track, params={"phone_last4": "0016"}).json(),
                        lambda t: t["expected_completion_at"] and moment(t["expected_completion_at"]) == moment(earlier))
    assert expected["expected_completion_at"].endswith("+08:00")
    held = httpx.post(f"{supervision}/v1/meetings/{meeting[accepted_case]['id']}/record", headers=supervisor,
                      json={"summary": "说明了上门服务的排班，居民表示理解", "accepted": True})
    assert held.status_code == 200 and held.json()["accepted"] is True, held.text
    # The solution agreed there is on the case the units read.
    noted = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{accepted_case}", headers=dispatcher).json(),
                     lambda c: any(h["action"] == "meeting_held" for h in c["history"]))
    assert next(h["note"] for h in noted["history"] if h["action"] == "meeting_held") == \
        "情况说明会（居民认可，商定方案）：说明了上门服务的排班，居民表示理解"
    problem(httpx.post(f"{supervision}/v1/meetings/{meeting[accepted_case]['id']}/record", headers=supervisor,
                        json={"summary": "再记一次", "accepted": True}), 409, "already_held")
    # Not accepted: the case goes back to dispatch for another round.
    httpx.post(f"{supervision}/v1/meetings/{meeting[refused_case]['id']}/schedule", headers=supervisor,
               json={"scheduled_for": earlier, "place": "秀水居委会会议室"}).raise_for_status()
    httpx.post(f"{supervision}/v1/meetings/{meeting[refused_case]['id']}/record", headers=supervisor,
               json={"summary": "居民不接受说明", "accepted": False}).raise_for_status()
    wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{refused_case}", headers=dispatcher).json(),
             lambda c: c["redo_count"] == 1 and c["status"] == "dispatched")

    # The accepted case touched many: a panel of the street rates the unit that handled it.
    assert httpx.post(f"{supervision}/v1/cases/{accepted_case}/wide-impact", headers=supervisor,
                      json={"reason": "涉及整栋楼独居老人"}).status_code == 200
    quarter = f"{datetime.now(UTC).year}Q{(datetime.now(UTC).month - 1) // 3 + 1}"
    members = [{"party": "community", "name": "张社区"}, {"party": "party_member", "name": "李党员"}]
    problem(httpx.post(f"{supervision}/v1/panels", headers=supervisor,
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
    problem(httpx.post(f"{supervision}/v1/panels/{panel_id}/ratings", headers=supervisor, json={
        "case_id": accepted_case, "community": 4, "party_member": 5, "resident": 3}), 409, "already_rated")
    problem(httpx.post(f"{supervision}/v1/panels/{panel_id}/ratings", headers=supervisor, json={
        "case_id": refused_case, "community": 4, "party_member": 5, "resident": 3}), 422, "not_on_docket")
    standing = httpx.get(f"{supervision}/v1/panels/{panel_id}/results", headers=supervisor).json()
    assert [(s["cases"], s["overall"]) for s in standing] == [(1, 4.0)]
    # Published (by name) and counted in the unit's standings.
    public = httpx.get(f"{supervision}/v1/public/panel-results", params={"quarter": quarter}).json()
    [row] = [p for p in public if p["unit_id"] == standing[0]["unit_id"]]
    assert row["street_name"] == "华阳路街道" and row["unit_name"] != row["unit_id"] and row["overall"] == 4.0
    assert row["unit_name"] in httpx.get(f"{supervision}/mirror-wall").text
    period = datetime.now(UTC).astimezone(SHANGHAI_TZ).strftime("%Y-%m")
    rates = wait_for(lambda: httpx.get(f"{supervision}/v1/rates", headers=bearer(platform.token("leader")),
                                       params={"by": "unit", "period": period}).json(),
                     lambda rows: any(r["key"] == row["unit_id"] and "panel" in r["rates"] for r in rows))
    panel_rate = next(r for r in rates if r["key"] == row["unit_id"])
    assert panel_rate["rates"]["panel"] == {"measured": 1, "ok": 1, "rate": 1.0}
    assert panel_rate["name"] == row["unit_name"]


def test_the_rates_follow_what_units_do_and_a_rebuild_from_the_journal_gives_the_same_numbers(platform):
    supervision, dispatch = platform.url("supervision"), platform.url("dispatch")
    leader, admin = bearer(platform.token("leader")), bearer(platform.token("admin"))
    period = datetime.now(UTC).astimezone(SHANGHAI_TZ).strftime("%Y-%m")

    def enforcement(rows):
        return next((r for r in rows if r["key"] == "cn-enforcement"), {"rates": {}})

    before = enforcement(httpx.get(f"{supervision}/v1/rates", headers=leader,
                                   params={"by": "unit", "period": period}).json())
    measured = before["rates"].get("response", {}).get("measured", 0)
    case_id = case_of(platform, report(platform, category="noise", description="KTV营业到凌晨两点",
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
    problem(httpx.get(f"{supervision}/v1/rates", headers=leader, params={"by": "unit", "period": "2026-13"}),
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
    # Names, not codes: the district, the streets and sub-items (Chinese, English beside), the status in words.
    assert wall["district"] == "长宁区" and wall["district_en"] == "Changning District"
    huayang = next(t for t in wall["by_street"] if t["key"] == "st-huayang")
    assert (huayang["name"], huayang["name_en"]) == ("华阳路街道", "Huayang Road Street")
    cases = httpx.get(f"{supervision}/v1/public/mirror-wall/cases", params={"limit": 200})
    assert cases.status_code == 200 and cases.headers["cache-control"].startswith("public")
    assert cases.json() and all(c["number"].startswith("GL-") for c in cases.json())
    first = cases.json()[0]
    assert first["tracking_code"] and first["street_name"] != first["street"]
    assert first["category_name"] != first["category"] and first["status_name"] in ("办理中", "已办结", "已说明")
    page = httpx.get(f"{supervision}/mirror-wall")
    assert page.status_code == 200 and "长宁区镜子墙" in page.text and "华阳路街道" in page.text
    assert "st-huayang" not in page.text and first["tracking_code"] in page.text
    for text in (cases.text, page.text, json.dumps(wall, ensure_ascii=False)):
        assert NAME not in text and "13812" not in text
    problem(httpx.get(f"{supervision}/v1/public/mirror-wall", params={"period": "2026-13"}), 422,
             "invalid_format", "period")


def test_a_supervisor_generates_the_weekly_bulletin_as_html_and_pdf(platform):
    supervision = platform.url("supervision")
    supervisor = bearer(platform.token("supervisor"))
    made = httpx.post(f"{supervision}/v1/bulletins", headers=supervisor, json={}, timeout=30)
    assert made.status_code == 201, made.text
    week = made.json()["week"]
    assert week == datetime.now(UTC).astimezone(SHANGHAI_TZ).strftime("%G-W%V")
    html = httpx.get(f"{supervision}/v1/bulletins/{week}.html", headers=supervisor)
    year, number = week.split("-W")
    assert html.status_code == 200 and f"长宁区作风效能建设周通报（{year}年第{int(number)}周）" in html.text
    assert "cn-changning" not in html.text
    pdf = httpx.get(f"{supervision}/v1/bulletins/{week}.pdf", headers=supervisor)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == \
        "application/pdf"
    assert b"/FontFile2" in pdf.content  # the Chinese font travels inside the PDF, not left to the viewer
    assert week in [b["week"] for b in httpx.get(f"{supervision}/v1/bulletins", headers=supervisor).json()]
    problem(httpx.post(f"{supervision}/v1/bulletins", headers=supervisor, json={"week": "2099-W01"}), 422,
             "out_of_range", "week")
    problem(httpx.get(f"{supervision}/v1/bulletins/2020-W01.pdf", headers=supervisor), 404, "not_found")
    unit = bearer(platform.token("unit_staff", unit="cn-enforcement"))
    problem(httpx.get(f"{supervision}/v1/bulletins", headers=unit), 403, "forbidden_role")


def test_the_working_calendar_and_the_time_limit_policies_are_data_an_admin_edits(platform):
    supervision = platform.url("supervision")
    supervisor, admin = bearer(platform.token("supervisor")), bearer(platform.token("admin"))
    calendar = f"{supervision}/v1/jurisdictions/cn-changning/calendar"
    shown = httpx.get(calendar, headers=supervisor, params={"year": 2026}).json()
    assert shown["years"]["2026"] == "statutory" and shown["timezone"] == "Asia/Shanghai"
    assert {"day": "2026-10-01", "workday": False, "name": "National Day", "name_zh": "国庆节"} in shown["days"]
    year = max(int(y) for y in shown["years"]) + 1
    problem(httpx.post(f"{calendar}/{year}/statutory", headers=admin), 409, "unknown_year", "year")
    problem(httpx.put(f"{calendar}/{year}", headers=supervisor, json={"days": []}), 403, "forbidden_role")
    problem(httpx.put(f"{calendar}/{year}", headers=admin, json={"days": [
        {"day": f"{year - 1}-12-31", "workday": False, "name": "x"}]}), 422, "out_of_range", "days")
    entered = httpx.put(f"{calendar}/{year}", headers=admin, json={"days": [
        {"day": f"{year}-01-01", "workday": False, "name": "元旦"}]})
    assert entered.status_code == 200, entered.text
    assert entered.json()["years"][str(year)] == "edited" and year not in entered.json()["missing_years"]
    policies = f"{supervision}/v1/jurisdictions/cn-changning/policies"
    listed = httpx.get(policies, headers=supervisor).json()
    elderly = next(p for p in listed if p["category_code"] == "elderly-care")
    assert (elderly["time_limit_class"], elderly["completion_days"]) == ("help", 2)
    problem(httpx.put(f"{policies}/complaint", headers=admin, json={"sign_for_hours": 2, "completion_days": 10,
                                                                      "warn_at": [0.9, 0.5]}), 422, "invalid_policy")
    changed = httpx.put(f"{policies}/complaint", headers=admin, json={"sign_for_hours": 2, "completion_days": 10,
                                                                       "warn_at": [0.5, 0.8, 0.9]})
    assert changed.status_code == 200 and changed.json()["warn_at"] == [0.5, 0.8, 0.9], changed.text
    restored = httpx.put(f"{policies}/complaint", headers=admin, json={"sign_for_hours": 2, "completion_days": 10})
    assert restored.json()["warn_at"] == [0.5, 0.8]
    elsewhere = bearer(platform.token("admin", jurisdiction="cn-xuhui"))
    problem(httpx.get(calendar, headers=elsewhere), 404, "not_found")


def test_officials_commitments_are_tracked_by_their_day_scored_by_residents_and_shown_on_the_mirror_wall(platform):
    supervision = platform.url("supervision")
    supervisor = bearer(platform.token("supervisor"))
    card = httpx.post(f"{supervision}/v1/officials", headers=supervisor, json={
        "name": "李建华", "post": "华阳路街道党工委副书记", "area_id": "st-huayang", "office_phone": "021-62110000",
        "duties": "联系秀水、飞乐社区"})
    assert card.status_code == 201, card.text
    official = card.json()["id"]
    today = datetime.now(SHANGHAI_TZ).date()
    problem(httpx.post(f"{supervision}/v1/officials/{official}/commitments", headers=supervisor, json={
        "matter": "修好秀水小区门口的路灯", "due_on": (today - timedelta(days=1)).isoformat()}), 422, "out_of_range",
        "due_on")
    promised = httpx.post(f"{supervision}/v1/officials/{official}/commitments", headers=supervisor, json={
        "matter": "年底前完成秀水小区加装电梯意见征询", "due_on": (today + timedelta(days=20)).isoformat()})
    assert promised.status_code == 201 and promised.json()["state_name"] == "进行中", promised.text
    commitment = promised.json()["id"]
    # A resident supervisor of a community of the street scores it; one of another street cannot.
    def certificate(areas):
        issued = httpx.post(f"{supervision}/v1/certificates", headers=supervisor,
                            json={"holder_name": "赵居民", "areas": areas})
        assert issued.status_code == 201, issued.text
        return bearer(issued.json()["credential"])

    xiushui, jiangsu = certificate(["cm-xiushui"]), certificate(["cm-huashan"])
    scores = f"{supervision}/v1/commitments/{commitment}/scores"
    assert httpx.post(scores, headers=xiushui, json={"score": 2}).status_code == 201
    again = httpx.post(scores, headers=xiushui, json={"score": 4, "comment": "有进展，电话13812345678"})
    assert again.status_code == 201 and again.json()["scores"] == 1  # the same resident again replaces the score
    problem(httpx.post(scores, headers=jiangsu, json={"score": 5}), 404, "not_found", "commitment_id")
    problem(httpx.post(scores, json={"score": 5}), 401, "unauthenticated")
    kept = httpx.post(f"{supervision}/v1/commitments/{commitment}/kept", headers=supervisor,
                      json={"note": "已召开征询会"})
    assert kept.status_code == 200 and kept.json()["state"] == "kept", kept.text
    problem(httpx.post(f"{supervision}/v1/commitments/{commitment}/kept", headers=supervisor,
                       json={"note": "再记一次"}), 409, "already_kept")
    public = httpx.get(f"{supervision}/v1/public/officials").json()
    [shown] = [o for o in public if o["id"] == official]
    assert shown["area_name"] == "华阳路街道" and shown["office_phone"] == "021-62110000"
    [item] = shown["commitments"]
    assert (item["state_name"], item["score"], item["scores"]) == ("已兑现", 4.0, 1)
    page = httpx.get(f"{supervision}/mirror-wall").text
    assert "李建华" in page and "年底前完成秀水小区加装电梯意见征询" in page and "已兑现" in page
    assert "13812345678" not in json.dumps(public, ensure_ascii=False)
