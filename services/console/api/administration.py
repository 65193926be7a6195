"""Administration: the console's own accounts (made here), and what the services keep as their reference data, read
and edited at them as the administrator: units, routing rules (with the preview: which rule would fire for a sub-item
at a grid), sub-items, the hotline's knowledge base, time-limit policies, the working calendar and its missing
years, supervisors. Each edit is one
form of ``domain.administration``; the owner checks it again and its refusal is shown at the field."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from services.console.adapters import tables
from services.console.api.rendering import owner_refusal, owners, page, refusal_words, shown_time, to_sign_in
from services.console.api.session import CurrentUser, SignedIn, csrf_matches, language
from services.console.commands.accounts import create_account
from services.console.domain.administration import (
    ADMIN_FORMS,
    AdminForm,
    AnswerProblem,
    day_of,
    record_id,
    shown_value,
    year_with,
    year_without,
)
from shared.auth import Role
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.local_time import LOCAL_ZONE
from shared.reference.keeping import names as kept_names
from shared.reference.labels import label
from shared.refusals import Refused

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=100)]
ASKED = {"units": ("dispatch", "/v1/units"), "rules": ("dispatch", "/v1/routing-rules"),
         "categories": ("intake", "/v1/admin/categories"),
         "policies": ("supervision", "/v1/jurisdictions/{j}/policies"),
         "calendar": ("supervision", "/v1/jurisdictions/{j}/calendar"),
         "supervisors": ("supervision", "/v1/supervisors"), "knowledge": ("intake", "/v1/knowledge")}


async def _render(request: Request, user: SignedIn, session, *, refusal: dict | None = None, status_code: int = 200,
                  answers: dict | None = None, preview: dict | None = None, year: int | None = None) -> Response:
    lang, names, account = language(request), await kept_names(session), user.account
    service = owners(request)
    year = year or _asked_year(request)
    got = await asyncio.gather(*(service.call(account, owner, "GET", path.format(j=account.jurisdiction),
                                              params={"year": year} if name == "calendar" else None, language=lang)
                                 for name, (owner, path) in ASKED.items()))
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
                preview=preview, done=request.query_params.get("done"), year=year, forms=ADMIN_FORMS,
                this_year=datetime.now(LOCAL_ZONE).year,
                joined=lambda kind, codes: ("、" if lang != "en" else ", ").join(names.of(kind, c, lang)
                                                                                 for c in codes or ()))


def _asked_year(request: Request) -> int:
    """The calendar year the page shows (``?year=``, else this one)."""
    asked = request.query_params.get("year", "")
    return int(asked) if asked.isdigit() and 2000 <= int(asked) <= 2100 else datetime.now(UTC).astimezone(
        LOCAL_ZONE).year


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


# --- edits at the owners -------------------------------------------------------------------------------------------

ItemId = Annotated[str, PathParam(pattern=r"^[a-z0-9][a-z0-9._~-]{0,63}$")]
FormName = Annotated[str, PathParam(pattern=r"^[a-z-]{3,30}$")]


def _record_key(form: AdminForm, record: dict) -> str:
    """How a listed record is named in the console's addresses (a sub-item's own policy: ``class~sub-item``)."""
    if form.name == "policy":
        return record["time_limit_class"] + (f"~{record['category_code']}" if record.get("category_code") else "")
    return str(record.get("code") or record.get("id"))


def _owner_path(form: AdminForm, item_id: str, account) -> tuple[str, dict | None]:
    """The owner's address of a record, and the query naming a sub-item's own policy."""
    if form.name == "policy":
        klass, _, category = item_id.partition("~")
        return form.path.format(j=account.jurisdiction, id=klass), ({"category": category} if category else None)
    return form.path.format(j=account.jurisdiction, id=item_id), None


async def _current(request: Request, account, form: AdminForm, item_id: str, lang: str) -> dict | None:
    """The record as its owner keeps it now (None: there is none by that name)."""
    service, path = ASKED[form.section]
    answer = await owners(request).call(account, service, "GET", path.format(j=account.jurisdiction), language=lang)
    if not answer.ok:
        raise OwnerDown(answer)
    return next((r for r in answer.body if _record_key(form, r) == item_id), None)


class OwnerDown(Exception):
    def __init__(self, answer):
        self.answer = answer


def _choices(names, lang: str) -> dict[str, list[tuple[str, str]]]:
    """The choices of the fields naming reference data, by the field's ``options``."""
    classes = names.listed("category_class", lang)
    categories = names.listed("category", lang)
    return {"unit": names.listed("unit", lang), "area": names.listed("area", lang), "category": categories,
            "category_class": classes, "category_or_class": [
                (code, f"{name}{'（大类）' if lang != 'en' else ' (class)'}") for code, name in classes] + categories}


