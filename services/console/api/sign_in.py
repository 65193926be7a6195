"""Signing in and out, the language switch, the way in (``/``) and the console's own assets."""

from __future__ import annotations

import functools
import gzip
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.api.rendering import page, safe_next, set_cookie, to_sign_in
from services.console.api.session import CSRF_COOKIE, LANGUAGE_COOKIE, SESSION_COOKIE, CurrentUser, csrf_matches
from services.console.commands.accounts import sign_in, sign_out
from shared.auth import Role
from shared.http.dependencies import UnitOfWorkDep
from shared.refusals import Refused

router = APIRouter(include_in_schema=False)
Field100 = Annotated[str, Form(max_length=100)]
STATIC = Path(__file__).parents[1] / "static"
#: The console's assets: its own files, and the libraries it vendors (their versions in ``static/VERSIONS``).
_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png", ".svg": "image/svg+xml",
          ".json": "application/json"}


@functools.cache
def _asset(name: str) -> tuple[bytes, bytes]:
    """An asset's bytes and their gzip, read once per worker (the files change only with a release)."""
    content = (STATIC / name).read_bytes()
    return content, gzip.compress(content, 9, mtime=0)


@router.get("/static/{name}")
async def static(request: Request, name: str) -> Response:
    """The console's own assets, from the repository (nothing is fetched from elsewhere), gzipped for browsers that
    take it: a phone on a slow line loads a third of the bytes."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in _TYPES or not path.is_file():
        raise Refused("not_found", "no such file", "name", status=404)
    plain, packed = _asset(name)
    headers = {"Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type=_TYPES[path.suffix], headers={**headers, "Content-Encoding": "gzip"})
    return Response(plain, media_type=_TYPES[path.suffix], headers=headers)


@router.get("/")
async def home(request: Request, user: CurrentUser) -> RedirectResponse:
    """A unit's staff start at their workbench, everyone else at the board."""
    if user is None:
        return to_sign_in(request)
    unit = user.account.role is Role.UNIT_STAFF
    return RedirectResponse("/workbench" if unit else "/board", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)
    settings = request.app.state.runtime.settings
    response = page(request, "sign_in.html", csrf=csrf, next=safe_next(next), error=None, username="",
                    oidc=(settings.oidc_label or True) if settings.oidc_issuer else None, local=settings.local_accounts)
    set_cookie(response, request, CSRF_COOKIE, csrf, max_age=3600)
    return response


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in_submit(request: Request, uow: UnitOfWorkDep, username: Field100, password: Field100,
                         csrf: Field100, next: Annotated[str, Form(max_length=200)] = "/") -> Response:
    settings = request.app.state.runtime.settings

    def again(code: str, status: int) -> HTMLResponse:
        fresh = secrets.token_urlsafe(24)
        response = page(request, "sign_in.html", status_code=status, csrf=fresh, next=safe_next(next),
                        error=code, username=username, oidc=(settings.oidc_label or True) if settings.oidc_issuer else None,
                        local=settings.local_accounts)
        set_cookie(response, request, CSRF_COOKIE, fresh, max_age=3600)
        return response

    if not csrf_matches(request.cookies.get(CSRF_COOKIE), csrf):
        return again("csrf_failed", 403)
    if not settings.local_accounts:
        return again("local_accounts_off", 403)
    async with uow:
        outcome = await sign_in(uow, username.strip(), password, failures_allowed=settings.lockout_failures,
                                lock_for=timedelta(minutes=settings.lockout_minutes))
    if isinstance(outcome, Refused):
        response = again(outcome.code, outcome.status)
        if "retry_after" in outcome.extra:
            response.headers["Retry-After"] = str(outcome.extra["retry_after"])
        return response
    account, session_id, _ = outcome
    default = "/workbench" if account.role is Role.UNIT_STAFF else "/board"
    response = RedirectResponse(safe_next(next if next != "/" else None, default), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, session_id, max_age=int(settings.session_hours * 3600))
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/sign-out")
async def sign_out_submit(request: Request, user: CurrentUser, uow: UnitOfWorkDep,
                          csrf: Field100) -> RedirectResponse:
    if user is None:
        return to_sign_in(request)
    if not csrf_matches(user.csrf_token, csrf):
        raise Refused("csrf_failed", "the form is stale: reload the page and try again", "csrf", status=403)
    async with uow:
        await sign_out(uow, user.session_id)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language")
