"""Open311 GeoReport v2 under /open311/v2/: discovery, services, requests, tokens, updates; JSON and XML.

Errors are the spec's: HTTP 404 (unknown resource or jurisdiction), 403 (missing or wrong api_key), 400 (anything
else), the body a list of ``{code, description}`` where the code is the HTTP status and the description starts with
gridlink's stable error code and the parameter at fault. Requests are cases; ``service_request_id`` is the tracking
code. What is published is what a public list may show: numbers in the text masked, the place to about 100 m, the
community rather than the home address.
"""

from __future__ import annotations

import inspect
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree, ground
from services.intake.api.context import settings_of
from services.intake.commands.reports import submit_report
from services.intake.domain.cases import national_mobile, normalise_tracking_code
from services.intake.domain.categories import UnknownCategory
from services.intake.domain.reference import CategoryTree
from services.intake.domain.reports import MAX_DESCRIPTION, ReportDraft
from shared.credentials import credential_hash
from shared.events import Channel
from shared.masking import mask_numbers_in_text
from shared.refusals import Refused

router = APIRouter(prefix="/open311/v2", tags=["open311"])
FORMATS = {"json", "xml"}
MAX_WINDOW = timedelta(days=90)
DEFAULT_LIMIT = 1000
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
# Case status and timeline kinds on the widely used extended statuses (mySociety's servicerequestupdates).
_EXTENDED = {"received": "OPEN", "triage": "FOR_TRIAGE", "dispatched": "IN_PROGRESS", "completed": "FIXED",
             "co_reported": "OPEN", "evaluated": "CLOSED"}
_SINGULAR = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
             "service_request_updates": "request_update", "errors": "error"}


class Open311Error(Exception):
    def __init__(self, status: int, code: str, description: str, field: str | None = None):
        super().__init__(description)
        self.status = status
        self.description = f"{code}{f' ({field})' if field else ''}: {description}"


def _xml(root: str, item: str | None, payload) -> bytes:
    def fill(element: ET.Element, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, list):
                    wrapper = ET.SubElement(element, key)
                    for entry in inner:
                        fill(ET.SubElement(wrapper, _SINGULAR.get(key, "item")), entry)
                else:
                    fill(ET.SubElement(element, key), inner)
        elif isinstance(value, bool):
            element.text = "true" if value else "false"
        elif value is not None:
            element.text = str(value)

    top = ET.Element(root)
    if item is None:
        fill(top, payload)
    else:
        for entry in payload:
            fill(ET.SubElement(top, item), entry)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _answer(fmt: str, payload, *, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, payload), status_code=status, media_type="text/xml; charset=utf-8")
    return JSONResponse(payload, status_code=status)


def _error(fmt: str, exc: Open311Error) -> Response:
    body = [{"code": exc.status, "description": exc.description}]
    return _answer(fmt if fmt in FORMATS else "json", body, root="errors", item="error", status=exc.status)


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, "unknown_format", "formats are json and xml", "format")
    return fmt


def _param(values, name: str) -> str | None:
    """Empty and absent are the same answer, as the spec asks."""
    value = values.get(name)
    return value.strip() if value and value.strip() else None


def _jurisdiction(request: Request, values) -> None:
    given = _param(values, "jurisdiction_id")
    if given is not None and given != settings_of(request).jurisdiction_id:
        raise Open311Error(404, "unknown_jurisdiction", "this endpoint does not serve that jurisdiction",
                           "jurisdiction_id")


def _date(values, name: str) -> datetime | None:
    raw = _param(values, name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, "invalid_date", "dates are ISO 8601 with a zone", name) from None
    if value.tzinfo is None:
        raise Open311Error(400, "invalid_date", "dates are ISO 8601 with a zone", name)
    return value


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _service(tree: CategoryTree, code: str) -> dict:
    category = tree.categories[code]
    group = tree.classes.get(category.class_code, (category.class_code, category.class_code))
    return {"service_code": category.service_code, "service_name": category.name_zh,
            "description": f"{category.name_zh} / {category.name_en}", "metadata": bool(category.attributes),
            "type": "realtime", "keywords": ",".join(category.keywords), "group": group[0]}


