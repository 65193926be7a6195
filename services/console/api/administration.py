"""Administration: the console's own accounts (made here), and what the services keep as their reference data, read
from them as the administrator: units, routing rules (with the preview: which rule would fire for a sub-item at a
grid), sub-items, time-limit policies, the working calendar and its missing years, supervisors."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from services.console.adapters import tables
from services.console.api.rendering import owners, page, refusal_words, shown_time, to_sign_in
from services.console.api.session import CurrentUser, SignedIn, csrf_matches, language
from services.console.commands.accounts import create_account
from shared.auth import Role
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.reference.keeping import names as kept_names
from shared.refusals import Refused

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=100)]
ASKED = {"units": ("dispatch", "/v1/units", None), "rules": ("dispatch", "/v1/routing-rules", None),
         "categories": ("intake", "/v1/admin/categories", None),
         "policies": ("supervision", "/v1/jurisdictions/{j}/policies", None),
         "calendar": ("supervision", "/v1/jurisdictions/{j}/calendar", None),
         "supervisors": ("supervision", "/v1/supervisors", None)}


async def _render(request: Request, user: SignedIn, session, *, refusal: dict | None = None, status_code: int = 200,
                  answers: dict | None = None, preview: dict | None = None) -> Response:
    lang, names, account = language(request), await kept_names(session), user.account
    service = owners(request)
    got = await asyncio.gather(*(service.call(account, owner, "GET", path.format(j=account.jurisdiction),
                                              params=params, language=lang)
                                 for owner, path, params in ASKED.values()))
    data = {name: (a.body if a.ok else None) for name, a in zip(ASKED, got, strict=True)}
    accounts = (await session.execute(select(tables.accounts).order_by(tables.accounts.c.role,
                                                                       tables.accounts.c.username))).all()
    return page(request, "administration.html", status_code=status_code, here="/admin", user=account,
                csrf=user.csrf_token, data=data, names=names, accounts=[dict(
                    username=a.username, display_name=a.display_name, role=a.role, unit=names.unit(a.unit_id, lang),
                    area=names.area(a.scope[-1], lang), last=shown_time(a.last_sign_in)) for a in accounts],
                roles=[r.value for r in Role if r is not Role.SERVICE], unit_choices=names.listed("unit", lang),
                areas=names.listed("area", lang), categories=names.listed("category", lang),
                grids=names.listed("area", lang, level="grid"), refusal=refusal, answers=answers or {},
                preview=preview, done=request.query_params.get("done"),
                joined=lambda kind, codes: ("、" if lang != "en" else ", ").join(names.of(kind, c, lang)
                                                                                 for c in codes or ()))


def _admin(user: SignedIn | None) -> bool:
    return user is not None and user.account.role is Role.ADMIN


@router.get("/admin", response_class=HTMLResponse)
async def administration(request: Request, user: CurrentUser, session: ReadSession) -> Response:
    if user is None:
        return to_sign_in(request)
    if not _admin(user):
        return RedirectResponse("/board", status_code=303)
    return await _render(request, user, session)


@router.post("/admin/accounts", response_class=HTMLResponse)
async def add_account(request: Request, user: CurrentUser, session: ReadSession, uow: UnitOfWorkDep,
                      csrf: Short, username: Annotated[str, Form(max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")],
                      display_name: Short, role: Short, password: Short, unit_id: Short = "",
                      area: Short = "") -> Response:
    if user is None:
        return to_sign_in(request)
    if not _admin(user) or not csrf_matches(user.csrf_token, csrf):
        raise Refused("csrf_failed" if _admin(user) else "forbidden_role", "not allowed", status=403)
    lang = language(request)
    answers = {"username": username, "display_name": display_name, "role": role, "unit_id": unit_id, "area": area}
    names = await kept_names(session)
    try:
        chosen = Role(role)
        if chosen is Role.SERVICE:
            raise ValueError
    except ValueError:
        return await _render(request, user, session, status_code=422, answers=answers,
                             refusal=refusal_words("invalid_field", "no such role", lang, "role"))
    scope = tuple(reversed(names.area_path(area))) if area else (user.account.jurisdiction,)
    if scope[0] != user.account.jurisdiction:
        return await _render(request, user, session, status_code=422, answers=answers,
                             refusal=refusal_words("outside_jurisdiction", "this area is not in the jurisdiction", lang,
                                             "area"))
    try:
        async with uow:
            await create_account(uow, username=username, password=password, display_name=display_name.strip(),
                                 role=chosen, jurisdiction=user.account.jurisdiction, scope=scope,
                                 unit_id=unit_id or None)
    except Refused as refused:
        return await _render(request, user, session, status_code=refused.status, answers=answers,
                             refusal=refusal_words(refused.code, refused.message, lang, refused.field))
    return RedirectResponse("/admin?done=account", status_code=303)


@router.post("/admin/routing-preview", response_class=HTMLResponse)
async def routing_preview(request: Request, user: CurrentUser, session: ReadSession, csrf: Short, category: Short,
                          grid: Short) -> Response:
    """Which rule would fire for a sub-item reported at a grid, and the units it would name (nothing changes)."""
    if user is None:
        return to_sign_in(request)
    if not _admin(user) or not csrf_matches(user.csrf_token, csrf):
        raise Refused("forbidden_role", "not allowed", status=403)
    lang, names = language(request), await kept_names(session)
    path = tuple(reversed(names.area_path(grid)))
    categories = {c["code"]: c for c in (await owners(request).call(
        user.account, "intake", "GET", "/v1/admin/categories", language=lang)).body or []}
    chosen = categories.get(category)
    if chosen is None or len(path) != 4:
        return await _render(request, user, session, status_code=422, refusal=refusal_words(
            "invalid_field", "choose a sub-item and a grid", lang, "category" if chosen is None else "grid"))
    answer = await owners(request).call(user.account, "dispatch", "POST", "/v1/routing-rules/preview", json={
        "category_code": category, "category_class": chosen["class_code"],
        "handle_locally": chosen["handle_locally"], "area": dict(zip(
            ("district_id", "street_id", "community_id", "grid_id"), path, strict=True))}, language=lang)
    preview = {"category": names.category(category, lang), "grid": names.place(dict(zip(
        ("district_id", "street_id", "community_id", "grid_id"), path, strict=True)), lang)}
    if answer.ok:
        preview.update(rule=answer.body["rule_id"], lead=names.unit(answer.body["lead_unit_id"], lang),
                       assisting=names.units(answer.body["assisting_unit_ids"], lang))
    else:
        preview["refusal"] = (answer.body or {}).get("message", answer.code) if isinstance(answer.body, dict) \
            else answer.code
    return await _render(request, user, session, preview=preview)
