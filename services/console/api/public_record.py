"""The public record on the residents' site: the mirror wall (received, completed, on time and satisfied by sub-item
and street), the recent cases anonymised with the units' answers (in a street, if chosen), and each week's bulletin.
Supervision owns all of it and publishes it without personal data; the console draws it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from services.console.api.rendering import owners, resident_language, resident_page
from shared.http.dependencies import ReadSession
from shared.http.rate_limits import client_address
from shared.reference.keeping import names as kept_names

router = APIRouter(include_in_schema=False)
Week = Annotated[str, PathParam(pattern=r"^20\d\d-W\d\d$")]


async def _published(request: Request, path: str, params: dict | None = None, lang: str = "zh"):
    answer = await owners(request).call_public("supervision", "GET", path, params=params, language=lang,
                                               resident_address=client_address(request))
    return answer.body if answer.ok else None


@router.get("/public", response_class=HTMLResponse)
async def public_record(request: Request, session: ReadSession,
                        street: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9-]+$")] = None,
                        status: Annotated[str | None, Query(pattern=r"^(handling|completed|explained)$")] = None
                        ) -> HTMLResponse:
    """The month's mirror wall, the latest cases (of a street, in a state), and the bulletins."""
    lang = resident_language(request)
    names = await kept_names(session)
    wall = await _published(request, "/v1/public/mirror-wall", lang=lang)
    cases = await _published(request, "/v1/public/mirror-wall/cases", {
        "limit": 30, **({"street": street} if street else {}), **({"status": status} if status else {})}, lang)
    bulletins = await _published(request, "/v1/public/bulletins", lang=lang)
    return resident_page(request, "public.html", wall=wall, cases=cases, bulletins=bulletins,
                         streets=names.listed("area", lang, level="street"), street=street or "", status=status or "",
                         unavailable=wall is None or cases is None)


@router.get("/public/bulletins/{week}.pdf")
async def bulletin_pdf(request: Request, week: Week) -> Response:
    """A week's bulletin as supervision published it (PDF, its Chinese font embedded)."""
    found = await owners(request).fetch_public("supervision", f"/v1/public/bulletins/{week}.pdf")
    if found is None:
        return resident_page(request, "public_not_found.html", 404)
    return Response(found.content, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="bulletin-{week}.pdf"', "Cache-Control": "public, max-age=300"})