def open311_route(path: str, *, methods=("GET",), root: str, item: str | None):
    """A route whose failures are answered in the spec's error shape and the requested format."""

    def register(handler):
        async def endpoint(request: Request, fmt: str, **params):
            try:
                _format(fmt)
                payload, status = await handler(request, **params)
            except Open311Error as exc:
                return _error(fmt, exc)
            except Refused as exc:
                return _error(fmt, Open311Error(404 if exc.status == 404 else 400, exc.code, exc.message, exc.field))
            return _answer(fmt, payload, root=root, item=item, status=status)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        endpoint.__signature__ = _signature(path)
        router.add_api_route(path, endpoint, methods=list(methods), summary=handler.__doc__,
                             response_class=Response)
        return handler

    return register


def _signature(path: str):
    names = re.findall(r"{(\w+)}", path)
    parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    parameters += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=str) for n in names]
    return inspect.Signature(parameters)


@open311_route("/discovery.{fmt}", root="discovery", item=None)
async def discovery(request: Request):
    """Discovery: where the endpoint is and what it speaks"""
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    return {"changeset": "2026-11-22T00:00:00Z", "contact": "linkage centre hotline 962347",
            "key_service": "ask the linkage centre for an api_key (gridlink apikey create NAME)",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                           "changeset": "2026-11-22T00:00:00Z", "type": "production",
                           "formats": ["application/json", "text/xml"]}]}, 200


@open311_route("/services.{fmt}", root="services", item="service")
async def services(request: Request):
    """Service list: the sub-items of the category tree"""
    _jurisdiction(request, request.query_params)
    async with request.app.state.runtime.uow.sessionmaker() as session:
        tree = await category_tree.get(session)
    codes = sorted(tree.active, key=lambda c: tree.categories[c].service_code)
    return [_service(tree, code) for code in codes], 200


@open311_route("/services/{service_code}.{fmt}", root="service_definition", item=None)
async def service_definition(request: Request, service_code: str):
    """Service definition: the attributes asked with reports of one sub-item"""
    _jurisdiction(request, request.query_params)
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
    return {"service_code": category.service_code, "attributes": attributes}, 200


