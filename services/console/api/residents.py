"""The residents' pages, public (no sign-in, nothing internal): following a case by its tracking code and the last
four digits of the phone given with the report, and judging the result once it is done. Intake owns the answers and
its limits (tracking per address, the lockout after wrong digits); the console asks for the resident."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.api.rendering import (
    owner_refusal,
    owners,
    refusal_words,
    resident_language,
    resident_page,
    set_cookie,
    shown_time,
)
from services.console.api.session import CSRF_COOKIE, csrf_matches
from shared.http.rate_limits import client_address

router = APIRouter(include_in_schema=False)
Code = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9-]{6,32}$")]
Last4 = Annotated[str, Form(max_length=8)]


def _form(request: Request, code: str, *, status_code: int = 200, refusal: dict | None = None) -> HTMLResponse:
    return _page_of(request, code, "", None, status_code=status_code, refusal=refusal)


@router.get("/track", response_class=HTMLResponse)
async def track_any(request: Request, code: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """Where a resident types the code they were given; it opens that code's page."""
    typed = re.sub(r"[\s]", "", code or "")
    if re.fullmatch(r"[A-Za-z0-9-]{6,32}", typed):
        return RedirectResponse(f"/track/{quote(typed)}", status_code=303)
    return _page_of(request, "", "", None, status_code=422 if code else 200, refusal=refusal_words(
        "invalid_field", "this is not a tracking code", resident_language(request), "code") if code else None)


@router.get("/track/{tracking_code}", response_class=HTMLResponse)
async def track_form(request: Request, tracking_code: Code) -> HTMLResponse:
    """Where the link in every SMS lands: the code given, the last four digits of the phone asked."""
    return _form(request, tracking_code)


async def _case(request: Request, code: str, last4: str, lang: str):
    return await owners(request).call_public("intake", "GET", f"/v1/track/{quote(code)}", params={
        "phone_last4": last4}, resident_address=client_address(request), language=lang)


#: How long a completion photo's address stays good after the resident proved to be one of the case's.
PHOTO_LINK = timedelta(hours=1)


def _photo_signature(request: Request, code: str, photo_id: str, until: int) -> str:
    key = hashlib.sha256(b"gridlink-track-photos\0" + request.app.state.runtime.settings.jwt_private_key.encode())
    return hmac.new(key.digest(), f"{code}\0{photo_id}\0{until}".encode(), hashlib.sha256).hexdigest()


def _photo_link(request: Request, code: str, photo_id: str) -> str:
    """The photo's address on this page: signed for the code and the hour, so that the digits need not travel in it."""
    until = int((datetime.now(UTC) + PHOTO_LINK).timestamp())
    return (f"/track/{quote(code)}/photos/{quote(photo_id)}?until={until}"
            f"&sig={_photo_signature(request, code, photo_id, until)}")


def _shown(request: Request, case: dict, lang: str) -> dict:
    """The case as the page shows it: words in the reader's language, times in Beijing time, the unit's photos."""
    en = lang == "en"
    return {**case, "status_words": case["status_en" if en else "status_zh"],
            "photo_links": [_photo_link(request, case["tracking_code"], p) for p in case.get("answer_photos", [])],
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
    lang = resident_language(request)
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
    return _page_of(request, tracking_code, phone_last4, _shown(request, answer.body, lang))


def _page_of(request: Request, code: str, last4: str, case: dict | None, *, status_code: int = 200,
             refusal: dict | None = None, judged: str | None = None) -> HTMLResponse:
    """The tracking page: the digits asked (no case yet), or the case; a fresh CSRF token for its form."""
    csrf = secrets.token_urlsafe(24)
    response = resident_page(request, "track.html", status_code, code=code, csrf=csrf, case=case, last4=last4,
                             refusal=refusal, judged=judged)
    set_cookie(response, request, CSRF_COOKIE, csrf, max_age=3600)
    return response


@router.post("/track/{tracking_code}/verdict", response_class=HTMLResponse)
async def judge(request: Request, tracking_code: Code, csrf: Annotated[str, Form(max_length=100)],
                phone_last4: Last4, verdict: Annotated[str, Form(max_length=30)],
                resolved: Annotated[str, Form(max_length=3)] = "",
                comment: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """The resident's verdict on the completed case (satisfied, basically satisfied, dissatisfied)."""
    lang = resident_language(request)
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
    case = _shown(request, found.body, lang)
    if not answer.ok:
        return _page_of(request, tracking_code, phone_last4, case, status_code=answer.status,
                        refusal=owner_refusal(answer, lang))
    return _page_of(request, tracking_code, phone_last4, case, judged=verdict)


@router.get("/track/{tracking_code}/photos/{photo_id}")
async def completion_photo(request: Request, tracking_code: Code, photo_id: UUID,
                           until: Annotated[int, Query(ge=0, le=2**40)], sig: Annotated[str, Query(max_length=64)]
                           ) -> Response:
    """A photo the unit completed the case with, for the resident whose page linked it (the link is signed)."""
    expected = _photo_signature(request, tracking_code, str(photo_id), until)
    if until < datetime.now(UTC).timestamp() or not hmac.compare_digest(expected, sig):
        return Response(status_code=404)
    photo = await owners(request).fetch_for_resident("dispatch", f"/v1/resident-photos/{photo_id}")
    if photo is None:
        return Response(status_code=404)
    return Response(photo.content, media_type=photo.headers.get("content-type", "image/jpeg"),
                    headers={"Cache-Control": "private, max-age=3600", "Referrer-Policy": "no-referrer"})
