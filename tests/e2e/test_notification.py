"""Who is told what: the inbox and templates, SMS and the messaging group, staff's languages, partners' webhooks and
their topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.webhooks import WebhookRejected, verify
from tests.e2e.client import NAME, PHONE, SPOT, bearer, case_of, outbox, problem, report, wait_for
from tests.receivers import LocalReceiver, Request

pytestmark = pytest.mark.e2e


def test_units_and_supervisors_read_their_inbox_and_an_admin_s_template_is_checked_before_it_is_used(platform):
    notification, dispatch = platform.url("notification"), platform.url("dispatch")
    admin, unit = bearer(platform.token("admin")), bearer(platform.token("unit_staff", unit="cn-enforcement"))
    supervisor = bearer(platform.token("supervisor", subject="sup-huayang"))
    rule = f"{notification}/v1/templates/org.gridlink.case.dispatched.v1/unit/new_assignment/zh"
    problem(httpx.put(rule, headers=admin, json={"source": "新派单 {{ phone }}"}), 422, "invalid_template", "source")
    problem(httpx.put(rule, headers=admin, json={"source": "新派单 {{ unit_name "}), 422, "invalid_template",
             "source")
    problem(httpx.put(rule, headers=unit, json={"source": "x"}), 403, "forbidden_role")
    default = next(t["source"] for t in httpx.get(f"{notification}/v1/templates", headers=admin).json()
                   if t["template"] == "new_assignment" and t["event_type"].endswith("dispatched.v1")
                   and t["locale"] == "zh")
    assert httpx.put(rule, headers=admin, json={"source": "【新派单】{{ category_code }}，请于两小时内签收"}
                     ).status_code == 200
    try:
        case_id = case_of(platform, report(platform, category="noise", description="工地夜间打桩声音很大",
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
    problem(httpx.post(f"{notification}/v1/inbox/{message['id']}/read", headers=supervisor), 404, "not_found")
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
        problem(httpx.post(hooks, headers=partner, json={"url": url, "event_types": events}), 422, code, "url")
    problem(httpx.post(hooks, headers=partner, json={"url": "http://127.0.0.2:9/hook",
                                                      "event_types": ["case.whatever"]}), 422, "unknown_filter",
             "event_types")
    problem(httpx.post(hooks, headers=partner, json={"url": "http://127.0.0.2:9/hook", "event_types": events,
                                                      "areas": ["Not An Area"]}), 422, "unknown_filter", "areas")
    problem(httpx.post(hooks, headers=partner, json={"url": "http://127.0.0.2:9/hook", "event_types": events,
                                                      "areas": ["st-huayang", "st-nowhere"]}), 422, "unknown_filter",
             "areas")
    areas = httpx.get(f"{platform.url('intake')}/v1/areas").json()  # what a partner may filter on, from intake
    assert {"id": "st-huayang", "level": "street", "parent_id": "cn-changning"}.items() <= \
        next(a for a in areas if a["id"] == "st-huayang").items() and all("polygon" not in a for a in areas)
    problem(httpx.post(hooks, headers=bearer(platform.token("supervisor")), json={
        "url": "http://127.0.0.2:9/hook", "event_types": events}), 403, "forbidden_role")
    made = httpx.post(hooks, headers=partner, json={"url": "http://127.0.0.2:9/hook", "event_types": events,
                                                    "areas": ["st-huayang"]})
    assert made.status_code == 201 and made.json()["secret"].startswith("whsec_"), made.text
    listed = httpx.get(hooks, headers=partner).json()
    assert [h["id"] for h in listed] == [made.json()["id"]] and "secret" not in listed[0]
    other = bearer(platform.token("partner", subject="another-partner"))
    assert httpx.get(hooks, headers=other).json() == []
    problem(httpx.delete(f"{hooks}/{made.json()['id']}", headers=other), 404, "not_found")
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
        case_id = case_of(platform, report(platform, location=SPOT["partners"]))
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
        problem(httpx.post(f"{hooks}/{endpoints['/gone']}/messages/{message['id']}/replay", headers=partner),
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
        problem(httpx.get(log, headers=other), 404, "not_found", "endpoint_id")
        # The same step on the partner topic, readable by any Kafka client, as thin and masked.
        on_topic = wait_for(lambda: _partner_kafka_notices(platform, case_id), lambda got: len(got) >= 1)
        assert on_topic[0]["headers"]["ce_type"] == "org.gridlink.partner.case_step.v1"
        assert on_topic[0]["data"]["step"] == "org.gridlink.case.reported.v1"
        assert PHONE not in json.dumps(on_topic, ensure_ascii=False)
    finally:
        for endpoint_id in endpoints.values():
            httpx.delete(f"{hooks}/{endpoint_id}", headers=partner)
        receiver.close()


def test_residents_are_texted_with_their_number_fetched_from_intake_and_answered_in_their_group(platform):
    phone = "13812340077"
    made = report(platform, location=SPOT["texts"], urgent=True, contact={"name": NAME, "phone": phone},
                  category="utilities-outage", description="楼道水管爆裂，整栋楼停水")
    case_id, code = case_of(platform, made), made.json()["tracking_code"]
    supervisor = bearer(platform.token("supervisor"))
    deliveries = f"{platform.url('notification')}/v1/cases/{case_id}/deliveries"
    # Urgent: not held for the quiet hours. The number comes from intake at the moment of sending, audited there.
    told = wait_for(lambda: httpx.get(deliveries, headers=supervisor).json(),
                    lambda ds: any(d["template"] == "received" and d["status"] == "delivered" for d in ds))
    received = next(d for d in told if d["template"] == "received")
    assert (received["channel"], received["attempts"], received["last_error"]) == ("sms", 1, None)
    texted = [m for m in outbox(platform, "sms") if m["reference"] == f"d{received['id']}-0"]
    assert len(texted) == 1 and texted[0]["to"] == "138****0077" and code in texted[0]["text"]
    assert phone not in (platform.data_dir / "outbox" / "sms.jsonl").read_text(encoding="utf-8")
    audit = httpx.get(f"{platform.url('intake')}/v1/reveals", params={"case_id": case_id}, headers=supervisor).json()
    assert audit and {(a["actor"], a["actor_role"]) for a in audit} == {("service:notification", "service")}
    assert audit[0]["reason"].startswith("notification")
    # Only notification may ask intake for numbers.
    problem(httpx.post(f"{platform.url('intake')}/v1/reporters/numbers", headers=supervisor,
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
    replies = [m for m in outbox(platform, "messaging-group") if group_code in m["text"]]
    assert replies[0]["to"] == "jiangsu-residents/wx-9001"
    assert replies[0]["text"].startswith("【网格联动】您反映的问题（")  # the dispatch; intake itself answered the receipt


def test_staff_read_their_messages_in_the_language_of_their_contact_point(platform):
    notification = platform.url("notification")
    admin, unit = bearer(platform.token("admin")), bearer(platform.token("unit_staff", unit="cn-enforcement"))
    point = f"{notification}/v1/contact-points/unit:cn-enforcement"
    problem(httpx.put(point, headers=admin, json={"email": "not an address"}), 422, "invalid_format", "email")
    problem(httpx.put(point, headers=admin, json={"locale": "fr"}), 422, "invalid_field", "locale")
    problem(httpx.put(f"{notification}/v1/contact-points/resident:x", headers=admin, json={}), 422,
             "invalid_format", "recipient")
    problem(httpx.put(point, headers=unit, json={"locale": "en"}), 403, "forbidden_role")
    made = httpx.put(point, headers=admin, json={"locale": "en", "email": "enforcement@street.example"})
    assert made.status_code == 200 and made.json()["locale"] == "en", made.text
    try:
        points = httpx.get(f"{notification}/v1/contact-points", headers=admin).json()
        assert {"recipient": "unit:cn-enforcement", "email": "enforcement@street.example", "locale": "en"}.items() <= \
            next(c for c in points if c["recipient"] == "unit:cn-enforcement").items()
        # The demo ground's leaders are reached by e-mail (the escalations the catalogue sends them).
        assert {"leader:cn-changning", "leader:st-huayang", "leader:st-jiangsu"} <= {c["recipient"] for c in points}
        case_id = case_of(platform, report(platform, category="noise", description="凌晨垃圾车作业声音很大",
                                            location=SPOT["english"]))
        told = wait_for(lambda: httpx.get(f"{notification}/v1/inbox", headers=unit).json(),
                        lambda box: any(m["case_id"] == case_id for m in box["messages"]))
    finally:
        assert httpx.delete(point, headers=admin).status_code == 204
    message = next(m for m in told["messages"] if m["case_id"] == case_id)
    # In English, names and all: the sub-item and the place are named in the reader's language.
    assert message["body"] == "New case: Noise (Xiushui Grid 1, Xiushui Community, Huayang Road Street). " \
        "Please sign for it." and message["channel"] == "inbox"
    # The resident is still told in Chinese.
    operator = bearer(platform.token("operator"))
    resident = [d for d in httpx.get(f"{notification}/v1/cases/{case_id}/deliveries", headers=operator).json()
                if d["audience"] == "resident"]
    assert resident and all("您反映的问题" in d["body"] for d in resident)
    problem(httpx.delete(point, headers=admin), 404, "not_found", "recipient")
    # Messages no channel could carry are listed for admins, each with its reason (none on this platform so far).
    dead = httpx.get(f"{notification}/v1/dead-letters", headers=admin)
    assert dead.status_code == 200 and all(d["status"] == "dead_lettered" and d["last_error"] for d in dead.json())
    problem(httpx.get(f"{notification}/v1/dead-letters", headers=operator), 403, "forbidden_role")
    problem(httpx.post(f"{notification}/v1/dead-letters/999999999/retry", headers=admin), 404, "not_found",
             "delivery_id")