@open311_route("/requests.{fmt}", methods=("POST",), root="service_requests", item="request")
async def create_request(request: Request):
    """Create a service request (form-encoded, api_key required)"""
    form = await request.form()
    _jurisdiction(request, form)
    api_key = _param(form, "api_key")
    if api_key is None:
        raise Open311Error(403, "missing_api_key", "an api_key is required to create a request", "api_key")
    runtime = request.app.state.runtime
    async with runtime.uow.sessionmaker() as session:
        known = await session.scalar(select(tables.api_keys.c.id).where(
            tables.api_keys.c.key_hash == credential_hash(api_key), tables.api_keys.c.revoked_at.is_(None)))
        if known is None:
            raise Open311Error(403, "invalid_api_key", "the api_key is not valid", "api_key")
        tree = await category_tree.get(session)
    service_code = _param(form, "service_code")
    if service_code is None:
        raise Open311Error(400, "missing_field", "service_code is required", "service_code")
    try:
        category = tree.by_service_code(service_code)
    except UnknownCategory:
        raise Open311Error(400, "unknown_service_code", "no service has this code", "service_code") from None
    description = _param(form, "description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, "too_long", f"description may be at most {MAX_DESCRIPTION} characters", "description")
    lat, lon = _param(form, "lat"), _param(form, "long")
    if (lat is None) != (lon is None):
        raise Open311Error(400, "missing_field", "lat and long go together", "long" if lon is None else "lat")
    try:
        point = (float(lat), float(lon)) if lat is not None else None
    except ValueError:
        raise Open311Error(400, "invalid_field", "lat and long must be numbers", "lat") from None
    if point and not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        raise Open311Error(400, "out_of_range", "lat or long is out of range", "lat")
    address, address_id = _param(form, "address_string"), _param(form, "address_id")
    if point is None and address is None and address_id is None:
        raise Open311Error(400, "missing_location", "give lat and long, address_string or address_id", "lat")
    phone = _param(form, "phone")
    if phone is not None:
        phone = national_mobile(phone)
        if phone is None:
            raise Open311Error(400, "invalid_phone", "phone must be a mainland mobile number", "phone")
    attributes: dict[str, str | list[str]] = {}
    for key in form.keys():
        match = _ATTRIBUTE.match(key)
        if match:
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            attributes[match.group(1)] = values if match.group(2) else (values[-1] if values else "")
    media_url = _param(form, "media_url")
    if media_url is not None:
        target = urlsplit(media_url)
        if len(media_url) > 2000 or target.scheme not in ("http", "https") or not target.hostname:
            raise Open311Error(400, "invalid_field", "media_url must be an http(s) URL of at most 2000 characters",
                               "media_url")
    name = " ".join(p for p in (_param(form, "last_name"), _param(form, "first_name")) if p) or None
    if name and len(name) > 50:
        raise Open311Error(400, "too_long", "the name may be at most 50 characters", "first_name")
    draft = ReportDraft(channel=Channel.OPEN311, description=description or category.name_zh,
                        category_code=category.code, lat=point[0] if point else None,
                        lon=point[1] if point else None, address=address, address_id=address_id,
                        name=name if phone else None, phone=phone, anonymous=phone is None, attributes=attributes,
                        channel_detail=str(known), media_url=media_url)
    async with runtime.uow(correlation_id=request.scope["state"].get("correlation_id")) as uow:
        outcome = await submit_report(uow, draft, settings_of(request).policy())
    notice = "已合并至已有工单" if outcome.linked else "已受理"
    return [{"service_request_id": outcome.tracking_code, "token": str(outcome.report_id), "service_notice": notice,
             "account_id": _param(form, "account_id")}], 201


@open311_route("/tokens/{token}.{fmt}", root="service_requests", item="request")
async def token(request: Request, token: str):
    """The service request id behind a token"""
    try:
        report_id = UUID(token)
    except ValueError:
        raise Open311Error(404, "unknown_token", "no request has this token", "token") from None
    rp, c = tables.reports.c, tables.cases.c
    async with request.app.state.runtime.uow.sessionmaker() as session:
        code = await session.scalar(select(c.tracking_code).join(tables.reports, rp.case_id == c.id)
                                    .where(rp.id == report_id))
    if code is None:
        raise Open311Error(404, "unknown_token", "no request has this token", "token")
    return [{"service_request_id": code, "token": token}], 200


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
        status = "closed" if row.status == "completed" else "open"
        notes = {"received": "待派发", "dispatched": "办理中", "completed": "已办结"}.get(row.status, row.status)
        if row.needs_triage:
            notes = "分类确认中"
        area = places.map.path_of(row.grid_id)
        view = {
            "service_request_id": row.tracking_code, "status": status, "status_notes": notes,
            "service_name": row.name_zh, "service_code": row.service_code,
            "description": mask_numbers_in_text(row.description), "agency_responsible": row.unit_name,
            "service_notice": None, "requested_datetime": _iso(row.reported_at), "updated_datetime": _iso(row.updated_at),
            "expected_datetime": _iso(row.expected_at),
            "address": places.map.name_of(area.street_id) + places.map.name_of(area.community_id),
            "address_id": None, "zipcode": None, "lat": round(row.lat, 3), "long": round(row.lon, 3),
            "media_url": row.media_url}
        if extensions:
            view["extended_attributes"] = {"channel": row.channel, "duplicate": row.residents_affected > 1,
                                           "residents_affected": row.residents_affected,
                                           "parent_service_request_id": None}
        views.append(view)
    return views


def _page(values) -> tuple[int, int]:
    def number(name: str, default: int, top: int) -> int:
        raw = _param(values, name)
        if raw is None:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            raise Open311Error(400, "invalid_field", f"{name} must be a whole number from 1 to {top}", name)
        return int(raw)

    return number("page", 1, 1_000_000), number("page_size", DEFAULT_LIMIT, DEFAULT_LIMIT)


@open311_route("/requests.{fmt}", root="service_requests", item="request")
async def list_requests(request: Request):
    """Service requests, filtered by id, service, dates and status; paged"""
    q = request.query_params
    _jurisdiction(request, q)
    c = tables.cases.c
    page, size = _page(q)
    ids = _param(q, "service_request_id")
    if ids is not None:
        codes = [normalise_tracking_code(x) for x in ids.split(",") if x.strip()]
        return await _request_views(request, [c.tracking_code.in_([x for x in codes if x])], limit=DEFAULT_LIMIT), 200
    where = []
    codes = _param(q, "service_code")
    if codes is not None:
        async with request.app.state.runtime.uow.sessionmaker() as session:
            tree = await category_tree.get(session)
        wanted = {x.strip() for x in codes.split(",") if x.strip()}
        where.append(c.category_code.in_([x.code for x in tree.categories.values() if x.service_code in wanted]))
    start, end = _date(q, "start_date"), _date(q, "end_date")
    now = datetime.now(UTC)
    if start and end and end - start > MAX_WINDOW:
        raise Open311Error(400, "window_too_long", "start_date and end_date may be at most 90 days apart", "end_date")
    if start and end and end < start:
        raise Open311Error(400, "invalid_date", "end_date is before start_date", "end_date")
    end = end or (start + MAX_WINDOW if start else now)
    start = start or end - MAX_WINDOW
    where += [c.reported_at >= start, c.reported_at <= end]
    state = _param(q, "status")
    if state is not None:
        wanted = {x.strip() for x in state.split(",")}
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, "invalid_field", "status is open or closed", "status")
        if wanted == {"open"}:
            where.append(c.status != "completed")
        elif wanted == {"closed"}:
            where.append(c.status == "completed")
    return await _request_views(request, where, limit=size, offset=(page - 1) * size), 200