async def switch_language(request: Request, to: Annotated[str, Query(pattern="^(zh|en)$")],
                          next: Annotated[str | None, Query(max_length=200)] = None) -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(response, request, LANGUAGE_COOKIE, to, max_age=365 * 86400)
    return response


def _provider(request: Request):
    """The identity provider, when one is configured (one per console worker)."""
    from services.console.adapters.oidc import Provider

    settings, state = request.app.state.runtime.settings, request.app.state
    if not settings.oidc_issuer:
        return None
    if getattr(state, "oidc", None) is None:
        redirect = settings.oidc_redirect_url or str(request.url_for("oidc_callback"))
        state.oidc = Provider(settings.oidc_issuer, settings.oidc_client_id or "", settings.oidc_client_secret or "",
                              redirect)
    return state.oidc


@router.get("/sign-in/oidc")
async def oidc_start(request: Request, uow: UnitOfWorkDep,
                     next: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """To the identity provider, with a state, a nonce and a PKCE challenge kept here for ten minutes."""
    provider = _provider(request)
    if provider is None:
        raise Refused("not_found", "no identity provider is configured", status=404)
    started = await provider.start()
    async with uow:
        await uow.store.save_oidc_login(dict(state=started.state, nonce=started.nonce,
                                             code_verifier=started.code_verifier, next_path=safe_next(next),
                                             created_at=datetime.now(UTC)))
    return RedirectResponse(started.url, status_code=303)


@router.get("/sign-in/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request, uow: UnitOfWorkDep,
                        state: Annotated[str, Query(max_length=200)] = "",
                        code: Annotated[str, Query(max_length=2000)] = "",
                        error: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """Back from the provider: the code exchanged, the ID token verified, the person's role, unit and area taken from
    its claims; then a session like any other."""
    from services.console.adapters.oidc import OidcRefused
    from services.console.commands.accounts import sign_in_federated
    from services.console.domain.accounts import ClaimNames, account_from_claims

    provider, settings = _provider(request), request.app.state.runtime.settings
    if provider is None:
        raise Refused("not_found", "no identity provider is configured", status=404)

    def refused(why: str, status: int = 401) -> HTMLResponse:
        return page(request, "sign_in.html", status_code=status, csrf="", next="/", error=why, username="",
                    oidc=settings.oidc_label or True, local=False)

    async with uow:
        login = await uow.store.take_oidc_login(state, datetime.now(UTC) - timedelta(minutes=10)) if state else None
    if login is None:
        return refused("oidc_stale", 400)
    if error or not code:
        return refused("oidc_refused")
    try:
        claims = await provider.finish(code, nonce=login["nonce"], code_verifier=login["code_verifier"])
    except OidcRefused as exc:
        return refused(exc.code)
    async with uow:
        names = await uow.store.names()
        account = account_from_claims(claims, ClaimNames(settings.oidc_role_claim, settings.oidc_unit_claim,
                                                         settings.oidc_area_claim), issuer=provider.issuer,
                                      jurisdiction=_jurisdiction(names),
                                      area_path=lambda area: tuple(reversed(names.area_path(area))))
        if isinstance(account, str):
            return refused(f"oidc_{account}", 403)
        account, session_id, _ = await sign_in_federated(uow, account)
    default = "/workbench" if account.role is Role.UNIT_STAFF else "/board"
    response = RedirectResponse(safe_next(login["next_path"] if login["next_path"] != "/" else None, default),
                                status_code=303)
    set_cookie(response, request, SESSION_COOKIE, session_id, max_age=int(settings.session_hours * 3600))
    return response


def _jurisdiction(names) -> str:
    """The jurisdiction this console serves: the district its names know (the one area without a parent)."""
    districts = [code for code, _ in names.listed("area", level="district")]
    return districts[0] if districts else "cn-changning"
