"""The residents' pages, public (no sign-in, nothing internal): following a case by its tracking code and the last
four digits of the phone given with the report, and judging the result once it is done. Intake owns the answers and
its limits (tracking per address, the lockout after wrong digits); the console asks for the resident."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from services.console.api.rendering import owner_refusal, owners, page, refusal_words, set_cookie, shown_time
from services.console.api.session import CSRF_COOKIE, csrf_matches, language
from shared.http.rate_limits import client_address

router = APIRouter(include_in_schema=False)
Code = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9-]{6,32}$")]
Last4 = Annotated[str, Form(max_length=8)]


def _form(request: Request, code: str, *, status_code: int = 200, refusal: dict | None = None) -> HTMLResponse:
    return _page_of(request, code, "", None, status_code=status_code, refusal=refusal)


@router.get("/track/{tracking_code}", response_class=HTMLResponse)
async def track_form(request: Request, tracking_code: Code) -> HTMLResponse:
    """Where the link in every SMS lands: the code given, the last four digits of the phone asked."""
    return _form(request, tracking_code)


async def _case(request: Request, code: str, last4: str, lang: str):
    return await owners(request).call_public("intake", "GET", f"/v1/track/{quote(code)}", params={
        "phone_last4": last4}, resident_address=client_address(request), language=lang)


def _shown(case: dict, lang: str) -> dict:
    """The case as the page shows it: words in the reader's language, times in Beijing time."""
    en = lang == "en"
    return {**case, "status_words": case["status_en" if en else "status_zh"],
            "category_words": case["category_name_en" if en else "category_name_zh"],
            "reported": shown_time(datetime.fromisoformat(case["reported_at"])),
            "expected": shown_time(datetime.fromisoformat(case["expected_completion_at"]))
            if case.get("expected_completion_at") else "",
            "timeline": [{"at": shown_time(datetime.fromisoformat(e["at"])), "text": e["text_en" if en else "text_zh"]}
                         for e in case["timeline"]]}


@router.post("/track/{tracking_code}", response_class=HTMLResponse)
async def track(request: Request, tracking_code: Code, csrf: Annotated[str, Form(max_length=100)],
                phone_last4: Last4) -> Response:
    """The case's state, unit, timeline and expected completion, for the one who reported it."""
    lang = language(request)
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), csrf):
        return _form(request, tracking_code, status_code=403, refusal=refusal_words(
            "csrf_failed", "the page was stale: please try again", lang))
    if not re.fullmatch(r"\d{4}", phone_last4):
        return _form(request, tracking_code, status_code=422, refusal=refusal_words(
            "invalid_field", "four digits, please", lang, "phone_last4"))
    answer = await _case(request, tracking_code, phone_last4, lang)
    if not answer.ok:
        response = _form(request, tracking_code, status_code=answer.status,
                         refusal=owner_refusal(answer, lang, field="phone_last4"))
        if answer.retry_after:
            response.headers["Retry-After"] = answer.retry_after
        return response
    return _page_of(request, tracking_code, phone_last4, _shown(answer.body, lang))


def _page_of(request: Request, code: str, last4: str, case: dict | None, *, status_code: int = 200,
             refusal: dict | None = None, judged: str | None = None) -> HTMLResponse:
    """The tracking page: the digits asked (no case yet), or the case; a fresh CSRF token for its form."""
    csrf = secrets.token_urlsafe(24)
    response = page(request, "track.html", status_code=status_code, code=code, csrf=csrf, case=case, last4=last4,
                    refusal=refusal, judged=judged)
    set_cookie(response, request, CSRF_COOKIE, csrf, max_age=3600)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/track/{tracking_code}/verdict", response_class=HTMLResponse)
async def judge(request: Request, tracking_code: Code, csrf: Annotated[str, Form(max_length=100)],
                phone_last4: Last4, verdict: Annotated[str, Form(max_length=30)],
                resolved: Annotated[str, Form(max_length=3)] = "",
                comment: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """The resident's verdict on the completed case (satisfied, basically satisfied, dissatisfied)."""
    lang = language(request)
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), csrf):
        return _form(request, tracking_code, status_code=403, refusal=refusal_words(
            "csrf_failed", "the page was stale: please try again", lang))
    body = {"verdict": verdict, **({"resolved": resolved == "yes"} if resolved in ("yes", "no") else {}),
            **({"comment": comment.strip()} if comment.strip() else {})}
    answer = await owners(request).call_public(
        "intake", "POST", f"/v1/track/{quote(tracking_code)}/verdict", params={"phone_last4": phone_last4},
        json=body, resident_address=client_address(request), language=lang)
    found = await _case(request, tracking_code, phone_last4, lang)
    if not found.ok:
        return _form(request, tracking_code, status_code=found.status,
                     refusal=owner_refusal(found, lang, field="phone_last4"))
    case = _shown(found.body, lang)
    if not answer.ok:
        return _page_of(request, tracking_code, phone_last4, case, status_code=answer.status,
                        refusal=owner_refusal(answer, lang))
    return _page_of(request, tracking_code, phone_last4, case, judged=verdict)
