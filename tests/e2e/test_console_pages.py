"""The console's other pages on the running platform: the queues (an extension decided, the check-ins of joint
handling), the supervisor's page (rates and rankings as charts, hotspots, bulletins), operations (each service's
figures over the last hour, a dead-lettered record and its audited re-drive) and administration (what the services
keep, the routing preview, an account made and used)."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timedelta

import httpx

from shared.local_time import LOCAL_ZONE
from tests.e2e.client import SPOT, bearer, case_of, completed, report, wait_for
from tests.e2e.test_console import _csrf, _text, signed_in

# Samples every second, so the operations page has figures within the test.
PLATFORM_ENV = {"CONSOLE_OPERATIONS_SAMPLE_SECONDS": "1"}


def test_the_supervisor_s_page_charts_the_rates_and_lists_what_is_late_and_warned(platform):
    supervisor = signed_in(platform, "supervisor")
    page = supervisor.get("/supervision")
    assert page.status_code == 200, page.text
    text = _text(page.text)
    for heading in ("红色超时", "黄色预警", "单位排名", "红榜", "黑榜", "各街道比率", "高发问题", "说明会", "每周通报"):
        assert heading in text, heading
    assert "on_time" not in text and "satisfied" not in text  # names, not codes
    assert signed_in(platform, "construction").get("/supervision").headers["location"] == "/board"
    unknown = supervisor.get("/supervision", params={"period": "next week"})
    assert unknown.status_code == 422  # a period is a month, a quarter or a year


def test_joint_handling_shows_in_the_queue_with_the_units_summoned_and_by_when_they_check_in(platform):
    made = report(platform, category="drainage", description="华阳路地下管道破裂，需要多部门联合处置",
                  location=SPOT["wait"], contact={"name": "何先生", "phone": "13812347201"})
    code = made.json()["tracking_code"]
    intake, dispatch = platform.url("intake"), platform.url("dispatch")
    staff = bearer(platform.token("operator"))
    case_id = wait_for(lambda: httpx.get(f"{intake}/v1/cases/by-code/{code}", headers=staff),
                       lambda r: r.status_code == 200).json()["case_id"]
    dispatcher = bearer(platform.token("dispatcher"))
    case = wait_for(lambda: httpx.get(f"{dispatch}/v1/cases/{case_id}", headers=dispatcher),
                    lambda r: r.status_code == 200 and r.json()["status"] == "dispatched").json()
    summoned = httpx.post(f"{dispatch}/v1/cases/{case_id}/joint-handling", headers=dispatcher, timeout=10, json={
        "version": case["version"], "units": ["cn-construction", "hy-management-office"],
        "check_in_within_minutes": 5})
    assert summoned.status_code == 200, summoned.text
    console = signed_in(platform, "dispatcher")
    queue = wait_for(lambda: console.get("/queues").text, lambda html: f'data-code="{code}"' in html and "报到时限" in
                     html.split(f'data-code="{code}"', 1)[1].split("</tr>", 1)[0])
    row = _text(queue.split(f'data-code="{code}"', 1)[1].split("</tr>", 1)[0])
    assert "区建设和管理委员会" in row and "华阳路街道管理办" in row


def test_operations_show_each_service_and_a_dead_letter_is_sent_back_once(platform):
    admin = signed_in(platform, "admin")
    poison = f"not an event {uuid.uuid4().hex}".encode()
    asyncio.run(_publish(platform, "gridlink.intake.cases", poison))
    page = wait_for(lambda: admin.get("/operations").text,
                    lambda html: "重新投递" in html and 'data-service="console"' in html and "正常" in html,
                    timeout=30)
    text = _text(page)
    for name in ("受理", "派单", "督办", "通知", "工作台", "待发布消息", "消费延迟", "服务器错误率", "死信记录"):
        assert name in text, name
    assert "无法解码" in text or "不符合事件格式" in text  # why, in words
    ref = re.search(r'name="ref" value="([^"]+)"', page)[1]
    sent = admin.post("/operations/dead-letters/redrive", data={"ref": ref, "csrf": _csrf(page)})
    assert sent.status_code == 303, sent.text
    after = admin.get("/operations").text
    assert f'value="{ref}"' not in after and "已由 admin" in _text(after), (ref, re.findall(r'name="ref" value="([^"]+)"', after))
    again = admin.post("/operations/dead-letters/redrive", data={"ref": ref, "csrf": _csrf(page)})
    assert again.status_code == 409 and again.json()["code"] == "already_redriven"
    assert signed_in(platform, "dispatcher").post("/operations/dead-letters/redrive", data={
        "ref": ref, "csrf": "x"}).status_code == 403


async def _publish(platform, topic: str, value: bytes) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{platform.env['GRIDLINK_BROKER_PORT']}")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=b"poison")
    finally:
        await producer.stop()


def test_administration_lists_what_the_services_keep_previews_routing_and_makes_an_account(platform):
    admin = signed_in(platform, "admin")
    page = admin.get("/admin")
    assert page.status_code == 200
    text = _text(page.text)
    for seen in ("区建设和管理委员会", "区级部门", "派单规则", "事项类别", "办理时限", "工作日历", "督办人员", "联动中心调度"):
        assert seen in text, seen
    preview = admin.post("/admin/routing-preview", data={"csrf": _csrf(page.text), "category": "street-lighting",
                                                         "grid": "cm-xiushui-g1"})
    assert preview.status_code == 200 and "主办 华阳路街道管理办" in _text(preview.text)
    weak = admin.post("/admin/accounts", data={"csrf": _csrf(page.text), "username": "feile-staff",
                                               "display_name": "飞乐居委会 钱主任", "role": "unit_staff",
                                               "unit_id": "cc-feile", "area": "cm-feile", "password": "short"})
    assert weak.status_code == 422 and 'id="err-password"' in weak.text
    made = admin.post("/admin/accounts", data={"csrf": _csrf(page.text), "username": "feile-staff",
                                               "display_name": "飞乐居委会 钱主任", "role": "unit_staff",
                                               "unit_id": "cc-feile", "area": "cm-feile",
                                               "password": "Feile-Committee-2026"})
    assert made.status_code == 303 and made.headers["location"] == "/admin?done=account"
    person = httpx.Client(base_url=platform.url("console"), timeout=10)
    form = person.get("/sign-in")
    signed = person.post("/sign-in", data={"username": "feile-staff", "password": "Feile-Committee-2026",
                                           "csrf": _csrf(form.text)})
    assert signed.status_code == 303 and signed.headers["location"] == "/workbench"
    assert "飞乐居委会 工作台" in _text(person.get("/workbench").text)
    assert signed_in(platform, "supervisor").get("/admin").headers["location"] == "/board"


def _saved(client: httpx.Client, url: str, answers: dict) -> httpx.Response:
    """An administrator's form sent with the CSRF token of its page."""
    form = client.get(url)
    assert form.status_code == 200, form.text
    return client.post(url, data={"csrf": _csrf(form.text), **answers})


