"""The hotline operator's workspace: who is calling (their earlier cases, as intake audits it), the call taken down
(the sub-item suggested and open cases nearby shown as the operator types, the address looked up, the urgency), the
knowledge base searched to answer a consultation on the spot and record it, and the queues of call-backs and triage.
Intake owns all of it; the console asks as the operator."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.console.api.rendering import owner_refusal, owners, page, refusal_words, shown_time, to_sign_in
from services.console.api.reporting import FORM_FIELD, categories_by_class, field_words, nearby_at, point_of
from services.console.api.session import CurrentUser, SignedIn, csrf_matches, language
from services.console.domain.report_form import CALL_FIELDS, ReportAnswers, hotline_body, wrong_answers
from shared.auth import Role

router = APIRouter(include_in_schema=False)


async def _workspace(request: Request, user: SignedIn, *, status_code: int = 200, answers: ReportAnswers | None = None,
                     wrong: dict | None = None, refusal: dict | None = None, history: list | None = None,
                     taken: dict | None = None, nearby: list | None = None, answered: dict | None = None,
                     q: str = "", call_id: str | None = None) -> Response:
    lang, account, service = language(request), user.account, owners(request)
    def ask(path: str, **params):
        return service.call(account, "intake", "GET", path, params=params or None, language=lang)

    # The page's four questions to intake at once, not one after another.
    today, callbacks, triage, found = await asyncio.gather(
        ask("/v1/hotline/consultations"), ask("/v1/callbacks"), ask("/v1/triage"),
        ask("/v1/knowledge", q=q) if q else asyncio.sleep(0))
    en = lang == "en"
    return page(request, "hotline.html", status_code=status_code, here="/hotline", user=account,
                csrf=user.csrf_token, fields=CALL_FIELDS, a=answers or ReportAnswers(), wrong=wrong or {},
                refusal=refusal, history=[{**c, "category_words": c["category_name_en" if en else "category_name_zh"],
                                           "status_words": c["status_en" if en else "status_zh"],
                                           "reported": shown_time(datetime.fromisoformat(c["reported_at"]))}
                                          for c in history] if history is not None else None,
                groups=await categories_by_class(request, lang), taken=taken, nearby=nearby, q=q,
                articles=found.body if found and found.ok else ([] if found else None), answered=answered,
                today=[{**c, "at": shown_time(datetime.fromisoformat(c["answered_at"]), "%H:%M")}
                       for c in (today.body if today.ok else [])],
                callbacks=len(callbacks.body) if callbacks.ok else None,
                triage=len(triage.body) if triage.ok else None, call_id=call_id or secrets.token_hex(8))


def _operator(user: SignedIn | None) -> bool:
    return user is not None and user.account.role is Role.OPERATOR


@router.get("/hotline", response_class=HTMLResponse)
async def workspace(request: Request, user: CurrentUser,
                    q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """The operator's page: the call form, the knowledge base (``q``: what the caller asks), today's answers."""
    if user is None:
        return to_sign_in(request)
    if not _operator(user):
        return page(request, "not_found.html", status_code=404, user=user.account, csrf=user.csrf_token)
    return await _workspace(request, user, q=q.replace("\x00", "").strip())


@router.post("/hotline", response_class=HTMLResponse)
async def take_call(request: Request, user: CurrentUser) -> Response:
    """One of the page's forms: ``lookup`` (the caller's earlier cases), ``report`` (the call taken down as a
    report, or joined to an open case), ``answer`` (a consultation answered on the spot from the knowledge base)."""
    if user is None:
        return to_sign_in(request)
    if not _operator(user):
        return page(request, "not_found.html", status_code=404, user=user.account, csrf=user.csrf_token)
    lang = language(request)
    form = await request.form(max_fields=40, max_files=0)
    given = {k: v[:8001] for k, v in form.items() if isinstance(v, str)}  # longer: "too long", at its field
    answers = ReportAnswers.of(given)
    call_id = "".join(ch for ch in given.get("call_id", "") if ch.isalnum())[:32] or None
    again = {"answers": answers, "call_id": call_id, "q": given.get("q", "")[:200]}
    if not csrf_matches(user.csrf_token, given.get("csrf")):
        return await _workspace(request, user, status_code=403, **again, refusal=refusal_words(
            "csrf_failed", "the form is stale: reload the page", lang))
    account, service = user.account, owners(request)
    step = given.get("step")
    if step == "lookup":
        if not answers.phone:
            return await _workspace(request, user, status_code=422, **again,
                                    wrong={"phone": field_words("missing_field", lang)})
        found = await service.call(account, "intake", "POST", "/v1/hotline/caller", json={"phone": answers.phone},
                                   language=lang)
        if not found.ok:
            return await _workspace(request, user, status_code=found.status, **again,
                                    wrong={"phone": owner_refusal(found, lang)["message"]})
        return await _workspace(request, user, **again, history=found.body)
    if step == "answer":
        body = {"question": given.get("question", "")[:500], "article_id": given.get("article_id") or None,
                "call_id": f"{call_id}-consultation" if call_id else None,
                **({"phone": answers.phone} if answers.phone and not answers.anonymous else {})}
        said = await service.call(account, "intake", "POST", "/v1/hotline/consultations", json=body, language=lang)
        if not said.ok:
            return await _workspace(request, user, status_code=said.status, **again,
                                    refusal=owner_refusal(said, lang))
        return await _workspace(request, user, answered=said.body, q=again["q"])
    # the call taken down as a report
    wrong = wrong_answers(answers)
    if not answers.description:
        wrong["description"] = "missing_field"
    if wrong:
        return await _workspace(request, user, status_code=422, **again,
                                wrong={f: field_words(code, lang) for f, code in wrong.items()})
    if not answers.co_report_of and given.get("confirmed") != "1":
        point = await point_of(request, answers, lang)
        nearby = await nearby_at(request, point, answers.category or None, lang) if point else []
        if nearby:
            return await _workspace(request, user, **again, nearby=nearby)
    sent = await service.call(account, "intake", "POST", "/v1/hotline/reports", language=lang,
                              json=hotline_body(answers, call_id=call_id or secrets.token_hex(8),
                                                urgent=given.get("urgent") in ("1", "on")))
    if not sent.ok:
        refusal = owner_refusal(sent, lang)
        at = FORM_FIELD.get(refusal.get("field") or "") or ("phone" if refusal.get("field") == "caller" else None)
        return await _workspace(request, user, status_code=sent.status if sent.status < 500 else 503, **again,
                                wrong={at: refusal["message"]} if at else None, refusal=None if at else refusal)
    return await _workspace(request, user, taken=sent.body)
