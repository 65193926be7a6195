"""The console on the running platform: staff sign in (CSRF on every form, a lockout after repeated failures), the
board counts and lists the cases of their scope by name, in their language, from the read model the four services'
events feed."""

from __future__ import annotations

import re
import time

import httpx

from tests.e2e.client import HUAYANG, JIANGSU, report, wait_for

PASSWORD = "demo-Changning-2026"
# A module of its own: a lockout to try without locking the demo accounts others use.
PLATFORM_ENV = {"CONSOLE_LOCKOUT_FAILURES": "3"}


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def signed_in(platform, username: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=platform.url("console"), timeout=10)
    form = client.get("/sign-in")
    answer = client.post("/sign-in", data={"username": username, "password": password, "csrf": _csrf(form.text),
                                           "next": "/board"})
    assert answer.status_code == 303 and answer.headers["location"] == "/board", answer.text
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "gridlink_session=" in cookie
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_page_needs_a_sign_in_and_the_sign_in_form_needs_its_csrf_token(platform):
    console = httpx.Client(base_url=platform.url("console"), timeout=10)
    assert console.get("/").headers["location"] == "/sign-in?next=/"
    board = console.get("/board")
    assert board.status_code == 303 and board.headers["location"] == "/sign-in?next=/board"
    form = console.get("/sign-in")
    assert form.status_code == 200 and "登录" in form.text and 'autocomplete="current-password"' in form.text
    forged = httpx.post(f"{platform.url('console')}/sign-in", data={
        "username": "dispatcher", "password": PASSWORD, "csrf": "forged", "next": "/board"})
    assert forged.status_code == 403 and "页面已过期" in forged.text and "gridlink_session" not in forged.headers.get(
        "set-cookie", "")
    # Elsewhere is never where a sign-in sends the reader back.
    away = console.post("/sign-in", data={"username": "dispatcher", "password": PASSWORD,
                                          "csrf": _csrf(console.get("/sign-in").text), "next": "//evil.example/"})
    assert away.headers["location"] == "/board"


def test_wrong_passwords_lock_the_account_and_say_so_without_telling_which_part_was_wrong(platform):
    console = httpx.Client(base_url=platform.url("console"), timeout=10)

    def attempt(username: str, password: str) -> httpx.Response:
        return console.post("/sign-in", data={"username": username, "password": password,
                                              "csrf": _csrf(console.get("/sign-in").text), "next": "/board"})

    unknown = attempt("nobody", "whatever-it-is")
    assert unknown.status_code == 401 and "用户名或密码不正确" in unknown.text
    for _ in range(3):
        wrong = attempt("leader", "not-the-password")
    assert wrong.status_code == 401
    locked = attempt("leader", PASSWORD)  # even the right password, while locked
    assert locked.status_code == 429 and "账号已暂时锁定" in locked.text and 'value="leader"' in locked.text
    assert int(locked.headers["retry-after"]) > 0


def test_the_board_shows_a_new_report_by_name_within_seconds_and_each_scope_sees_only_its_own(platform):
    dispatcher = signed_in(platform, "dispatcher")
    street = signed_in(platform, "huayang-supervisor")
    here = report(platform, category="street-lighting", description="华阳路上一排路灯都不亮",
                  location=HUAYANG, contact={"name": "周先生", "phone": "13812347001"})
    there = report(platform, category="street-lighting", description="江苏路口的路灯坏了",
                   location=JIANGSU, contact={"name": "吴女士", "phone": "13812347002"})
    code_here, code_there = here.json()["tracking_code"], there.json()["tracking_code"]
    started = time.monotonic()
    board = wait_for(lambda: dispatcher.get("/board").text, lambda html: code_here in html and code_there in html,
                     timeout=10)
    assert time.monotonic() - started < 5
    page = _text(board)
    assert "长宁区 联动中心看板" in page and "路灯" in page and "华阳路街道 秀水居委会" in page
    assert "street-lighting" not in page and "st-huayang" not in page  # names, not codes
    assert re.search(r"\d{2}-\d{2} \d{2}:\d{2}", page)  # local times, no "Z"
    mine = wait_for(lambda: street.get("/board").text, lambda html: code_here in html)
    assert code_there not in mine  # Jiangsu Road is not the Huayang Road supervisor's
    english = dispatcher.get("/language", params={"to": "en", "next": "/board"})
    assert english.status_code == 303
    assert "Street lighting" in _text(dispatcher.get("/board").text)


