"""What Open311 clients send: a new service request (form-encoded, with an api_key), and the request behind the
token its answer gave."""

from __future__ import annotations

from urllib.parse import urlsplit
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree
from services.intake.api.context import keeping_refused, settings_of
from services.intake.api.open311.wire import (
    ATTRIBUTE,
    Open311Error,
    answer,
    check_jurisdiction,
    format_of,
    param,
    router,
)
from services.intake.commands.reports import submit_report
from services.intake.domain.cases import national_phone
from services.intake.domain.categories import UnknownCategory
from services.intake.domain.reports import MAX_DESCRIPTION, ReportDraft
from shared.credentials import credential_hash
from shared.events import Channel
from shared.http.rate_limits import RateLimits


@router.post("/requests.{fmt}", response_class=Response, summary="Create a service request (form-encoded, api_key "
             "required)")
async def create_request(request: Request, fmt: str) -> Response:
    fmt = format_of(fmt)
    form = await request.form()
    check_jurisdiction(request, form)
    api_key = param(form, "api_key")
    if api_key is None:
        raise Open311Error(403, "missing_api_key", "an api_key is required to create a request", "api_key")
    runtime = request.app.state.runtime
    async with runtime.uow.sessionmaker() as session:
        known = await session.scalar(select(tables.api_keys.c.id).where(
            tables.api_keys.c.key_hash == credential_hash(api_key), tables.api_keys.c.revoked_at.is_(None)))
        if known is None:
            raise Open311Error(403, "invalid_api_key", "the api_key is not valid", "api_key")
        tree = await category_tree.get(session)
    limits: RateLimits = request.app.state.rate_limits
    limits.hit("open311_per_key", str(known), message="too many requests with this api_key; try again later",
               field="api_key")
    service_code = param(form, "service_code")
    if service_code is None:
        raise Open311Error(400, "missing_field", "service_code is required", "service_code")
    try:
        category = tree.by_service_code(service_code)
    except UnknownCategory:
        raise Open311Error(400, "unknown_service_code", "no service has this code", "service_code") from None
    description = param(form, "description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, "too_long", f"description may be at most {MAX_DESCRIPTION} characters", "description")
    lat, lon = param(form, "lat"), param(form, "long")
    if (lat is None) != (lon is None):
        raise Open311Error(400, "missing_field", "lat and long go together", "long" if lon is None else "lat")
    try:
        point = (float(lat), float(lon)) if lat is not None else None
    except ValueError:
        raise Open311Error(400, "invalid_field", "lat and long must be numbers", "lat") from None
    if point and not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        raise Open311Error(400, "out_of_range", "lat or long is out of range", "lat")
    address, address_id = param(form, "address_string"), param(form, "address_id")
    if point is None and address is None and address_id is None:
        raise Open311Error(400, "missing_location", "give lat and long, address_string or address_id", "lat")
    phone = param(form, "phone")
    if phone is not None:
        phone = national_phone(phone)
        if phone is None:
            raise Open311Error(400, "invalid_phone", "phone must be a mainland mobile, or a landline with its area "
                               "code", "phone")
    attributes: dict[str, str | list[str]] = {}
    for key in form.keys():
        match = ATTRIBUTE.match(key)
        if match:
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            attributes[match.group(1)] = values if match.group(2) else (values[-1] if values else "")
    media_url = param(form, "media_url")
    if media_url is not None:
        target = urlsplit(media_url)
        if len(media_url) > 2000 or target.scheme not in ("http", "https") or not target.hostname:
            raise Open311Error(400, "invalid_field", "media_url must be an http(s) URL of at most 2000 characters",
                               "media_url")
    name = " ".join(p for p in (param(form, "last_name"), param(form, "first_name")) if p) or None
    if name and len(name) > 50:
        raise Open311Error(400, "too_long", "the name may be at most 50 characters", "first_name")
    draft = ReportDraft(channel=Channel.OPEN311, description=description or category.name_zh,
                        category_code=category.code, lat=point[0] if point else None,
                        lon=point[1] if point else None, address=address, address_id=address_id,
                        name=name if phone else None, phone=phone, anonymous=phone is None, attributes=attributes,
                        channel_detail=str(known), media_url=media_url)
    if phone:  # a partner's many residents share its key; one resident's number is theirs alone
        limits.hit("reports_per_phone", phone, message="too many reports with this phone number; try again later",
                   field="phone")
    async with keeping_refused(request, draft), runtime.uow(
            correlation_id=request.scope["state"].get("correlation_id")) as uow:
        outcome = await submit_report(uow, draft, settings_of(request).policy())
    notice = "已合并至已有工单" if outcome.linked else "已受理"
    # The request exists at once, so the answer carries its id and no token (GeoReport v2 gives one or the other).
    return answer(fmt, [{"service_request_id": outcome.tracking_code, "service_notice": notice,
                         "account_id": param(form, "account_id")}],
                  root="service_requests", item="request", status=201)


@router.get("/tokens/{token}.{fmt}", response_class=Response, summary="The service request id behind a token")
async def token(request: Request, token: str, fmt: str) -> Response:
    fmt = format_of(fmt)
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
    return answer(fmt, [{"service_request_id": code, "token": token}], root="service_requests", item="request")