async def _edit_page(request: Request, user: SignedIn, session, form: AdminForm, item_id: str, *,
                     answers: dict | None = None, refusal: dict | None = None, status_code: int = 200) -> Response:
    lang, names = language(request), await kept_names(session)
    current = None if item_id == "new" else await _current(request, user.account, form, item_id, lang)
    if item_id != "new" and current is None:
        return page(request, "not_found.html", status_code=404, user=user.account, csrf=user.csrf_token)
    shown = answers if answers is not None else {f.name: shown_value(f, (current or {}).get(f.name))
                                                 for f in form.fields}
    return page(request, "admin_edit.html", status_code=status_code, here=f"/admin/{form.name}/{item_id}",
                user=user.account, csrf=user.csrf_token, form=form, item_id=item_id, creating=item_id == "new",
                given=shown, refusal=refusal, choices=_choices(names, lang), key=uuid.uuid4().hex,
                title=_title(form, current, names, lang))


def _title(form: AdminForm, current: dict | None, names, lang: str) -> str:
    if current is None:
        return ""
    if form.name == "policy":
        return label("time_limit_class", current["time_limit_class"], lang) + (
            f"（{names.category(current['category_code'], lang)}）" if current.get("category_code") else "")
    return str(current.get("name_en" if lang == "en" else "name_zh") or current.get("name") or current.get("question")
               or current.get("id"))


def _admin_form(user: SignedIn | None, form: str) -> AdminForm:
    spec = ADMIN_FORMS.get(form)
    if not _admin(user) or spec is None or form == "calendar-day":
        raise Refused("not_found", "no such form", status=404)
    return spec


@router.get("/admin/{form}/{item_id}", response_class=HTMLResponse)
async def edit_form(request: Request, user: CurrentUser, session: ReadSession, form: FormName,
                    item_id: ItemId) -> Response:
    """A record's edit form, filled with what its owner keeps now (``new``: an empty one)."""
    if user is None:
        return to_sign_in(request)
    spec = _admin_form(user, form)
    if item_id == "new" and spec.new_id is None and spec.create is None:
        raise Refused("not_found", "no such form", status=404)
    try:
        return await _edit_page(request, user, session, spec, item_id)
    except OwnerDown as down:
        return await _render(request, user, session, status_code=503,
                             refusal=owner_refusal(down.answer, language(request)))


@router.post("/admin/{form}/{item_id}", response_class=HTMLResponse)
async def save(request: Request, user: CurrentUser, session: ReadSession, form: FormName,
               item_id: ItemId) -> Response:
    """Send the edit to the record's owner as the administrator; a refusal comes back to the form, at its field."""
    if user is None:
        return to_sign_in(request)
    spec, lang = _admin_form(user, form), language(request)
    posted = await request.form(max_fields=60, max_files=0)
    answers = {f.name: (posted.getlist(f.name) if f.kind in ("refs", "units") else str(posted.get(f.name) or ""))
               for f in spec.fields}
    creating = item_id == "new"
    if creating and spec.new_id is None and spec.create is None:
        raise Refused("not_found", "no such form", status=404)
    named = creating and spec.new_id is not None  # else the owner names a new record itself
    if named:
        answers[spec.new_id.name] = str(posted.get(spec.new_id.name) or "").strip()
    new_id = answers[spec.new_id.name] if named else item_id

    async def again(refusal: dict, status: int) -> Response:
        return await _edit_page(request, user, session, spec, item_id, answers=answers, refusal=refusal,
                                status_code=status)

    if not csrf_matches(user.csrf_token, str(posted.get("csrf") or "")):
        return await again(refusal_words("csrf_failed", "the form is stale: reload the page", lang), 403)
    missing = next((f.name for f in spec.fields if f.required and f.kind != "yesno" and not answers[f.name]),
                   None if new_id else spec.new_id.name)
    if missing:
        return await again(refusal_words("missing_field", "this field is required", lang, missing), 422)
    try:
        if named:
            record_id(new_id, spec.new_id.name)
        current = None if creating else await _current(request, user.account, spec, item_id, lang)
        body = spec.body(answers, current)
    except AnswerProblem as problem:
        return await again(refusal_words(problem.code, problem.message, lang, problem.field), 422)
    except OwnerDown as down:
        return await again(owner_refusal(down.answer, lang), 503)
    if creating and spec.create:
        method, (path, params) = "POST", (spec.create, None)
        if named:
            body[spec.new_id.name] = new_id
    else:
        method, (path, params) = "PUT", _owner_path(spec, new_id, user.account)
    answer = await owners(request).call(user.account, spec.service, method, path, json=body, params=params,
                                        language=lang, idempotency_key=str(posted.get("key") or "")[:64] or None)
    if not answer.ok:  # the owner names a list's item ("areas.3"): the page marks the list
        return await again(owner_refusal(answer, lang, field=(answer.field or "").split(".")[0] or None),
                           answer.status)
    return RedirectResponse(f"/admin?done={spec.name}#{spec.section}", status_code=303)