def test_an_administrator_edits_what_the_services_keep_and_the_services_follow(platform):
    admin = signed_in(platform, "admin")
    token = bearer(platform.token("admin"))
    dispatch, supervision, intake = platform.url("dispatch"), platform.url("supervision"), platform.url("intake")
    policy = _saved(admin, "/admin/policy/help", {
        "sign_for_hours": "lots", "completion_days": "5", "clock": "no", "warn_at": "50%、80%", "max_extensions": "1",
        "max_extension_days": "10", "reply_hours": "8", "callback_after_days": "3", "max_reopenings": "2"})
    assert policy.status_code == 422 and 'id="edit-sign_for_hours-error"' in policy.text  # at the field, in words
    assert "填写的内容无效" in _text(policy.text)
    policy = _saved(admin, "/admin/policy/help", {
        "sign_for_hours": "3", "completion_days": "5", "clock": "no", "warn_at": "40%、75%", "max_extensions": "1",
        "max_extension_days": "10", "reply_hours": "8", "callback_after_days": "3", "max_reopenings": "2"})
    assert policy.status_code == 303 and policy.headers["location"] == "/admin?done=policy#policies"
    kept = httpx.get(f"{supervision}/v1/jurisdictions/cn-changning/policies", headers=token).json()
    help_policy = next(p for p in kept if p["time_limit_class"] == "help" and not p["category_code"])
    assert help_policy["sign_for_hours"] == 3 and help_policy["warn_at"] == [0.4, 0.75]
    assert help_policy["pauses_for"]  # what the form does not edit is sent back as it was

    unit = _saved(admin, "/admin/unit/new", {"id": "xiushui-volunteers", "kind": "volunteer_team",
                                             "name_zh": "秀水社区志愿服务队", "name_en": "Xiushui volunteers",
                                             "areas": ["cm-xiushui"], "hours": "08:30-17:30"})
    assert unit.status_code == 303, _text(unit.text)
    renamed = _saved(admin, "/admin/unit/xiushui-volunteers", {
        "kind": "volunteer_team", "name_zh": "秀水社区为老志愿服务队", "name_en": "Xiushui volunteers for the elderly",
        "areas": ["cm-xiushui", "cm-feile"], "hours": "bad hours"})
    assert renamed.status_code == 422 and 'id="edit-hours-error"' in renamed.text  # the owner's refusal, at the field
    assert 'value="秀水社区为老志愿服务队"' in renamed.text  # nothing typed is lost
    renamed = _saved(admin, "/admin/unit/xiushui-volunteers", {
        "kind": "volunteer_team", "name_zh": "秀水社区为老志愿服务队", "name_en": "Xiushui volunteers for the elderly",
        "areas": ["cm-xiushui", "cm-feile"], "hours": ""})
    assert renamed.status_code == 303
    held = httpx.get(f"{dispatch}/v1/units/xiushui-volunteers", headers=token).json()
    assert held["name_zh"] == "秀水社区为老志愿服务队" and held["areas"] == ["cm-xiushui", "cm-feile"]

    neither = _saved(admin, "/admin/rule/new", {"id": "xiushui-lights", "category": "street-lighting",
                                               "area": "cm-xiushui", "local_only": "no"})
    assert neither.status_code == 422 and 'id="edit-lead_unit_id-error"' in neither.text
    rule = _saved(admin, "/admin/rule/new", {"id": "xiushui-lights", "category": "street-lighting",
                                            "area": "cm-xiushui-g1", "lead_unit_id": "xiushui-volunteers",
                                            "local_only": "no"})
    assert rule.status_code == 303, _text(rule.text)
    page = admin.get("/admin")
    # Dispatch reads its routing again within a second of an edit (its versioned cache), not in the same instant.
    wait_for(lambda: _text(admin.post("/admin/routing-preview", data={
        "csrf": _csrf(page.text), "category": "street-lighting", "grid": "cm-xiushui-g1"}).text),
        lambda text: "规则 xiushui-lights → 主办 秀水社区为老志愿服务队" in text, timeout=10)
    gone = admin.post("/admin/rule/xiushui-lights/removal", data={"csrf": _csrf(page.text)})
    assert gone.status_code == 303
    assert all(r["id"] != "xiushui-lights" for r in httpx.get(f"{dispatch}/v1/routing-rules", headers=token).json())

    made = _saved(admin, "/admin/category/new", {
        "code": "shared-bikes", "name_zh": "共享单车乱停放", "name_en": "Shared bikes parked badly",
        "class_code": "livelihood", "service_code": "901", "priority": "normal", "time_limit_class": "complaint",
        "handle_locally": "yes", "keywords": "共享单车、乱停、bike", "examples": "小区门口共享单车堆成山\n人行道被单车堵住"})
    assert made.status_code == 303, _text(made.text)
    edited = _saved(admin, "/admin/category/shared-bikes", {
        "name_zh": "共享单车乱停乱放", "name_en": "Shared bikes parked badly", "class_code": "livelihood",
        "service_code": "901", "priority": "high", "time_limit_class": "complaint", "handle_locally": "yes",
        "keywords": "共享单车，乱停,bike", "examples": "小区门口共享单车堆成山"})
    assert edited.status_code == 303
    versions = httpx.get(f"{intake}/v1/admin/categories/shared-bikes/versions", headers=token).json()
    assert [v["version"] for v in versions] == [2, 1] and versions[0]["keywords"] == ["共享单车", "乱停", "bike"]
    assert versions[0]["priority"] == "high" and versions[0]["handle_locally"] is True

    supervisor = _saved(admin, "/admin/supervisor/new", {"id": "xiushui-supervisor", "name": "秀水社区督办员",
                                                         "areas": ["cm-xiushui"], "active": "yes"})
    assert supervisor.status_code == 303
    listed = httpx.get(f"{supervision}/v1/supervisors", headers=token).json()
    assert {"id": "xiushui-supervisor", "areas": ["cm-xiushui"]}.items() <= next(
        s for s in listed if s["id"] == "xiushui-supervisor").items()

    page = admin.get("/admin?year=2026")
    day = admin.post("/admin/calendar/2026/days", data={"csrf": _csrf(page.text), "day": "2026-01-05",
                                                         "workday": "no", "name": "测试假日"})
    assert day.status_code == 303
    days = httpx.get(f"{supervision}/v1/jurisdictions/cn-changning/calendar", params={"year": 2026},
                     headers=token).json()["days"]
    assert {"day": "2026-01-05", "workday": False, "name": "测试假日"}.items() <= next(
        d for d in days if d["day"] == "2026-01-05").items()
    assert len(days) > 10  # the statutory days stay
    assert "测试假日" in _text(admin.get("/admin?year=2026").text)
    back = admin.post("/admin/calendar/2026/days", data={"csrf": _csrf(page.text), "remove": "2026-01-05"})
    assert back.status_code == 303
    after = httpx.get(f"{supervision}/v1/jurisdictions/cn-changning/calendar", params={"year": 2026},
                      headers=token).json()["days"]
    assert all(d["day"] != "2026-01-05" for d in after) and len(after) == len(days) - 1

    assert signed_in(platform, "supervisor").get("/admin/unit/new").status_code == 404  # only for administrators
    assert admin.post("/admin/unit/xiushui-volunteers", data={"csrf": "stale", "name_zh": "x"}).status_code == 403


