"""What Open311 clients read: discovery, the services (sub-items) and their attributes, service requests (cases,
as a public list may show them) by id, service, dates and status, and the updates on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree, ground
from services.intake.api.open311.wire import (
    DEFAULT_LIMIT,
    ExtendedStatus,
    Open311Error,
    RequestStatus,
    answer,
    check_jurisdiction,
    date_param,
    format_of,
    iso,
    page_of,
    param,
    router,
)
from services.intake.domain.cases import CaseStatus, normalise_tracking_code
from services.intake.domain.categories import UnknownCategory
from services.intake.domain.reference import CategoryTree
from shared.masking import mask_personal_text

MAX_WINDOW = timedelta(days=90)
# Timeline kinds on the extended statuses.
_EXTENDED = {"received": ExtendedStatus.OPEN, "triage": ExtendedStatus.FOR_TRIAGE,
             "dispatched": ExtendedStatus.IN_PROGRESS, "completed": ExtendedStatus.FIXED,
             "co_reported": ExtendedStatus.OPEN, "evaluated": ExtendedStatus.CLOSED}


def _service(tree: CategoryTree, code: str) -> dict:
    category = tree.categories[code]
    group = tree.classes.get(category.class_code, (category.class_code, category.class_code))
    return {"service_code": category.service_code, "service_name": category.name_zh,
            "description": f"{category.name_zh} / {category.name_en}", "metadata": bool(category.attributes),
            "type": "realtime", "keywords": ",".join(category.keywords), "group": group[0]}


@router.get("/discovery.{fmt}", response_class=Response, summary="Discovery: where the endpoint is and what it speaks")
async def discovery(request: Request, fmt: str) -> Response:
    fmt = format_of(fmt)
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    payload = {"changeset": "2026-11-22T00:00:00Z", "contact": "linkage centre hotline 962347",
               "key_service": "ask the linkage centre for an api_key (gridlink apikey create NAME)",
               "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                              "changeset": "2026-11-22T00:00:00Z", "type": "production",
                              "formats": ["application/json", "text/xml"]}]}
    return answer(fmt, payload, root="discovery", item=None)


@router.get("/services.{fmt}", response_class=Response, summary="Service list: the sub-items of the category tree")
async def services(request: Request, fmt: str) -> Response:
    fmt = format_of(fmt)
    check_jurisdiction(request, request.query_params)
    async with request.app.state.runtime.uow.sessionmaker() as session:
        tree = await category_tree.get(session)
    codes = sorted(tree.active, key=lambda c: tree.categories[c].service_code)
    return answer(fmt, [_service(tree, code) for code in codes], root="services", item="service")


@router.get("/services/{service_code}.{fmt}", response_class=Response,
            summary="Service definition: the attributes asked with reports of one sub-item")
async def service_definition(request: Request, service_code: str, fmt: str) -> Response:
    fmt = format_of(fmt)
    check_jurisdiction(request, request.query_params)
    async with request.app.state.runtime.uow.sessionmaker() as session:
        tree = await category_tree.get(session)
    try:
        category = tree.by_service_code(service_code)
    except UnknownCategory:
        raise Open311Error(404, "unknown_service_code", "no service has this code", "service_code") from None
    attributes = [{"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
                   "datatype_description": "", "order": a.order, "description": a.description,
                   "values": [{"key": k, "name": n} for k, n in a.values]}
                  for a in sorted(category.attributes, key=lambda a: a.order)]
    return answer(fmt, {"service_code": category.service_code, "attributes": attributes}, root="service_definition",
                  item=None)


async def _request_views(request: Request, where, *, limit: int, offset: int = 0) -> list[dict]:
    c, cat, rp = tables.cases.c, tables.categories.c, tables.reports.c
    extensions = (request.query_params.get("extensions") or "").lower() == "true"
    media_url = (select(rp.media_url).where(rp.case_id == c.id, rp.role == "primary").limit(1)
                 .scalar_subquery().label("media_url"))
    async with request.app.state.runtime.uow.sessionmaker() as session:
        rows = (await session.execute(
            select(tables.cases, cat.name_zh, cat.service_code, media_url)
            .join(tables.categories, (cat.code == c.category_code) & (cat.version == c.category_version))
            .where(*where).order_by(c.reported_at.desc(), c.id).limit(limit).offset(offset))).all()
        places = await ground.get(session)
    views = []
    for row in rows:
        status = RequestStatus.CLOSED if row.status == CaseStatus.COMPLETED else RequestStatus.OPEN
        notes = {"received": "待派发", "dispatched": "办理中", "completed": "已办结"}.get(row.status, row.status)
        if row.needs_triage:
            notes = "分类确认中"
        area = places.map.path_of(row.grid_id)
        view = {
            "service_request_id": row.tracking_code, "status": status, "status_notes": notes,
            "service_name": row.name_zh, "service_code": row.service_code,
            "description": mask_personal_text(row.description), "agency_responsible": row.unit_name,
            "service_notice": None, "requested_datetime": iso(row.reported_at), "updated_datetime": iso(row.updated_at),
            "expected_datetime": iso(row.expected_at),
            "address": places.map.name_of(area.street_id) + places.map.name_of(area.community_id),
            "address_id": None, "zipcode": None, "lat": round(row.lat, 3), "long": round(row.lon, 3),
            "media_url": row.media_url}
        if extensions:
            view["extended_attributes"] = {"channel": row.channel, "duplicate": row.residents_affected > 1,
                                           "residents_affected": row.residents_affected,
                                           "parent_service_request_id": None}
        views.append(view)
    return views


@router.get("/requests.{fmt}", response_class=Response,
            summary="Service requests, filtered by id, service, dates and status; paged")
async def list_requests(request: Request, fmt: str) -> Response:
    fmt = format_of(fmt)
    q = request.query_params
    check_jurisdiction(request, q)
    c = tables.cases.c
    page, size = page_of(q)
    ids = param(q, "service_request_id")
    if ids is not None:
        codes = [normalise_tracking_code(x) for x in ids.split(",") if x.strip()]
        views = await _request_views(request, [c.tracking_code.in_([x for x in codes if x])], limit=DEFAULT_LIMIT)
        return answer(fmt, views, root="service_requests", item="request")
    where = []
    codes = param(q, "service_code")
    if codes is not None:
        async with request.app.state.runtime.uow.sessionmaker() as session:
            tree = await category_tree.get(session)
        wanted = {x.strip() for x in codes.split(",") if x.strip()}
        where.append(c.category_code.in_([x.code for x in tree.categories.values() if x.service_code in wanted]))
    start, end = date_param(q, "start_date"), date_param(q, "end_date")
    now = datetime.now(UTC)
    if start and end and end - start > MAX_WINDOW:
        raise Open311Error(400, "window_too_long", "start_date and end_date may be at most 90 days apart", "end_date")
    if start and end and end < start:
        raise Open311Error(400, "invalid_date", "end_date is before start_date", "end_date")
    end = end or (start + MAX_WINDOW if start else now)
    start = start or end - MAX_WINDOW
    where += [c.reported_at >= start, c.reported_at <= end]
    state = param(q, "status")
    if state is not None:
        wanted = {x.strip() for x in state.split(",")}
        if not wanted <= set(RequestStatus):
            raise Open311Error(400, "invalid_field", "status is open or closed", "status")
        if wanted == {RequestStatus.OPEN}:
            where.append(c.status != CaseStatus.COMPLETED)
        elif wanted == {RequestStatus.CLOSED}:
            where.append(c.status == CaseStatus.COMPLETED)
    views = await _request_views(request, where, limit=size, offset=(page - 1) * size)
    return answer(fmt, views, root="service_requests", item="request")


@router.get("/requests/{service_request_id}.{fmt}", response_class=Response, summary="One service request")
async def one_request(request: Request, service_request_id: str, fmt: str) -> Response:
    fmt = format_of(fmt)
    check_jurisdiction(request, request.query_params)
    code = normalise_tracking_code(service_request_id)
    views = await _request_views(request, [tables.cases.c.tracking_code == code], limit=1) if code else []
    if not views:
        raise Open311Error(404, "unknown_request", "no request has this id", "service_request_id")
    return answer(fmt, views, root="service_requests", item="request")


@router.get("/servicerequestupdates.{fmt}", response_class=Response,
            summary="Updates on requests between two dates (mySociety's extension), with the extended statuses")
async def updates(request: Request, fmt: str) -> Response:
    fmt = format_of(fmt)
    q = request.query_params
    check_jurisdiction(request, q)
    now = datetime.now(UTC)
    start, end = date_param(q, "start_date"), date_param(q, "end_date")
    # A start alone asks for what followed it: up to 90 days (as GET requests does), not past now.
    end = end or (min(start + MAX_WINDOW, now) if start else now)
    start = start or end - timedelta(days=7)
    if end - start > MAX_WINDOW or end < start:
        raise Open311Error(400, "window_too_long", "the window must be at most 90 days, start before end", "start_date")
    page, size = page_of(q)
    t, c = tables.timeline.c, tables.cases.c
    async with request.app.state.runtime.uow.sessionmaker() as session:
        rows = (await session.execute(
            select(t.id, t.at, t.kind, t.text_zh, c.tracking_code)
            .join(tables.cases, c.id == t.case_id).where(t.at >= start, t.at <= end)
            .order_by(t.at, t.id).limit(size).offset((page - 1) * size))).all()
    told = [{"update_id": str(r.id), "service_request_id": r.tracking_code,
             "status": _EXTENDED.get(r.kind, ExtendedStatus.OPEN), "updated_datetime": iso(r.at), "description": mask_personal_text(r.text_zh), "media_url": None}
            for r in rows]
    return answer(fmt, told, root="service_request_updates", item="request_update")
