"""The residents' report page, public: describe the problem (the sub-item suggested as they type), place it on the
map of the grids or by an address, add photos and a contact or stay anonymous; open cases of the same kind nearby
are shown before sending ("already reported? add your voice"). Without JavaScript the same form works in two steps
(the nearby cases on a page of their own); intake decides and answers with the tracking code."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, StringConstraints
from sqlalchemy import select
from starlette.datastructures import UploadFile as StarletteUpload

from services.console.adapters import tables
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
from services.console.domain.report_form import REPORT_FIELDS, ReportAnswers, intake_body, wrong_answers
from shared.http.dependencies import ReadSession
from shared.http.rate_limits import client_address
from shared.photos import MAX_PHOTOS_PER_REPORT
from shared.reference.keeping import names as kept_names

router = APIRouter(include_in_schema=False)
Code = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9-]{6,32}$")]


async def _intake(request: Request, method: str, path: str, lang: str, **sent):
    """Intake's public route, asked for the resident (their address forwarded, their language)."""
    return await owners(request).call_public("intake", method, path, resident_address=client_address(request),
                                             language=lang, **sent)


async def categories_by_class(request: Request, lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The sub-items a report may be filed under, by class (intake's current tree), as a select's groups."""
    answer = await _intake(request, "GET", "/v1/categories", lang)
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in answer.body if answer.ok else []:
        group = c["class_name_en"] if lang == "en" and c.get("class_name_en") else c["class_name_zh"]
        groups.setdefault(group, []).append((c["code"], c["name_en" if lang == "en" else "name_zh"]))
    return list(groups.items())


_ENGLISH = {"missing_field": "required", "invalid_field": "this value is not valid", "too_long": "too long",
            "missing_location": "tap the map or give an address",
            "too_many_photos": f"at most {MAX_PHOTOS_PER_REPORT} photos"}


def field_words(code: str, lang: str) -> str:
    """What the form says of a field the console finds wrong, in the reader's language."""
    return refusal_words(code, _ENGLISH.get(code, code), lang)["message"]


#: Where on the form an owner's refusal of a field belongs.
FORM_FIELD = {"location": "address", "address": "address", "contact": "phone", "contact.phone": "phone",
               "contact.name": "name", "description": "description", "category": "category", "photos": "photos"}


async def _form(request: Request, answers: ReportAnswers = ReportAnswers(), *, status_code: int = 200,
                wrong: dict[str, str] | None = None, refusal: dict | None = None, nearby: list | None = None,
                idempotency_key: str | None = None) -> HTMLResponse:
    """The form, filled with what was given; ``wrong``: each field's error in words; ``refusal``: what is wrong with
    the whole; ``nearby``: the open cases of the same kind to choose from before sending."""
    lang = resident_language(request)
    csrf = secrets.token_urlsafe(24)
    response = resident_page(request, "report.html", status_code, csrf=csrf,
                    fields=REPORT_FIELDS, a=answers, groups=await categories_by_class(request, lang), nearby=nearby,
                    wrong=wrong or {}, refusal=refusal, max_photos=MAX_PHOTOS_PER_REPORT,
                    idempotency_key=idempotency_key or secrets.token_urlsafe(18))
    set_cookie(response, request, CSRF_COOKIE, csrf, max_age=3600)
    return response


@router.get("/report", response_class=HTMLResponse)
async def report_form(request: Request) -> HTMLResponse:
    """The empty form (mobile first): what, where, photos, contact."""
    return await _form(request)


async def _upload(request: Request, photos: list[UploadFile], lang: str) -> tuple[list[str], dict | None]:
    """Each photo given to intake (it checks the content and strips the metadata): the ids, or its refusal."""
    ids = []
    for photo in photos:
        if not photo.filename:
            continue  # the file input sent nothing
        answer = await _intake(request, "POST", "/v1/photos", lang, files={
            "file": (photo.filename, await photo.read(), photo.content_type or "application/octet-stream")})
        if not answer.ok:
            return ids, owner_refusal(answer, lang, field="photos")
        ids.append(answer.body["photo_id"])
    return ids, None


async def point_of(request: Request, a: ReportAnswers, lang: str) -> tuple[float, float] | None:
    """Where the report is: the point tapped, else the first place the gazetteer makes of the address."""
    if a.point() is not None:
        return a.point()
    if not a.address:
        return None
    found = await _intake(request, "GET", "/v1/addresses", lang, params={"q": a.address})
    return (found.body[0]["lat"], found.body[0]["lon"]) if found.ok and found.body else None


async def _nearby(request: Request, a: ReportAnswers, lang: str) -> list[dict]:
    """Open cases of the same kind near the report (the sub-item chosen, else the one its text suggests)."""
    point = await point_of(request, a, lang)
    if point is None:
        return []
    category = a.category
    if not category:
        suggested = await _intake(request, "POST", "/v1/classify", lang, json={"text": a.description})
        category = suggested.body.get("category") if suggested.ok else None
    return await nearby_at(request, point, category, lang)


async def nearby_at(request: Request, point: tuple[float, float], category: str | None, lang: str) -> list[dict]:
    found = await _intake(request, "GET", "/v1/nearby", lang, params={"lat": point[0], "lon": point[1], **(
        {"category": category} if category else {})})
    if not found.ok:
        return []
    en = lang == "en"
    return [{**c, "category_words": c["category_name_en" if en else "category_name_zh"],
             "status_words": c["status_en" if en else "status_zh"],
             "reported": shown_time(datetime.fromisoformat(c["reported_at"]), "%m-%d %H:%M")} for c in found.body]


@router.post("/report", response_class=HTMLResponse)
async def report_send(request: Request) -> Response:
    """Send the report to intake. Without a choice made about the nearby open cases of the same kind (a page with
    JavaScript shows them as the resident types), they are shown first; then the tracking code."""
    lang = resident_language(request)
    form = await request.form()
    given = {k: v[:8001] for k, v in form.items() if isinstance(v, str)}  # longer: "too long", at its field
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), given.get("csrf")):
        return await _form(request, ReportAnswers.of(given), status_code=403, refusal=refusal_words(
            "csrf_failed", "the page was stale: please try again", lang))
    kept = tuple(p for p in form.getlist("photo_ids") if isinstance(p, str) and p)[:MAX_PHOTOS_PER_REPORT + 1]
    # A file input left empty still sends a part, with no file name: not a photo.
    fresh = [p for p in form.getlist("photos") if isinstance(p, StarletteUpload) and p.filename]
    key = str(given.get("idempotency_key") or "")[:64] or None
    if len(kept) + len(fresh) > MAX_PHOTOS_PER_REPORT:
        return await _form(request, ReportAnswers.of(given, kept), status_code=422, idempotency_key=key,
                           wrong={"photos": field_words("too_many_photos", lang)})
    uploaded, refused = await _upload(request, fresh, lang)
    answers = ReportAnswers.of(given, kept + tuple(uploaded))
    if refused is not None:
        return await _form(request, answers, status_code=422, wrong={"photos": refused["message"]},
                           idempotency_key=key)
    wrong = wrong_answers(answers)
    if wrong:
        return await _form(request, answers, status_code=422, idempotency_key=key,
                           wrong={f: field_words(code, lang) for f, code in wrong.items()})
    if not answers.co_report_of and given.get("confirmed") != "1":
        nearby = await _nearby(request, answers, lang)
        if nearby:
            return await _form(request, answers, nearby=nearby, idempotency_key=key)
    sent = await _intake(request, "POST", "/v1/reports", lang, json=intake_body(answers), idempotency_key=key)
    if not sent.ok:
        refusal = owner_refusal(sent, lang)
        at = FORM_FIELD.get(refusal.get("field") or "")
        response = await _form(request, answers, status_code=sent.status if sent.status < 500 else 503,
                               wrong={at: refusal["message"]} if at else None, refusal=None if at else refusal,
                               idempotency_key=key)
        if sent.retry_after:
            response.headers["Retry-After"] = sent.retry_after
        return response
    code, joined = sent.body["tracking_code"], sent.body.get("linked_to_existing_case")
    told = "1" if not answers.anonymous else "0"
    return RedirectResponse(f"/report/sent/{code}?sms={told}&joined={'1' if joined else '0'}", status_code=303)


