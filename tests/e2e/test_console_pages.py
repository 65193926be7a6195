"""The console's other pages on the running platform: the queues (an extension decided, the check-ins of joint
handling), the supervisor's page (rates and rankings as charts, hotspots, bulletins), operations (each service's
figures over the last hour, a dead-lettered record and its audited re-drive) and administration (what the services
keep, the routing preview, an account made and used)."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx

from tests.e2e.client import SPOT, bearer, report, wait_for
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
