"""Single sign-on: with an OpenID Connect provider configured, staff sign in there (authorization code, PKCE); the
console takes their role, unit and area from the ID token's claims and refuses a token that is not for it, a
replayed or forged state, and a person the provider gives no role. The provider is a stand-in (tests/oidc_provider.py):
no real one runs on this machine."""

from __future__ import annotations

import re

import httpx
import pytest

from gridlink.embedded import free_port
from tests.e2e.test_console import PASSWORD, _csrf, _text
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, StandInProvider

OIDC_PORT = free_port()
PLATFORM_ENV = {"CONSOLE_OIDC_ISSUER": f"http://127.0.0.1:{OIDC_PORT}", "CONSOLE_OIDC_CLIENT_ID": CLIENT_ID,
                "CONSOLE_OIDC_CLIENT_SECRET": CLIENT_SECRET}


@pytest.fixture(scope="module")
def provider():
    stand_in = StandInProvider(OIDC_PORT)
    server = stand_in.serve()
    yield stand_in
    server.should_exit = True


def _through_provider(platform, next_path: str = "/") -> tuple[httpx.Client, httpx.Response]:
    """Click "sign in with single sign-on" and follow every redirect, as a browser would."""
    browser = httpx.Client(base_url=platform.url("console"), timeout=15, follow_redirects=True)
    return browser, browser.get("/sign-in/oidc", params={"next": next_path})


def test_a_person_the_provider_vouches_for_signs_in_with_the_role_unit_and_area_it_gives(platform, provider):
    form = httpx.get(f"{platform.url('console')}/sign-in", timeout=10).text
    assert 'href="/sign-in/oidc?next=' in form and "统一身份认证" in form
    provider.person = {"sub": "u-1001", "name": "华阳路街道 周调度", "gridlink_role": "supervisor",
                       "gridlink_area": "st-huayang"}
    browser, landed = _through_provider(platform)
    assert landed.status_code == 200 and str(landed.url).endswith("/board"), landed.text[:300]
    assert "华阳路街道 周调度" in landed.text
    assert "gridlink_session" in browser.cookies
    provider.person = {"sub": "u-2002", "name": "华阳路街道管理办 吴工", "gridlink_role": "unit_staff",
                       "gridlink_unit": "hy-management-office", "gridlink_area": "st-huayang"}
    unit, workbench = _through_provider(platform)
    assert str(workbench.url).endswith("/workbench") and "华阳路街道管理办 工作台" in _text(workbench.text)
    # The account is the provider's: no password of ours opens it.
    local = httpx.Client(base_url=platform.url("console"), timeout=10)
    page = local.get("/sign-in")
    tried = local.post("/sign-in", data={"username": "oidc:127.0.0.1:u-1001", "password": PASSWORD,
                                         "csrf": _csrf(page.text)})
    assert tried.status_code == 401


def test_the_console_refuses_a_token_not_for_it_a_stale_state_and_a_person_without_a_role(platform, provider):
    provider.person = {"sub": "u-3003", "name": "某人", "gridlink_role": "dispatcher"}
    for misbehaviour in ("audience", "nonce", "signature"):
        provider.misbehave = misbehaviour
        browser, answer = _through_provider(platform)
        assert answer.status_code == 401 and "统一身份认证未能完成登录" in answer.text, misbehaviour
        assert "gridlink_session" not in browser.cookies
    provider.misbehave = None
    forged = httpx.get(f"{platform.url('console')}/sign-in/oidc/callback", params={"state": "forged", "code": "x"})
    assert forged.status_code == 400 and "登录已过期或无效" in forged.text
    provider.person = {"sub": "u-4004", "name": "无岗位"}
    _, nobody = _through_provider(platform)
    assert nobody.status_code == 403 and "未给出您在本系统的岗位" in nobody.text
    provider.person = {"sub": "u-5005", "name": "某单位", "gridlink_role": "unit_staff"}
    _, unitless = _through_provider(platform)
    assert unitless.status_code == 403 and "承办单位" in unitless.text
    provider.person = {"sub": "u-6006", "name": "服务", "gridlink_role": "service"}
    _, service = _through_provider(platform)
    assert service.status_code == 403  # the services' own role is never a person's
    # A state is used once: the same way back again is refused.
    provider.person = {"sub": "u-7007", "name": "一次", "gridlink_role": "operator"}
    browser = httpx.Client(base_url=platform.url("console"), timeout=15)
    to_provider = browser.get("/sign-in/oidc")
    back = httpx.get(to_provider.headers["location"], timeout=10)
    callback = back.headers["location"]
    assert browser.get(callback).status_code == 303
    assert browser.get(callback).status_code == 400
    assert re.search(r"state=[\w-]{20,}", to_provider.headers["location"])