@router.get("/report/sent/{tracking_code}", response_class=HTMLResponse)
async def report_sent(request: Request, tracking_code: Code, sms: Annotated[str, Query(max_length=1)] = "0",
                      joined: Annotated[str, Query(max_length=1)] = "0") -> HTMLResponse:
    """The answer: the tracking code (also sent by SMS to a resident who left a mobile) and where to follow it."""
    return resident_page(request, "report_sent.html", code=tracking_code, sms=sms == "1",
                joined=joined == "1")


# --- what the page's script asks as the resident types (the same owners, the same limits) ------------------------

class TypedText(BaseModel):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


@router.post("/report/classify")
async def suggest_category(request: Request, body: TypedText, session: ReadSession) -> JSONResponse:
    """The sub-item the classifier reads in what was typed, with its name in the reader's language (from the names
    the console keeps: no second question to intake as the resident types)."""
    lang = resident_language(request)
    answer = await _intake(request, "POST", "/v1/classify", lang, json={"text": body.text})
    if not answer.ok or not answer.body.get("category"):
        return JSONResponse({"category": None}, status_code=200 if answer.ok else answer.status)
    names = await kept_names(session)
    return JSONResponse({"category": answer.body["category"], "name": names.category(answer.body["category"], lang),
                         "confidence": answer.body["confidence"]})


@router.get("/report/addresses")
async def suggest_addresses(request: Request, q: Annotated[str, Query(min_length=1, max_length=100)]) -> JSONResponse:
    answer = await _intake(request, "GET", "/v1/addresses", resident_language(request), params={"q": q})
    return JSONResponse(answer.body if answer.ok else [], status_code=200 if answer.ok else answer.status)


@router.get("/report/nearby")
async def nearby_cases(request: Request, lat: Annotated[float, Query(ge=-90, le=90)],
                       lon: Annotated[float, Query(ge=-180, le=180)],
                       category: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9-]+$")] = None
                       ) -> HTMLResponse:
    """The nearby open cases as the form's list draws them (HTML, so the page and its script draw one list)."""
    lang = resident_language(request)
    return resident_page(request, "report_nearby.html", nearby=await nearby_at(request, (lat, lon), category, lang))


@router.get("/report/map")
async def report_map(request: Request, session: ReadSession) -> Response:
    """The jurisdiction's streets and grids as GeoJSON, with their names: the map a resident taps (no cases)."""
    lang, names = resident_language(request), await kept_names(session)
    s = tables.area_shapes.c
    shapes = (await session.execute(select(s.area_id, s.level, s.polygon).where(s.level.in_(("street", "grid"))))).all()
    return JSONResponse({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": r.polygon, "properties": {"id": r.area_id, "level": r.level,
                                                                  "name": names.area(r.area_id, lang)}}
        for r in shapes]}, headers={"Cache-Control": "public, max-age=300"})
