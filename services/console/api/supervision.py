"""The supervisor's page: late and warned cases of the scope, the rates and rankings of the period as charts with
the red and black lists, recurring problems (hotspots), explanation meetings and the weekly bulletins (served from
supervision, as the user)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters import queries
from services.console.api.board import case_row
from services.console.api.rendering import owners, page, shown_time, to_sign_in, visible_cases
from services.console.api.session import CurrentUser, language
from shared.auth import Role
from shared.http.dependencies import ReadSession
from shared.local_time import LOCAL_ZONE
from shared.reference.keeping import names as kept_names

router = APIRouter(include_in_schema=False)
_READERS = (Role.SUPERVISOR, Role.LEADER, Role.DISPATCHER)
#: The rates a chart shows, each as a share (higher is better unless the label says otherwise).
CHARTED = ("on_time", "satisfied", "resolved", "response")


@router.get("/supervision", response_class=HTMLResponse)
async def supervision(request: Request, user: CurrentUser, session: ReadSession,
                      period: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{2}|Q[1-4])?$")] = None) -> Response:
    if user is None:
        return to_sign_in(request)
    if user.account.role not in _READERS:
        return RedirectResponse("/board", status_code=303)
    lang, names, account = language(request), await kept_names(session), user.account
    period = period or datetime.now(LOCAL_ZONE).strftime("%Y-%m")
    visible = visible_cases(account)
    late = await queries.board_cases(session, visible, state="breached", filters={}, urgent=None, clock=None)
    warned = await queries.board_cases(session, visible, state="warned", filters={}, urgent=None, clock=None)
    service = owners(request)
    asks = {"rankings": ("/v1/rankings", {"period": period, "by": "unit", "size": 5, "min_measured": 1}),
            "streets": ("/v1/rates", {"period": period, "by": "street"}),
            "hotspots": ("/v1/hotspots", {"limit": 10})}
    if account.role in (Role.SUPERVISOR, Role.LEADER):
        asks["bulletins"] = ("/v1/bulletins", None)
    if account.role is Role.SUPERVISOR:
        asks["meetings"] = ("/v1/meetings", None)
    answers = await asyncio.gather(*(service.call(account, "supervision", "GET", path, params=params, language=lang)
                                     for path, params in asks.values()))
    got = {name: (a.body if a.ok else None) for name, a in zip(asks, answers, strict=True)}
    codes = await queries.tracking_codes(session, [m["case_id"] for m in got.get("meetings") or []]) \
        if got.get("meetings") else {}
    return page(request, "supervision.html", user=account, csrf=user.csrf_token, period=period,
                late=[case_row(r, names, lang) for r in late], warned=[case_row(r, names, lang) for r in warned],
                rankings=got["rankings"], streets=got["streets"], hotspots=got["hotspots"],
                bulletins=got.get("bulletins"), meetings=got.get("meetings"), codes=codes, charted=CHARTED,
                now=shown_time(datetime.now(UTC)))


@router.get("/supervision/bulletins/{week}.{fmt}")
async def bulletin(request: Request, user: CurrentUser,
                   week: Annotated[str, PathParam(pattern=r"^\d{4}-W\d{2}$")],
                   fmt: Annotated[str, PathParam(pattern="^(html|pdf)$")]) -> Response:
    """A weekly bulletin as supervision renders it, fetched as the user."""
    if user is None:
        return to_sign_in(request)
    fetched = await owners(request).fetch(user.account, "supervision", f"/v1/bulletins/{week}.{fmt}")
    if fetched is None:
        return Response(status_code=404)
    return Response(fetched.content, media_type=fetched.headers.get("content-type", "text/html"),
                    headers={"Cache-Control": "private, no-store"})



