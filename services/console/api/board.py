"""The linkage centre's board: counts by state, the open cases of the user's scope with filters, the map of the
jurisdiction's grids with the open cases coloured by clock state, and the stream that keeps it live."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from sqlalchemy import select

from services.console.adapters import queries, tables
from services.console.adapters.live import BOARD_WATCH
from services.console.api.rendering import page, shown_time, to_sign_in, visible_cases
from services.console.api.session import CurrentUser, StreamUser, language
from services.console.domain.board import BUCKET_NAMES, BUCKETS, buckets_of
from shared.auth import Role
from shared.http.dependencies import ReadSession
from shared.local_time import LOCAL_ZONE
from shared.reference.keeping import names as kept_names
from shared.reference.labels import LABELS, label

router = APIRouter(include_in_schema=False)
AreaId = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


#: Cases a board page lists (the counts above it cover them all).
PAGE_SIZE = 100


def _page_link(request: Request, number: int) -> str:
    """The same board, with the same filters, at another page of its list."""
    asked = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return "/board?" + urlencode([*asked, *([("page", str(number))] if number > 1 else [])])


def case_row(r: dict, names, lang: str) -> dict:
    """A case as a list shows it: by name, in the reader's language and time."""
    return dict(
        tracking_code=r["tracking_code"] or "", category=names.category(r["category_code"], lang),
        place=names.place({k: r[k] for k in ("street_id", "community_id", "grid_id")}, lang),
        unit=names.unit(r["unit_id"], lang) if r["unit_id"] else "", status=label("state", r["status"], lang),
        urgent=r["urgent"], clock=r["clock_state"], channel=label("channel", r["channel"], lang) if r["channel"] else "",
        states=[BUCKET_NAMES[b][lang == "en"] for b in buckets_of(r)], reported=shown_time(r["reported_at"],
                                                                                           "%m-%d %H:%M"))


@router.get("/board", response_class=HTMLResponse)
async def board(request: Request, user: CurrentUser, session: ReadSession,
                state: Annotated[Literal[BUCKETS] | None, Query()] = None,  # type: ignore[valid-type]
                street: AreaId = None, community: AreaId = None,
                category: Annotated[str | None, Query(max_length=64)] = None, unit: AreaId = None,
                channel: Annotated[Literal[tuple(LABELS["channel"])] | None, Query()] = None,  # type: ignore
                urgent: Annotated[bool | None, Query()] = None,
                clock: Annotated[Literal["running", "warned", "breached"] | None, Query()] = None,
                page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1) -> Response:
    if user is None:
        return to_sign_in(request)
    lang, names = language(request), await kept_names(session)
    visible = visible_cases(user.account)
    today = datetime.now(LOCAL_ZONE).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    filters = {"street": street, "community": community, "category": category, "unit": unit, "channel": channel}
    account = user.account
    tally = await queries.KEPT_COUNTS.counts(session, (account.role is Role.UNIT_STAFF and account.unit_id,
                                                       account.scope), visible, today)
    rows = await queries.board_cases(session, visible, state=state, filters=filters, urgent=urgent, clock=clock,
                                     limit=PAGE_SIZE + 1, offset=(page_number - 1) * PAGE_SIZE)
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    scope = user.account.scope
    streets = names.listed("area", lang, level="street", under=scope)
    communities = [(a, n) for a, n in names.listed("area", lang, level="community", under=scope)
                   if street is None or names.area_path(a)[1:2] == (street,)]
    return page(request, "board.html", user=user.account, csrf=user.csrf_token, district=names.district(lang),
                buckets=[(b, BUCKET_NAMES[b][lang == "en"], tally[b]) for b in BUCKETS],
                cases=[case_row(r, names, lang) for r in rows], first=(page_number - 1) * PAGE_SIZE + 1,
                earlier=_page_link(request, page_number - 1) if page_number > 1 else None,
                later=_page_link(request, page_number + 1) if more else None, today=tally["today"], open_count=tally["open"],
                state=state, now=shown_time(datetime.now(UTC)), chosen={**filters, "urgent": urgent, "clock": clock},
                streets=streets, communities=communities, categories=names.listed("category", lang),
                units=names.listed("unit", lang), channels=[(c, w[lang == "en"]) for c, w in LABELS["channel"].items()])


@router.get("/board/map")
async def board_map(request: Request, user: CurrentUser, session: ReadSession,
                    cases: Annotated[bool, Query(description="with the open cases (false: the grids only)")] = True
                    ) -> Response:
    """The map's data as GeoJSON: the grids of the user's scope (with their names) and its open cases as points,
    each with its clock state."""
    if user is None:
        return JSONResponse({"code": "unauthenticated"}, status_code=401)
    lang, names = language(request), await kept_names(session)
    s = tables.area_shapes.c
    shapes = (await session.execute(select(tables.area_shapes).where(s.level.in_(("street", "grid"))))).all()
    mine = {area for area, _ in names.listed("area", under=user.account.scope)}
    areas = [{"type": "Feature", "geometry": r.polygon, "properties": {
        "id": r.area_id, "level": r.level, "name": names.area(r.area_id, lang)}} for r in shapes if r.area_id in mine]
    points = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]}, "properties": {
        "code": c["tracking_code"], "clock": c["clock_state"] or "running",
        "category": names.category(c["category_code"], lang), "status": label("state", c["status"], lang)}}
        for c in (await queries.map_cases(session, visible_cases(user.account)) if cases else [])]
    return JSONResponse({"type": "FeatureCollection", "features": areas + points},
                        headers={"Cache-Control": "no-store"})


@router.get("/board/stream")
async def board_stream(request: Request, user: StreamUser) -> Response:
    """Server-sent events: ``board`` each time the read model changes (within a second), a comment every 15 s."""
    if user is None:
        return to_sign_in(request)
    queue = BOARD_WATCH.listen(request.app.state.runtime.uow.sessionmaker)

    async def events():
        try:
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                try:
                    changed = await asyncio.wait_for(queue.get(), timeout=15)
                    yield f"event: board\ndata: {changed.isoformat()}\n\n"
                except TimeoutError:
                    yield ": still here\n\n"
        finally:
            BOARD_WATCH.leave(queue)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

