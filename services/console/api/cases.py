"""One case: what the resident said (masked), where, its photos, who has it and how long each unit has left, every
step from every service, what everyone was told, and the actions this user may take now (sent to dispatch as the
user, with the case's version and an idempotency key; a refusal shown in the user's language)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.console.adapters import queries
from services.console.adapters.owners import OwnerAnswer
from services.console.api.rendering import (
    owner_refusal,
    owners,
    page,
    refusal_words,
    shown_time,
    to_sign_in,
    visible_cases,
)
from services.console.api.session import CurrentUser, SignedIn, csrf_matches, language
from services.console.domain.actions import ACTION_FORMS, QUEUE_FORMS, forms_open, running_clocks
from services.console.domain.board import BUCKET_NAMES, OPEN_STATUSES, buckets_of
from shared.auth import Role
from shared.http.dependencies import ReadSession
from shared.reference.keeping import names as kept_names
from shared.reference.labels import label

router = APIRouter(include_in_schema=False)
Code = Annotated[str, PathParam(pattern=r"^[A-Z0-9]{4,16}$")]
#: A form's size: nine photos of a few MB each, and its text.
MAX_PHOTOS, MAX_PHOTO_BYTES = 9, 12 * 1024 * 1024
_SEE_DELIVERIES = (Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR)
_SEE_HANDLING = (Role.UNIT_STAFF, Role.DISPATCHER, Role.SUPERVISOR)  # whom dispatch shows a case's handling


async def _no_answer() -> OwnerAnswer:
    """What dispatch would say to a role it does not show cases to: no need to ask."""
    return OwnerAnswer(403, None)


async def _render(request: Request, user: SignedIn, session, code: str, *, refusal: dict | None = None,
                  answers: dict | None = None, status_code: int = 200) -> Response:
    lang, names = language(request), await kept_names(session)
    r = await queries.one_case(session, visible_cases(user.account), code)
    if r is None:  # another scope's case is no case at all to this reader
        return page(request, "not_found.html", status_code=404, user=user.account, csrf=user.csrf_token)
    service = owners(request)
    role = user.account.role
    asks = [service.call(user.account, "dispatch", "GET", f"/v1/cases/{r['id']}", language=lang)
            if role in _SEE_HANDLING else _no_answer()]
    if role in _SEE_DELIVERIES:
        asks.append(service.call(user.account, "notification", "GET", f"/v1/cases/{r['id']}/deliveries",
                                 language=lang))
    held, *told = await asyncio.gather(*asks)
    if user.account.role is Role.UNIT_STAFF and held.status == 404:  # dispatch's word: no part of theirs
        return page(request, "not_found.html", status_code=404, user=user.account, csrf=user.csrf_token)
    handling = held.body if held.ok else None
    lines = await queries.timeline(session, r["id"])
    case = dict(
        id=r["id"], tracking_code=r["tracking_code"], category=names.category(r["category_code"], lang),
        place=names.place({k: r[k] for k in ("street_id", "community_id", "grid_id")}, lang), address=r["address"],
        lat=r["lat"], lon=r["lon"], unit=names.unit(r["unit_id"], lang) if r["unit_id"] else "",
        units=[names.unit(u, lang) for u in r["unit_ids"]], status=label("state", r["status"], lang),
        states=[BUCKET_NAMES[b][lang == "en"] for b in buckets_of(r)], urgent=r["urgent"],
        channel=label("channel", r["channel"], lang) if r["channel"] else "",
        description=r["description"] or "", residents=r["residents_affected"], reported=shown_time(r["reported_at"]),
        photos=[("resident", p) for p in r["photo_ids"]] + [("unit", p) for p in (handling or {}).get("photos", [])])
    clocks = [dict(unit=label("audience", "resident", lang) if c.kind == "verdict" else names.unit(c.unit_id, lang),
                   kind=label("kind", c.kind, lang), due=c.due_at.isoformat(),
                   due_shown=shown_time(c.due_at))
              for c in running_clocks(r["status"], r["clocks"], r["unit_ids"], r["given_at"])]
    timeline = [dict(at=shown_time(x.at), service=x.service, kind=x.kind,
                     text=x.text_en if lang == "en" else x.text_zh) for x in lines]
    deliveries = [dict(at=d["created_at"], audience=label("audience", d["audience"], lang),
                       channel=label("message_channel", d["channel"], lang), body=d["body"],
                       status=label("delivery", d["status"], lang))
                  for d in (told[0].body if told and told[0].ok else [])]
    forms = forms_open(handling.get("actions", [])) if handling else []
    if refusal and refusal["field"] and refusal["field"] not in {
            f.name for f in ACTION_FORMS[refusal["action"]].fields if refusal.get("action") in ACTION_FORMS}:
        refusal = {**refusal, "field": None}  # a refusal about no field of the form is said above the forms
    return page(request, "case.html", status_code=status_code, here=f"/cases/{code}", user=user.account, csrf=user.csrf_token, case=case,
                timeline=timeline, clocks=clocks, deliveries=deliveries if told else None, forms=forms,
                version=(handling or {}).get("version"), key=uuid.uuid4().hex, refusal=refusal,
                answers=answers or {}, done=request.query_params.get("done"),
                done_name=_done_name(request.query_params.get("done"), lang),
                handling_unavailable=held.status >= 500 and user.account.role in (Role.DISPATCHER, Role.UNIT_STAFF),
                units=names.listed("unit", lang), other_forms=[
                    QUEUE_FORMS["urging"]] if user.account.role is Role.SUPERVISOR and r["status"] in OPEN_STATUSES
                and r["unit_id"] else [])


@router.get("/cases/{tracking_code}", response_class=HTMLResponse)
async def case_page(request: Request, user: CurrentUser, session: ReadSession, tracking_code: Code) -> Response:
    if user is None:
        return to_sign_in(request)
    return await _render(request, user, session, tracking_code)


@router.post("/cases/{tracking_code}/actions/{action}", response_class=HTMLResponse)
async def case_action(request: Request, user: CurrentUser, session: ReadSession, tracking_code: Code,
                      action: Annotated[str, PathParam(pattern=r"^[a-z-]{3,30}$")]) -> Response:
    """One action of the case's page: its photos uploaded first (to dispatch, as the user), then the step."""
    if user is None:
        return to_sign_in(request)
    form_def = ACTION_FORMS.get(action)
    async with request.form(max_files=MAX_PHOTOS, max_fields=30, max_part_size=MAX_PHOTO_BYTES) as form:
        lang = language(request)
        if not csrf_matches(user.csrf_token, form.get("csrf")):
            return await _render(request, user, session, tracking_code, status_code=403,
                                 refusal=refusal_words("csrf_failed", "the form is stale: reload the page", lang))
        r = await queries.one_case(session, visible_cases(user.account), tracking_code)
        if form_def is None or r is None:
            return page(request, "not_found.html", status_code=404, user=user.account, csrf=user.csrf_token)
        answers = {f.name: form.getlist(f.name) if f.kind == "units" else form.get(f.name) for f in form_def.fields}
        answers = {k: v for k, v in answers.items() if not isinstance(v, UploadFile)}
        missing = next((f for f in form_def.fields if f.required and f.kind != "photos" and not answers.get(f.name)),
                       None)
        if missing is not None:
            return await _render(request, user, session, tracking_code, status_code=422, answers={action: answers},
                                 refusal=refusal_words("missing_field", "this field is required", lang, missing.name,
                                                 action=action))
        try:
            version = int(form.get("version") or "")
        except ValueError:
            version = 0
        service = owners(request)
        photo_ids = []
        for upload in [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]:
            stored = await service.call(user.account, "dispatch", "POST", "/v1/photos", language=lang, files={
                "file": (upload.filename, await upload.read(), upload.content_type or "application/octet-stream")})
            if not stored.ok:
                return await _render(request, user, session, tracking_code, status_code=stored.status,
                                     answers={action: answers},
                                     refusal=owner_refusal(stored, lang, "photos", action=action))
            photo_ids.append(stored.body["photo_id"])
        key = str(form.get("key") or "")[:64] or uuid.uuid4().hex
    answer = await service.call(user.account, "dispatch", "POST", f"/v1/cases/{r['id']}/{action}",
                                json=form_def.body(answers, version, photo_ids), idempotency_key=key, language=lang)
    if not answer.ok:
        return await _render(request, user, session, tracking_code, status_code=answer.status,
                             answers={action: answers}, refusal=owner_refusal(answer, lang, action=action))
    return RedirectResponse(f"/cases/{tracking_code}?done={action}", status_code=303)


