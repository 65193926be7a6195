"""The console's pages: sign-in and sign-out, the language switch, and the linkage centre's board (counts by state
and the open cases of the user's scope, by name, in their language and time zone)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from services.console.adapters import tables
from services.console.adapters.live import BOARD_WATCH
from services.console.api.session import (
    CSRF_COOKIE,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    csrf_matches,
    language,
)
from services.console.commands.accounts import sign_in, sign_out
from services.console.domain.board import BUCKET_NAMES, BUCKETS, OPEN_STATUSES, buckets_of, counts
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.local_time import LOCAL_ZONE
from shared.persistence.scopes import within_scope
from shared.reference.keeping import names as kept_names
from shared.reference.labels import label
from shared.refusals import Refused

router = APIRouter(include_in_schema=False)
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parents[1] / "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
_c = tables.cases.c
Field100 = Annotated[str, Form(max_length=100)]


def _page(request: Request, name: str, status_code: int = 200, **values) -> HTMLResponse:
    lang = language(request)
    html = TEMPLATES.get_template(name).render(lang=lang, t=lambda zh, en: en if lang == "en" else zh,
                                               path=request.url.path, **values)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def _cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", path="/",
                        secure=request.app.state.runtime.settings.secure_cookies)


def _safe_next(next_path: str | None) -> str:
    """Only a path of this console (never another site) is where a sign-in sends the reader back."""
    return next_path if next_path and next_path.startswith("/") and not next_path.startswith("//") else "/board"


def _to_sign_in(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)


_STATIC = {"console.css": "text/css", "board.js": "text/javascript"}


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The console's own assets, from the repository (nothing is fetched from elsewhere)."""
    if name not in _STATIC:
        raise Refused("not_found", "no such file", "name", status=404)
    return Response((Path(__file__).parents[1] / "static" / name).read_bytes(), media_type=_STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/board", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)
    response = _page(request, "sign_in.html", csrf=csrf, next=_safe_next(next), error=None, username="")
    _cookie(response, request, CSRF_COOKIE, csrf, max_age=3600)
    return response


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in_submit(request: Request, uow: UnitOfWorkDep, username: Field100, password: Field100,
                         csrf: Field100, next: Annotated[str, Form(max_length=200)] = "/board") -> Response:
    settings = request.app.state.runtime.settings

    def again(code: str, status: int) -> HTMLResponse:
        fresh = secrets.token_urlsafe(24)
        response = _page(request, "sign_in.html", status_code=status, csrf=fresh, next=_safe_next(next),
                         error=code, username=username)
        _cookie(response, request, CSRF_COOKIE, fresh, max_age=3600)
        return response

    if not csrf_matches(request.cookies.get(CSRF_COOKIE), csrf):
        return again("csrf_failed", 403)
    async with uow:
        outcome = await sign_in(uow, username.strip(), password, failures_allowed=settings.lockout_failures,
                                lock_for=timedelta(minutes=settings.lockout_minutes))
    if isinstance(outcome, Refused):
        response = again(outcome.code, outcome.status)
        if "retry_after" in outcome.extra:
            response.headers["Retry-After"] = str(outcome.extra["retry_after"])
        return response
    _, session_id, _ = outcome
    response = RedirectResponse(_safe_next(next), status_code=303)
    _cookie(response, request, SESSION_COOKIE, session_id, max_age=int(settings.session_hours * 3600))
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/sign-out")
async def sign_out_submit(request: Request, user: CurrentUser, uow: UnitOfWorkDep,
                          csrf: Field100) -> RedirectResponse:
    if user is None:
        return _to_sign_in(request)
    if not csrf_matches(user.csrf_token, csrf):
        raise Refused("csrf_failed", "the form is stale: reload the page and try again", "csrf", status=403)
    async with uow:
        await sign_out(uow, user.session_id)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/board/stream")
async def board_stream(request: Request, user: CurrentUser) -> Response:
    """Server-sent events: ``board`` each time the read model changes (within a second), a comment every 15 s."""
    if user is None:
        return _to_sign_in(request)
    queue = BOARD_WATCH.listen(request.app.state.runtime.uow.sessionmaker)

    async def events():
        try:
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                try:
                    changed = await asyncio.wait_for(queue.get(), timeout=15)
                    yield f"event: board\ndata: {changed.isoformat()}\n\n"
                except TimeoutError:
                    yield ": still here\n\n"
        finally:
            BOARD_WATCH.leave(queue)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/language")
async def switch_language(request: Request, to: Annotated[str, Query(pattern="^(zh|en)$")],
                          next: Annotated[str | None, Query(max_length=200)] = None) -> RedirectResponse:
    response = RedirectResponse(_safe_next(next), status_code=303)
    _cookie(response, request, LANGUAGE_COOKIE, to, max_age=365 * 86400)
    return response


@router.get("/board", response_class=HTMLResponse)
async def board(request: Request, user: CurrentUser, session: ReadSession,
                state: Annotated[str | None, Query(max_length=30)] = None,
                street: Annotated[str | None, Query(max_length=64)] = None,
                category: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    if user is None:
        return _to_sign_in(request)
    lang, names = language(request), await kept_names(session)
    scope = within_scope((_c.district_id, _c.street_id, _c.community_id, _c.grid_id), user.account.scope)
    rows = [dict(r._mapping) for r in (await session.execute(
        select(tables.cases).where(scope, _c.status.in_((*OPEN_STATUSES, "completed")))
        .order_by(_c.reported_at.desc().nulls_last()).limit(2000))).all()]
    today = datetime.now(LOCAL_ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    shown = [r for r in rows if (state is None or state in buckets_of(r)) and (street is None or r["street_id"] == street)
             and (category is None or r["category_code"] == category)
             and (r["status"] != "completed" or state == "awaiting_verdict")][:200]
    cases = [dict(
        tracking_code=r["tracking_code"] or "", category=names.category(r["category_code"], lang),
        place=names.place({k: r[k] for k in ("street_id", "community_id", "grid_id")}, lang),
        unit=names.unit(r["unit_id"], lang) if r["unit_id"] else "",
        status=label("state", r["status"], lang), urgent=r["urgent"], clock=r["clock_state"],
        states=[BUCKET_NAMES[b][lang == "en"] for b in buckets_of(r)],
        reported=r["reported_at"].astimezone(LOCAL_ZONE).strftime("%m-%d %H:%M") if r["reported_at"] else "")
        for r in shown]
    tally = counts(rows)
    return _page(request, "board.html", user=user.account, csrf=user.csrf_token, district=names.district(lang),
                 buckets=[(b, BUCKET_NAMES[b][lang == "en"], tally[b]) for b in BUCKETS], cases=cases,
                 today=sum(1 for r in rows if r["reported_at"] and r["reported_at"] >= today.astimezone(UTC)),
                 open_count=sum(1 for r in rows if r["status"] in OPEN_STATUSES), state=state,
                 now=datetime.now(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M"), quote=quote)


@router.get("/cases/{tracking_code}", response_class=HTMLResponse)
async def case_page(request: Request, user: CurrentUser, session: ReadSession,
                    tracking_code: Annotated[str, PathParam(pattern=r"^[A-Z0-9]{4,16}$")]) -> Response:
    """One case: what the resident said (masked), where, who has it, and every step from every service."""
    if user is None:
        return _to_sign_in(request)
    lang, names = language(request), await kept_names(session)
    scope = within_scope((_c.district_id, _c.street_id, _c.community_id, _c.grid_id), user.account.scope)
    row = (await session.execute(select(tables.cases).where(_c.tracking_code == tracking_code, scope))).first()
    if row is None:  # another scope's case is no case at all to this reader
        return _page(request, "not_found.html", status_code=404, user=user.account, csrf=user.csrf_token)
    r = dict(row._mapping)
    lines = (await session.execute(select(tables.case_lines).where(tables.case_lines.c.case_id == r["id"])
                                   .order_by(tables.case_lines.c.at))).all()
    case = dict(
        tracking_code=r["tracking_code"], category=names.category(r["category_code"], lang),
        place=names.place({k: r[k] for k in ("street_id", "community_id", "grid_id")}, lang),
        unit=names.unit(r["unit_id"], lang) if r["unit_id"] else "", status=label("state", r["status"], lang),
        states=[BUCKET_NAMES[b][lang == "en"] for b in buckets_of(r)], urgent=r["urgent"],
        description=r["description"] or "", residents=r["residents_affected"],
        reported=r["reported_at"].astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M") if r["reported_at"] else "")
    timeline = [dict(at=x.at.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M"), service=x.service, kind=x.kind,
                     text=x.text_en if lang == "en" else x.text_zh) for x in lines]
    return _page(request, "case.html", user=user.account, csrf=user.csrf_token, case=case, timeline=timeline)
