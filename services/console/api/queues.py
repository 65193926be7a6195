"""The queues people work through: the linkage centre's (triage, the claiming board, joint handling and its
check-ins, cases under supervision), the supervisor's extension requests, the operators' call-backs (verdicts to take
by phone, questions units asked for residents) and the administrator's dead-lettered messages. Cases come from the
read model; what another service keeps as its own work list is asked of it as the user, and answered there."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters import queries
from services.console.api.board import case_row
from services.console.api.rendering import (
    owner_refusal,
    owners,
    page,
    refusal_words,
    safe_next,
    shown_time,
    to_sign_in,
    visible_cases,
)
from services.console.api.session import CurrentUser, SignedIn, csrf_matches, language
from services.console.domain.actions import QUEUE_FORMS
from shared.auth import Role
from shared.http.dependencies import ReadSession
from shared.local_time import LOCAL_ZONE
from shared.reference.keeping import names as kept_names

router = APIRouter(include_in_schema=False)
#: Who works which of the read model's queues.
CASE_QUEUES = {"triage": (Role.DISPATCHER, Role.OPERATOR), "claiming": (Role.DISPATCHER,),
               "joint": (Role.DISPATCHER, Role.SUPERVISOR), "supervision": (Role.DISPATCHER, Role.SUPERVISOR)}
#: The owners' work lists: (service, path, the roles that work it).
OWNED_QUEUES = {"extensions": ("supervision", "/v1/extension-requests", (Role.SUPERVISOR,)),
                "callbacks": ("intake", "/v1/callbacks", (Role.OPERATOR,)),
                "unit_callbacks": ("intake", "/v1/unit-callbacks", (Role.OPERATOR,)),
                "meetings": ("supervision", "/v1/meetings", (Role.SUPERVISOR,)),
                "dead_letters": ("notification", "/v1/dead-letters", (Role.ADMIN,))}
#: What a panel's member list names (supervision keeps the names masked).
PARTIES = ("community", "party_member", "resident")


async def _render(request: Request, user: SignedIn, session, *, refusal: dict | None = None,
                  status_code: int = 200) -> Response:
    lang, names, role = language(request), await kept_names(session), user.account.role
    visible = visible_cases(user.account)
    cases = {}
    for queue, roles in CASE_QUEUES.items():
        if role in roles:
            rows = await queries.queue_cases(session, visible, queue)
            cases[queue] = [{**case_row(r, names, lang), "summons": _summons(r["summons"], names, lang)}
                            for r in rows]
    mine = {q: spec for q, spec in OWNED_QUEUES.items() if role in spec[2]}
    answers = await asyncio.gather(*(owners(request).call(user.account, service, "GET", path, language=lang)
                                     for service, path, _ in mine.values()))
    owned = {q: (a.body if a.ok else None) for q, a in zip(mine, answers, strict=True)}
    if owned.get("extensions"):
        owned["extensions"] = [{**x, "unit_name": names.unit(x["unit_id"], lang)} for x in owned["extensions"]
                               if x["status"] == "pending"]
    if owned.get("callbacks"):
        owned["callbacks"] = [{**x, "category_name": names.category(x["category"], lang)} for x in owned["callbacks"]]
    if owned.get("meetings"):
        owned["meetings"] = [{**m, "scheduled_for": m["scheduled_for"] and shown_time(datetime.fromisoformat(
            m["scheduled_for"]))} for m in owned["meetings"] if m["status"] != "held"]
    quarter = _quarter(datetime.now(LOCAL_ZONE))
    if role is Role.SUPERVISOR:
        owned["panels"] = await _panels(request, user, quarter, names, lang)
    return page(request, "queues.html", status_code=status_code, here="/queues", user=user.account,
                csrf=user.csrf_token, cases=cases, owned=owned, forms=QUEUE_FORMS, key=uuid.uuid4().hex,
                refusal=refusal, done=request.query_params.get("done"), now=shown_time(datetime.now(UTC)),
                codes=await _codes(session, owned), quarter=quarter, streets=names.listed(
                    "area", lang, level="street", under=tuple(user.account.scope)))


def _quarter(moment: datetime) -> str:
    return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"


async def _panels(request: Request, user: SignedIn, quarter: str, names, lang: str) -> list[dict] | None:
    """The quarter's panels of the supervisor's streets, each with its docket (None: supervision did not answer)."""
    service = owners(request)
    seated = await service.call(user.account, "supervision", "GET", "/v1/panels", params={"quarter": quarter},
                                language=lang)
    if not seated.ok:
        return None
    dockets = await asyncio.gather(*(service.call(user.account, "supervision", "GET", f"/v1/panels/{p['id']}/cases",
                                                  language=lang) for p in seated.body))
    return [{**p, "street_name": names.area(p["street_id"], lang), "docket": d.body if d.ok else None}
            for p, d in zip(seated.body, dockets, strict=True)]


def _summons(summons: dict | None, names, lang: str) -> dict | None:
    if not summons:
        return None
    return {"units": names.units(summons.get("units", []), lang), "by": shown_time(
        datetime.fromisoformat(summons["check_in_by"])), "missed": names.units(summons.get("missed", []), lang)}


async def _codes(session, owned: dict) -> dict:
    """Tracking codes of the cases the owners' items name (an extension request names only the case's id)."""
    ids = [x["case_id"] for x in [*(owned.get("extensions") or []), *(owned.get("meetings") or [])]]
    ids += [c["case_id"] for p in owned.get("panels") or [] for c in p["docket"] or []]
    return await queries.tracking_codes(session, ids) if ids else {}


@router.get("/queues", response_class=HTMLResponse)
async def queues(request: Request, user: CurrentUser, session: ReadSession) -> Response:
    if user is None:
        return to_sign_in(request)
    if user.account.role is Role.UNIT_STAFF:
        return RedirectResponse("/workbench", status_code=303)
    return await _render(request, user, session)


@router.post("/queues/{form}/{item_id}", response_class=HTMLResponse)
async def queue_action(request: Request, user: CurrentUser, session: ReadSession,
                       form: Annotated[str, PathParam(pattern=r"^[a-z-]{3,40}$")],
                       item_id: Annotated[str, PathParam(pattern=r"^[0-9a-fA-F-]{1,36}$")]) -> Response:
    """Answer one item of a queue at its owner, as the user (the owner checks role and scope again)."""
    if user is None:
        return to_sign_in(request)
    lang, spec = language(request), QUEUE_FORMS.get(form)
    answers = dict(await request.form(max_fields=20, max_files=0))
    if not csrf_matches(user.csrf_token, answers.get("csrf")):
        return await _render(request, user, session, status_code=403, refusal=refusal_words(
            "csrf_failed", "the form is stale: reload the page", lang))
    if spec is None or user.account.role.value not in spec.roles:
        return await _render(request, user, session, status_code=404, refusal=refusal_words(
            "not_found", "no such item", lang))
    missing = next((f for f in spec.fields if f.required and f.kind != "yesno" and not answers.get(f.name)), None)
    if missing is not None:
        return await _render(request, user, session, status_code=422, refusal=refusal_words(
            "missing_field", "this field is required", lang, missing.name, form=form, item=item_id))
    answer = await owners(request).call(
        user.account, spec.service, "POST", spec.path.format(id=item_id), json=spec.body(answers, LOCAL_ZONE),
        language=lang,
        idempotency_key=str(answers.get("key") or "")[:64] or None)
    if not answer.ok:
        return await _render(request, user, session, status_code=answer.status,
                             refusal=owner_refusal(answer, lang, form=form, item=item_id))
    back = safe_next(str(answers.get("back") or ""), "/queues")
    return RedirectResponse(f"{back}?done={form}", status_code=303)


@router.post("/queues/panels", response_class=HTMLResponse)
async def seat_panel(request: Request, user: CurrentUser, session: ReadSession) -> Response:
    """Seat a quarter's three-party panel for a street (community, party-member and resident representatives)."""
    if user is None:
        return to_sign_in(request)
    lang = language(request)
    answers = {k: str(v) for k, v in (await request.form(max_fields=20, max_files=0)).items()}
    if user.account.role is not Role.SUPERVISOR or not csrf_matches(user.csrf_token, answers.get("csrf")):
        return await _render(request, user, session, status_code=403, refusal=refusal_words(
            "csrf_failed", "the form is stale: reload the page", lang, form="panel"))
    members = [{"party": party, "name": name} for party in PARTIES
               for name in re.split(r"[,，、;；]+", answers.get(party, "")) if name.strip()]
    missing = next((party for party in PARTIES if not any(m["party"] == party for m in members)), None)
    if missing:
        return await _render(request, user, session, status_code=422, refusal=refusal_words(
            "missing_field", "this field is required", lang, missing, form="panel"))
    answer = await owners(request).call(user.account, "supervision", "POST", "/v1/panels", json={
        "quarter": answers.get("quarter", ""), "street_id": answers.get("street_id", ""),
        "members": [{**m, "name": m["name"].strip()} for m in members]}, language=lang,
        idempotency_key=answers.get("key", "")[:64] or None)
    if not answer.ok:
        return await _render(request, user, session, status_code=answer.status,
                             refusal=owner_refusal(answer, lang, form="panel"))
    return RedirectResponse("/queues?done=panel#panels", status_code=303)