def test_a_supervisor_seats_the_quarter_s_three_party_panel_from_the_queues(platform):
    supervisor = signed_in(platform, "supervisor")
    page = supervisor.get("/queues")
    assert "三方评议" in _text(page.text) and "情况说明会" in _text(page.text)
    quarter = re.search(r'name="quarter" value="([^"]+)"', page.text)[1]
    short = supervisor.post("/queues/panels", data={"csrf": _csrf(page.text), "quarter": quarter,
                                                    "street_id": "st-huayang", "community": "张*", "resident": "王*"})
    assert short.status_code == 422 and "缺少必填项" in _text(short.text)
    seated = supervisor.post("/queues/panels", data={"csrf": _csrf(page.text), "quarter": quarter,
                                                     "street_id": "st-huayang", "community": "张*",
                                                     "party_member": "李*、赵*", "resident": "王*"})
    assert seated.status_code == 303
    shown = _text(supervisor.get("/queues").text)
    assert f"华阳路街道 · {quarter}" in shown and "党员代表 李*、党员代表 赵*" in shown
    panels = httpx.get(f"{platform.url('supervision')}/v1/panels", headers=bearer(platform.token("supervisor"))).json()
    assert any(p["street_id"] == "st-huayang" and len(p["members"]) == 4 for p in panels)


