"""The residents' pages of the console, public, over HTTP: the link of an SMS asks the last four digits of the phone,
shows the case in words and Beijing time, and once the case is done takes the resident's verdict; wrong digits lock
the code as intake's lockout says, in the resident's language. The report form refuses hostile input at its field
and keeps what was typed; a double click is one report; the nearby cases say nothing about who raised them."""

from __future__ import annotations

import json
import random
import re

import httpx

from tests.e2e.client import case_of, completed, png, report, wait_for
from tests.e2e.test_console import _csrf, _text


def _asked(console: httpx.Client, code: str, last4: str) -> httpx.Response:
    form = console.get(f"/track/{code}")
    assert form.status_code == 200 and "手机号码后四位" in form.text
    return console.post(f"/track/{code}", data={"csrf": _csrf(form.text), "phone_last4": last4})


def test_a_resident_follows_the_case_from_the_sms_link_and_judges_it_when_done(platform):
    made = report(platform, category="street-lighting", description="华阳路口路灯不亮，晚上很黑",
                  location={"lat": 31.2142, "lon": 121.4283}, contact={"name": "吴先生", "phone": "13812347311"})
    case_id, code = case_of(platform, made), made.json()["tracking_code"]
    console = httpx.Client(base_url=platform.url("console"), timeout=10)

    wrong = _asked(console, code, "0000")
    assert wrong.status_code == 404 and 'id="phone_last4-error"' in wrong.text
    assert "未找到" in _text(wrong.text) and "吴" not in wrong.text  # the same answer as an unknown code
    assert _asked(console, code, "73a1").status_code == 422
    seen = _asked(console, code, "7311")
    assert seen.status_code == 200, _text(seen.text)
    text = _text(seen.text)
    assert code in text and "路灯" in text and "（北京时间）" in text and "received" not in text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)  # local time, not an ISO moment with a zone

    completed(platform, case_id, "已更换灯泡")
    page = wait_for(lambda: _asked(console, code, "7311").text, lambda html: 'action="/track/' in html and
                    "/verdict" in html)
    assert "评价办理结果" in _text(page) and "已办结" in _text(page)
    judged = console.post(f"/track/{code}/verdict", data={"csrf": _csrf(page), "phone_last4": "7311",
                                                          "verdict": "satisfied", "resolved": "yes",
                                                          "comment": "修得很快"})
    assert judged.status_code == 200 and "感谢您的评价：满意" in _text(judged.text)
    assert "评价办理结果" not in _text(judged.text)


def test_wrong_digits_lock_the_code_and_the_page_says_so_in_words(platform):
    made = report(platform, category="street-lighting", description="江苏路上一排路灯忽明忽暗",
                  location={"lat": 31.2201, "lon": 121.4301}, contact={"name": "郑女士", "phone": "13812347322"})
    code = made.json()["tracking_code"]
    console = httpx.Client(base_url=platform.url("console"), timeout=10)
    answers = [_asked(console, code, f"{n:04d}").status_code for n in range(1, 7)]
    assert answers[:5] == [404] * 5 and answers[5] == 429, answers
    locked = _asked(console, code, "7322")  # even the right digits, while locked
    assert locked.status_code == 429 and locked.headers.get("retry-after")
    assert "锁定" in _text(locked.text) or "稍后" in _text(locked.text), _text(locked.text)[-300:]
    stale = console.post(f"/track/{code}", data={"csrf": "forged", "phone_last4": "7322"})
    assert stale.status_code == 403