@router.post("/admin/{form}/{item_id}/removal", response_class=HTMLResponse)
async def remove(request: Request, user: CurrentUser, session: ReadSession, form: FormName, item_id: ItemId,
                 csrf: Short) -> Response:
    """Remove a routing rule, or retire a sub-item, at its owner."""
    if user is None:
        return to_sign_in(request)
    spec, lang = _admin_form(user, form), language(request)
    if spec.removal is None:
        raise Refused("not_found", "no such form", status=404)
    if not csrf_matches(user.csrf_token, csrf):
        return await _render(request, user, session, status_code=403,
                             refusal=refusal_words("csrf_failed", "the form is stale: reload the page", lang))
    answer = await owners(request).call(user.account, spec.service, "DELETE",
                                        _owner_path(spec, item_id, user.account)[0], language=lang)
    if not answer.ok:
        return await _render(request, user, session, status_code=answer.status, refusal=owner_refusal(answer, lang))
    return RedirectResponse(f"/admin?done={spec.name}-removed#{spec.section}", status_code=303)


# --- the working calendar ------------------------------------------------------------------------------------------

Year = Annotated[int, PathParam(ge=2000, le=2100)]


async def _year_days(request: Request, account, year: int, lang: str) -> list[dict]:
    answer = await owners(request).call(account, "supervision", "GET", f"/v1/jurisdictions/{account.jurisdiction}"
                                        "/calendar", params={"year": year}, language=lang)
    if not answer.ok:
        raise OwnerDown(answer)
    return answer.body["days"]


@router.post("/admin/calendar/{year}/statutory", response_class=HTMLResponse)
async def load_statutory_year(request: Request, user: CurrentUser, session: ReadSession, year: Year,
                              csrf: Short) -> Response:
    """Load a year's holidays and adjusted working days as the State Council published them."""
    if user is None:
        return to_sign_in(request)
    lang = language(request)
    if not _admin(user) or not csrf_matches(user.csrf_token, csrf):
        raise Refused("forbidden_role", "not allowed", status=403)
    answer = await owners(request).call(user.account, "supervision", "POST", f"/v1/jurisdictions/"
                                        f"{user.account.jurisdiction}/calendar/{year}/statutory", language=lang)
    if not answer.ok:
        return await _render(request, user, session, status_code=answer.status, refusal=owner_refusal(
            answer, lang, form="calendar"))
    return RedirectResponse(f"/admin?done=calendar&year={year}#calendar", status_code=303)


@router.post("/admin/calendar/{year}/days", response_class=HTMLResponse)
async def change_day(request: Request, user: CurrentUser, session: ReadSession, year: Year) -> Response:
    """Enter one day of a year (a holiday or an adjusted working day), or take one back (``remove``)."""
    if user is None:
        return to_sign_in(request)
    lang = language(request)
    posted = dict(await request.form(max_fields=10, max_files=0))
    if not _admin(user) or not csrf_matches(user.csrf_token, str(posted.get("csrf") or "")):
        raise Refused("forbidden_role", "not allowed", status=403)
    answers = {k: str(v) for k, v in posted.items() if k in ("day", "workday", "name")}
    try:
        days = await _year_days(request, user.account, year, lang)
        if posted.get("remove"):
            changed = year_without(days, str(posted["remove"]))
        else:
            day = day_of(answers)
            if not day["day"].startswith(f"{year}-"):
                raise AnswerProblem("day")
            changed = year_with(days, day)
    except AnswerProblem as problem:
        return await _render(request, user, session, status_code=422, year=year, answers=answers, refusal=refusal_words(
            problem.code, problem.message, lang, problem.field, form="calendar-day"))
    except OwnerDown as down:
        return await _render(request, user, session, status_code=503, refusal=owner_refusal(down.answer, lang))
    answer = await owners(request).call(user.account, "supervision", "PUT", f"/v1/jurisdictions/"
                                        f"{user.account.jurisdiction}/calendar/{year}", json={"days": changed},
                                        language=lang)
    if not answer.ok:
        return await _render(request, user, session, status_code=answer.status, year=year, answers=answers,
                             refusal=owner_refusal(answer, lang, form="calendar-day"))
    return RedirectResponse(f"/admin?done=calendar&year={year}#calendar", status_code=303)
