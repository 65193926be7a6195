"""Rate limits and lockouts on the running platform, with limits small enough to reach: one address, one phone
number, one tracking code, one api_key; each refusal a 429 with Retry-After, a stable code, and counted in the
metrics. Slow clients: headers that never finish are cut off, a body that stops coming is a 408."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.e2e.client import HUAYANG, JIANGSU, bearer, png, problem

pytestmark = pytest.mark.e2e

PLATFORM_ENV = {"INTAKE_REPORTS_PER_ADDRESS": "6/minute", "INTAKE_REPORTS_PER_PHONE": "2/10 minutes",
                "INTAKE_PHOTOS_PER_ADDRESS": "2/minute", "INTAKE_TRACKING_PER_ADDRESS": "40/minute",
                "INTAKE_TRACKING_FAILURES": "3/15 minutes", "INTAKE_OPEN311_PER_KEY": "2/minute",
                "INTAKE_HEADER_TIMEOUT_SECONDS": "2", "INTAKE_BODY_TIMEOUT_SECONDS": "2"}


def _report(platform, phone: str, n: int, **changes) -> httpx.Response:
    body = {"category": "drainage", "description": f"第{n}处下水道堵塞", "location": [HUAYANG, JIANGSU][n % 2],
            "contact": {"name": "王秀英", "phone": phone}, **changes}
    return httpx.post(f"{platform.url('intake')}/v1/reports", json=body, timeout=10)


def _limited(response: httpx.Response, code: str = "rate_limited", field: str | None = None) -> int:
    body = problem(response, 429, code, field)
    assert "139" not in response.text  # the refusal names the limit, never the number
    assert body["message"] and int(response.headers["Retry-After"]) >= 1
    return int(response.headers["Retry-After"])


def test_one_phone_number_reports_only_so_often_and_is_told_when_to_try_again(platform):
    assert _report(platform, "13900000001", 1).status_code == 201
    assert _report(platform, "13900000001", 2).status_code == 201
    wait = _limited(_report(platform, "13900000001", 3), field="phone")
    assert 60 < wait <= 600
    assert _report(platform, "13900000002", 4).status_code == 201  # another resident is not held back


def test_one_address_reports_only_so_often_whatever_the_numbers(platform):
    answers = []
    for n in range(7):  # the test above used some of this minute's six; whatever is left, it runs out
        answers.append(_report(platform, f"1390000001{n}", n, anonymous=n % 2 == 0))
        if answers[-1].status_code != 201:
            break
    assert answers[-1].status_code == 429 and all(a.status_code == 201 for a in answers[:-1])
    _limited(answers[-1])
    metrics = httpx.get(f"{platform.url('intake')}/metrics", timeout=10).text
    assert 'gridlink_rate_limited_total{code="rate_limited"}' in metrics


def test_unauthenticated_photo_uploads_are_limited_per_address(platform):
    def upload() -> httpx.Response:
        return httpx.post(f"{platform.url('intake')}/v1/photos", files={"file": ("a.png", png(), "image/png")},
                          timeout=10)
    assert [upload().status_code for _ in range(2)] == [201, 201]
    _limited(upload())


def test_a_tracking_code_locks_after_a_few_wrong_digits_even_for_the_right_ones(platform):
    # The reports above used the address's allowance; the hotline's operator takes this one (staff are not limited).
    made = httpx.post(f"{platform.url('intake')}/v1/hotline/reports", headers=bearer(platform.token("operator")),
                      timeout=10, json={"caller": {"name": "王秀英", "phone": "13900001234"},
                                        "description": "路口积水严重", "location": {"lat": 31.2130, "lon": 121.4300},
                                        "category": "drainage"})
    assert made.status_code == 201, made.text
    code = made.json()["tracking_code"]
    track = f"{platform.url('intake')}/v1/track/{code}"
    assert httpx.get(track, params={"phone_last4": "1234"}, timeout=10).status_code == 200
    for guess in ("0000", "1111", "2222"):
        problem(httpx.get(track, params={"phone_last4": guess}, timeout=10), 404, "not_found")
    _limited(httpx.get(track, params={"phone_last4": "3333"}, timeout=10), "locked", "phone_last4")
    _limited(httpx.get(track, params={"phone_last4": "1234"}, timeout=10), "locked", "phone_last4")


def test_open311_requests_are_limited_per_api_key_in_the_specs_error_shape(platform):
    import subprocess
    import sys

    key = subprocess.run([sys.executable, "-m", "gridlink.cli", "apikey", "create", "limits-test", "--intake-url",
                          platform.url("intake")], env=platform.env, check=True, capture_output=True,
                         text=True).stdout.strip()
    form = {"api_key": key, "service_code": "205", "description": "雨水井堵塞", "lat": "31.2150", "long": "121.4340"}
    answers = [httpx.post(f"{platform.url('intake')}/open311/v2/requests.json", data=form, timeout=10)
               for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [201, 201], answers[0].text
    assert answers[2].status_code == 429 and int(answers[2].headers["Retry-After"]) >= 1
    assert answers[2].json()[0]["code"] == 429 and answers[2].json()[0]["description"].startswith("rate_limited")


def test_a_client_that_never_finishes_its_headers_is_cut_off(platform):
    host, port = platform.url("intake").removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        started = time.monotonic()
        assert slow.recv(1024) == b""  # closed by the server, nothing answered
        assert 1.5 < time.monotonic() - started < 8


def test_a_body_that_stops_coming_is_a_408_and_a_chunked_body_over_the_limit_a_413(platform):
    host, port = platform.url("intake").removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as slow:
        slow.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"text\": ")
        answer = b""
        while b"body_timeout" not in answer and (chunk := slow.recv(4096)):  # headers and body may come apart
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408") and b"body_timeout" in answer

    def chunks():
        for _ in range(20):
            yield b"x" * 65_536  # 1.25 MiB, over the 1 MiB limit, with no Content-Length
    big = httpx.post(f"{platform.url('intake')}/v1/classify", content=chunks(),
                     headers={"Content-Type": "application/json"}, timeout=10)
    problem(big, 413, "body_too_large")