def _report_form(console: httpx.Client) -> dict:
    form = console.get("/report")
    assert form.status_code == 200 and form.headers["content-security-policy"].startswith("default-src 'self'")
    return {"csrf": _csrf(form.text),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', form.text)[1]}


def test_the_report_form_refuses_hostile_input_at_its_field_and_keeps_what_was_typed(platform):
    console = httpx.Client(base_url=platform.url("console"), timeout=20)
    hidden = _report_form(console)
    nul = console.post("/report", data={**hidden, "description": "楼道\x00灯坏了", "address": "华阳花园",
                                        "phone": "13812347351"})
    assert nul.status_code == 422 and nul.json()["code"] == "invalid_character"  # the platform's edge, for every form
    assert "13812347351" not in nul.text
    hostile = console.post("/report", data={**hidden, "description": "楼道灯坏了<script>alert(1)</script>",
                                            "lat": "1e309", "lon": "121.43", "phone": "13812347351"})
    assert hostile.status_code == 422 and 'id="address-error"' in hostile.text
    assert "<script>alert(1)" not in hostile.text and "楼道灯坏了&lt;script&gt;" in hostile.text
    stale = console.post("/report", data={**hidden, "csrf": "forged", "description": "灯坏了", "address": "华阳花园",
                                          "phone": "13812347351"})
    assert stale.status_code == 403
    ten = [("photos", (f"p{i}.png", png(), "image/png")) for i in range(10)]
    many = console.post("/report", data={**_report_form(console), "description": "灯坏了", "address": "华阳花园",
                                         "phone": "13812347351"}, files=ten)
    assert many.status_code == 422 and 'id="photos-error"' in many.text and "照片数量过多" in _text(many.text)
    fake = console.post("/report", data={**_report_form(console), "description": "灯坏了", "address": "华阳花园",
                                         "phone": "13812347351"}, files=[("photos", ("x.jpg", b"<?php", "image/jpeg"))])
    assert fake.status_code == 422 and 'id="photos-error"' in fake.text
    away = console.post("/report", data={**_report_form(console), "description": "路灯不亮",
                                         "lat": "31.3", "lon": "121.5", "phone": "13812347351", "confirmed": "1"})
    assert away.status_code == 422 and "不在本辖区内" in _text(away.text)  # outside: where it belongs, at the place


def test_a_report_sent_twice_by_a_double_click_is_one_and_joining_a_completed_case_is_refused(platform):
    console = httpx.Client(base_url=platform.url("console"), timeout=20)
    hidden = _report_form(console)
    body = {**hidden, "description": f"华阳路{random.randint(1, 199)}号门口人行道地砖翘起", "address": "华阳路120号",
            "phone": "13812347361", "confirmed": "1"}
    first, again = console.post("/report", data=body), console.post("/report", data=body)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    code = first.headers["location"].split("/")[3].split("?")[0]
    made = report(platform, category="sanitation", description="垃圾箱房门坏了关不上，野猫翻垃圾",
                  location={"lat": round(random.uniform(31.2115, 31.2185), 6),
                            "lon": round(random.uniform(121.4265, 121.4335), 6)},
                  contact={"name": "何先生", "phone": "13812347362"})
    completed(platform, case_of(platform, made), "已更换灯具")
    done = made.json()["tracking_code"]
    wait_for(lambda: httpx.get(f"{platform.url('intake')}/v1/track/{done}", params={"phone_last4": "7362"}).json(),
             lambda c: c.get("status") == "completed")
    late = console.post("/report", data={**_report_form(console), "co_report_of": done, "phone": "13812347363"})
    assert late.status_code == 409 and "已办结" in _text(late.text)
    assert code != done


def test_the_nearby_open_cases_and_the_address_suggestions_say_nothing_about_who(platform):
    made = report(platform, category="noise", description="秀水小区楼下广场舞音响太吵，联系人王桂兰13812347371",
                  location={"lat": 31.2152, "lon": 121.4302}, contact={"name": "王桂兰", "phone": "13812347371"})
    code = made.json()["tracking_code"]
    intake = platform.url("intake")
    near = httpx.get(f"{intake}/v1/nearby", params={"lat": 31.2150, "lon": 121.4300, "category": "noise"}).json()
    mine = next(c for c in near if c["tracking_code"] == code)
    assert mine["distance_m"] < 50 and mine["category_name_zh"] == "噪音扰民" and mine["status_zh"]
    assert "王桂兰" not in json.dumps(near, ensure_ascii=False) and "13812347371" not in json.dumps(near)
    assert httpx.get(f"{intake}/v1/nearby", params={"lat": 91, "lon": 121.43}).status_code == 422
    places = httpx.get(f"{intake}/v1/addresses", params={"q": "秀水苑"}).json()
    assert [p["name_zh"] for p in places] == ["秀水小区"]
    page = httpx.get(f"{platform.url('console')}/report/nearby", params={"lat": 31.2150, "lon": 121.4300,
                                                                       "category": "noise"})
    assert f'value="{code}"' in page.text and "王桂兰" not in page.text
