"""The residents' pages of the console, public: the link of an SMS asks the last four digits of the phone, shows the
case in words and Beijing time, and once the case is done takes the resident's verdict; wrong digits lock the code
as intake's lockout says, in the resident's language."""

from __future__ import annotations

import re

import httpx

from tests.e2e.client import case_of, completed, report, wait_for
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