@router.get("/cases/{tracking_code}/photos/{source}/{photo_id}")
async def case_photo(request: Request, user: CurrentUser, session: ReadSession, tracking_code: Code,
                     source: Annotated[str, PathParam(pattern="^(resident|unit)$")], photo_id: UUID) -> Response:
    """A photo of the case, fetched from its owner as the user (intake keeps the resident's, dispatch the units')."""
    if user is None:
        return to_sign_in(request)
    r = await queries.one_case(session, visible_cases(user.account), tracking_code)
    if r is None or (source == "resident" and str(photo_id) not in r["photo_ids"]):
        return Response(status_code=404)
    path = f"/v1/photos/{photo_id}" if source == "resident" else f"/v1/cases/{r['id']}/photos/{photo_id}"
    fetched = await owners(request).fetch(user.account, "intake" if source == "resident" else "dispatch", path)
    if fetched is None:
        return Response(status_code=404)
    return Response(fetched.content, media_type=fetched.headers.get("content-type", "image/jpeg"),
                    headers={"Cache-Control": "private, max-age=3600"})


def _done_name(done: str | None, lang: str) -> str | None:
    form = ACTION_FORMS.get(done or "") or QUEUE_FORMS.get(done or "")
    return (form.en if lang == "en" else form.zh) if form else None