@open311_route("/requests/{service_request_id}.{fmt}", root="service_requests", item="request")
async def one_request(request: Request, service_request_id: str):
    """One service request"""
    _jurisdiction(request, request.query_params)
    code = normalise_tracking_code(service_request_id)
    views = await _request_views(request, [tables.cases.c.tracking_code == code], limit=1) if code else []
    if not views:
        raise Open311Error(404, "unknown_request", "no request has this id", "service_request_id")
    return views, 200


@open311_route("/servicerequestupdates.{fmt}", root="service_request_updates", item="request_update")
async def updates(request: Request):
    """Updates on requests between two dates (mySociety's extension), with the extended statuses"""
    q = request.query_params
    _jurisdiction(request, q)
    now = datetime.now(UTC)
    start, end = _date(q, "start_date"), _date(q, "end_date")
    end = end or now
    start = start or end - timedelta(days=7)
    if end - start > MAX_WINDOW or end < start:
        raise Open311Error(400, "window_too_long", "the window must be at most 90 days, start before end", "start_date")
    page, size = _page(q)
    t, c = tables.timeline.c, tables.cases.c
    async with request.app.state.runtime.uow.sessionmaker() as session:
        rows = (await session.execute(
            select(t.id, t.at, t.kind, t.text_zh, c.tracking_code)
            .join(tables.cases, c.id == t.case_id).where(t.at >= start, t.at <= end)
            .order_by(t.at, t.id).limit(size).offset((page - 1) * size))).all()
    return [{"update_id": str(r.id), "service_request_id": r.tracking_code, "status": _EXTENDED.get(r.kind, "OPEN"),
             "updated_datetime": _iso(r.at), "description": mask_numbers_in_text(r.text_zh), "media_url": None}
            for r in rows], 200