def test_a_supervisor_schedules_and_records_an_explanation_meeting_from_the_queues_in_local_time(platform):
    supervision, intake = platform.url("supervision"), platform.url("intake")
    admin, supervisor = bearer(platform.token("admin")), bearer(platform.token("supervisor"))
    # No reopening for this sub-item: the first dissatisfied round calls a meeting.
    assert httpx.put(f"{supervision}/v1/jurisdictions/cn-changning/policies/help?category=elderly-care",
                     headers=admin, json={"sign_for_hours": 1, "completion_days": 2, "warn_at": [0.5],
                                          "max_reopenings": 0}).status_code == 200
    made = report(platform, category="elderly-care", description="楼里独居老人几天没出门，请上门看看",
                  location={"lat": 31.2125, "lon": 121.4275}, contact={"name": "周女士", "phone": "13812347203"})
    case_id, code = case_of(platform, made), made.json()["tracking_code"]
    completed(platform, case_id, "已上门探访")
    track = f"{intake}/v1/track/{code}"
    wait_for(lambda: httpx.get(track, params={"phone_last4": "7203"}).json(), lambda t: t["status"] == "completed")
    assert httpx.post(f"{track}/verdict?phone_last4=7203", json={"verdict": "dissatisfied"}).status_code == 201
    meeting = wait_for(lambda: httpx.get(f"{supervision}/v1/meetings", headers=supervisor).json(),
                       lambda rows: any(m["case_id"] == case_id for m in rows))
    meeting_id = next(m["id"] for m in meeting if m["case_id"] == case_id)

    console = signed_in(platform, "supervisor")
    page = wait_for(lambda: console.get("/queues").text, lambda html: f'/queues/meeting-schedule/{meeting_id}"' in html)
    assert f'/queues/meeting-record/{meeting_id}"' not in page  # recorded only once scheduled
    held_at = (datetime.now(LOCAL_ZONE) - timedelta(hours=1)).replace(second=0, microsecond=0)
    scheduled = console.post(f"/queues/meeting-schedule/{meeting_id}", data={
        "csrf": _csrf(page), "key": uuid.uuid4().hex, "scheduled_for": held_at.strftime("%Y-%m-%dT%H:%M"),
        "place": "华阳路街道会议室"})
    assert scheduled.status_code == 303, _text(scheduled.text)
    page = console.get("/queues").text
    assert held_at.strftime("%Y-%m-%d %H:%M") in _text(page)  # shown in Beijing time, as typed
    recorded = console.post(f"/queues/meeting-record/{meeting_id}", data={
        "csrf": _csrf(page), "key": uuid.uuid4().hex, "summary": "向居民说明了上门探访的安排", "accepted": "yes"})
    assert recorded.status_code == 303, _text(recorded.text)
    kept = next(m for m in httpx.get(f"{supervision}/v1/meetings", headers=supervisor).json() if m["id"] == meeting_id)
    assert kept["status"] == "held" and kept["accepted"] is True
    assert datetime.fromisoformat(kept["scheduled_for"]) == held_at  # the moment typed, in the reader's zone
    assert f'/queues/meeting-schedule/{meeting_id}"' not in console.get("/queues").text