def test_signing_out_ends_the_session_and_needs_the_form_s_token(platform):
    client = signed_in(platform, "operator")
    board = client.get("/board")
    assert board.status_code == 200
    assert client.post("/sign-out", data={"csrf": "forged"}).status_code == 403
    out = client.post("/sign-out", data={"csrf": _csrf(board.text)})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert client.get("/board").status_code == 303


def test_an_admin_creates_an_account_from_the_command_line_and_its_person_signs_in(platform):
    import subprocess
    import sys

    run = [sys.executable, "-m", "gridlink.cli", "user", "create", "xiushui-staff", "--role", "unit_staff",
           "--unit", "cc-xiushui", "--name", "秀水居委会 孙主任", "--area", "cm-xiushui"]
    weak = subprocess.run([*run, "--password", "short"], env=platform.env, capture_output=True, text=True, timeout=60)
    assert weak.returncode != 0 and "weak_password" in weak.stderr
    made = subprocess.run([*run, "--password", "Xiushui-Committee-7"], env=platform.env, capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0 and "scope cn-changning/st-huayang/cm-xiushui" in made.stdout, made.stderr
    again = subprocess.run([*run, "--password", "Xiushui-Committee-7"], env=platform.env, capture_output=True,
                           text=True, timeout=60)
    assert again.returncode != 0 and "account_exists" in again.stderr
    board = signed_in(platform, "xiushui-staff", "Xiushui-Committee-7").get("/board")
    assert board.status_code == 200 and "秀水居委会 孙主任" in board.text


def test_the_board_hears_of_a_new_report_within_two_seconds_without_reloading(platform):
    import threading

    client = signed_in(platform, "dispatcher")
    heard: list[float] = []
    ready = threading.Event()

    def listen() -> None:
        with client.stream("GET", "/board/stream", timeout=15) as stream:
            for line in stream.iter_lines():
                ready.set()
                if line.startswith("event: board"):
                    heard.append(time.monotonic())
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert ready.wait(10)
    time.sleep(1.2)  # the watch's first look, against which a change is a change
    sent = time.monotonic()
    assert report(platform, category="greening", description="小区门口的行道树倒了",
                  location={"lat": 31.2120, "lon": 121.4310},
                  contact={"name": "郑先生", "phone": "13812347003"}).status_code == 201
    listener.join(10)
    assert heard and heard[0] - sent < 2.0, heard
    page = client.get("/board").text
    assert 'src="/static/board.js"' in page and "EventSource" in client.get("/static/board.js").text
    assert client.get("/static/other.js").status_code == 404


def test_the_case_page_shows_what_the_resident_said_who_has_it_and_every_step_from_every_service(platform):
    dispatcher, street = signed_in(platform, "dispatcher"), signed_in(platform, "huayang-supervisor")
    made = report(platform, category="sanitation", description="江苏路495弄门口的垃圾几天没人清运，电话13812340000",
                  location=JIANGSU, contact={"name": "冯女士", "phone": "13812347004"})
    code = made.json()["tracking_code"]
    page = wait_for(lambda: dispatcher.get(f"/cases/{code}"),
                    lambda r: r.status_code == 200 and 'data-kind="given"' in r.text).text
    text = _text(page)
    assert "环境卫生" in text and "江苏路495弄门口的垃圾几天没人清运，电话138****0000" in text  # masked by intake
    assert "江苏路街道管理办" in text and "受理（自助上报）" in text and "派发至江苏路街道管理办" in text
    assert "13812340000" not in page and "13812347004" not in page
    assert street.get(f"/cases/{code}").status_code == 404  # a Jiangsu Road case is not Huayang Road's
    assert f'href="/cases/{code}"' in dispatcher.get("/board").text
