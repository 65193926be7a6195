"""The channels residents' voices arrive by: self-service, the hotline, grid patrols, messaging groups, and photos."""

from __future__ import annotations

import json
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError

from services.intake.adapters import tables
from services.intake.api.context import (
    Address,
    CategoryCode,
    Description,
    ExternalRef,
    Limits,
    Name,
    Phone,
    Point,
    PolicyDep,
    ReportAccepted,
    Strict,
    TrackingCode,
    keeping_refused,
    limit_report,
    settings_of,
)
from services.intake.commands.reports import keep_photo, submit_report
from services.intake.domain.cases import national_phone
from services.intake.domain.reports import ReportDraft
from shared.events import Channel, ClassifiedBy
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.idempotency import IdempotencyGuard, IdempotencyKey
from shared.http.openapi import NAMES_A_RECORD, RATE_LIMITED
from shared.http.rate_limits import client_address
from shared.http.uploads import uploaded_photo
from shared.photos import MAX_PHOTOS_PER_REPORT
from shared.webhooks import WebhookRejected, verify

router = APIRouter(prefix="/v1")
REPORT_KEYS = IdempotencyGuard(tables.idempotency_keys, scope="POST /v1/reports")
Attributes = dict[str, str | list[str]]


class Contact(Strict):
    name: Name | None = None
    phone: Phone


class SelfServiceReport(Strict):
    """A resident's own report. The category may be left out: intake then classifies the text. Naming an open case
    (``co_report_of``, its tracking code) adds the resident's voice to it: description and location may then be left
    out."""

    category: CategoryCode | None = None
    description: Description | None = None
    co_report_of: TrackingCode | None = None
    location: Point | None = None
    address: Address | None = None
    contact: Contact | None = None
    anonymous: bool = False
    urgent: bool = False
    photos: list[UUID] = Field(default_factory=list, max_length=MAX_PHOTOS_PER_REPORT)
    attributes: Attributes = Field(default_factory=dict, max_length=20)


@router.post("/reports", status_code=201, response_model=ReportAccepted, tags=["residents"],
             responses={**RATE_LIMITED, **NAMES_A_RECORD},
             summary="Report a problem (resident self-service); answers at once with a tracking code")
async def report(body: SelfServiceReport, request: Request, uow: UnitOfWorkDep, policy: PolicyDep, limits: Limits,
                 idempotency_key: IdempotencyKey = None):
    if not body.anonymous and body.contact is None:
        raise ApiError(422, "missing_field", "a contact is required unless the report is anonymous", "contact")
    if body.description is None and body.co_report_of is None:
        raise ApiError(422, "missing_field", "a description is required", "description")
    named = not body.anonymous and body.contact is not None
    draft = ReportDraft(
        channel=Channel.SELF_SERVICE, description=body.description or "", joins=body.co_report_of,
        category_code=body.category,
        lat=body.location.lat if body.location else None, lon=body.location.lon if body.location else None,
        address=body.address, name=body.contact.name if named else None,
        phone=body.contact.phone if named else None, anonymous=body.anonymous, urgent=body.urgent,
        photo_ids=tuple(body.photos), attributes=body.attributes)
    async with keeping_refused(request, draft), uow:
        if idempotency_key:
            first = await REPORT_KEYS.claim(uow.session, idempotency_key, body.model_dump(mode="json"))
            if first is not None:
                return JSONResponse(first.body, status_code=first.status_code, headers={"Idempotent-Replayed": "true"})
        limit_report(request, limits, draft.phone)  # a replay above is not another report
        accepted = ReportAccepted.of(await submit_report(uow, draft, policy))
        if idempotency_key:
            await REPORT_KEYS.remember(uow.session, idempotency_key, 201, accepted.model_dump())
    return accepted


class Caller(Strict):
    name: Name | None = None
    phone: Phone


class HotlineReport(Strict):
    """What the operator takes down during a call. Without a category, the classifier's suggestion is used."""

    call_id: ExternalRef | None = None
    caller: Caller | None = None
    anonymous: bool = False
    description: Description
    location: Point | None = None
    address: Address | None = None
    category: CategoryCode | None = None
    urgent: bool = False
    attributes: Attributes = Field(default_factory=dict, max_length=20)
    co_report_of: TrackingCode | None = Field(None, description="An open case the caller's problem is (shown to the "
                                              "operator nearby): the call joins it")


@router.post("/hotline/reports", status_code=201, response_model=ReportAccepted, tags=["hotline"],
             summary="Hotline operator entry: the caller, what was said, where, category pick or suggestion, urgency")
async def hotline_report(body: HotlineReport, request: Request, uow: UnitOfWorkDep, policy: PolicyDep,
                         principal: CurrentPrincipal):
    if not body.anonymous and body.caller is None:
        raise ApiError(422, "missing_field", "the caller is required unless the call is anonymous", "caller")
    named = not body.anonymous
    draft = ReportDraft(
        channel=Channel.HOTLINE, description=body.description, category_code=body.category,
        picked_by=ClassifiedBy.OPERATOR, lat=body.location.lat if body.location else None,
        lon=body.location.lon if body.location else None, address=body.address,
        name=body.caller.name if named else None, phone=body.caller.phone if named else None,
        anonymous=not named, urgent=body.urgent, attributes=body.attributes, external_ref=body.call_id,
        submitted_by=principal.subject, joins=body.co_report_of)
    async with keeping_refused(request, draft), uow:
        return ReportAccepted.of(await submit_report(uow, draft, policy))


class PatrolReport(Strict):
    """A problem a grid worker observed on patrol: always a point, usually photos."""

    observation_id: ExternalRef | None = None
    description: Description
    location: Point
    category: CategoryCode | None = None
    urgent: bool = False
    photos: list[UUID] = Field(default_factory=list, max_length=MAX_PHOTOS_PER_REPORT)


@router.post("/patrol/reports", status_code=201, response_model=ReportAccepted, tags=["grid workers"],
             summary="A grid worker's field report from patrol (point, photos, observed problem)")
async def patrol_report(body: PatrolReport, request: Request, uow: UnitOfWorkDep, policy: PolicyDep,
                        principal: CurrentPrincipal):
    draft = ReportDraft(
        channel=Channel.GRID_PATROL, description=body.description, category_code=body.category,
        picked_by=ClassifiedBy.OPERATOR, lat=body.location.lat, lon=body.location.lon, anonymous=True,
        urgent=body.urgent, photo_ids=tuple(body.photos),
        external_ref=f"{principal.subject}/{body.observation_id}" if body.observation_id else None,
        submitted_by=principal.subject)
    async with keeping_refused(request, draft), uow:
        return ReportAccepted.of(await submit_report(uow, draft, policy))


class GroupSender(Strict):
    nickname: Name | None = None
    phone: Phone | None = None


class GroupMessage(Strict):
    """One message relayed from a residents' group chat: one message, one report."""

    message_id: ExternalRef
    group_id: ExternalRef
    sender: GroupSender = Field(default_factory=GroupSender)
    text: Description
    location: Point | None = None
    address: Address | None = None


class GroupReply(ReportAccepted):
    reply: str


@router.post("/bridges/messaging-group/messages", status_code=201, response_model=GroupReply,
             tags=["messaging groups"],
             summary="Signed webhook (Standard Webhooks) from the messaging-group bridge; the reply carries the code")
async def group_message(request: Request, uow: UnitOfWorkDep, policy: PolicyDep):
    secret = settings_of(request).messaging_bridge_secret
    if not secret:
        raise ApiError(503, "bridge_not_configured", "the messaging-group bridge has no secret configured")
    body = await request.body()
    try:
        verify(secret, request.headers, body)
    except WebhookRejected as exc:
        raise ApiError(401, exc.code, exc.message, "webhook-signature") from None
    try:
        message = GroupMessage.model_validate(json.loads(body))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "malformed_json", "the body is not valid JSON") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ApiError(422, "invalid_field", "this value is not valid",
                       ".".join(str(p) for p in first["loc"]) or None) from None
    phone = national_phone(message.sender.phone)
    draft = ReportDraft(
        channel=Channel.MESSAGING_GROUP, description=message.text,
        lat=message.location.lat if message.location else None, lon=message.location.lon if message.location else None,
        address=message.address, name=message.sender.nickname if phone else None, phone=phone, anonymous=phone is None,
        external_ref=f"{message.group_id}/{message.message_id}", channel_detail=message.group_id)
    async with keeping_refused(request, draft), uow:
        outcome = await submit_report(uow, draft, policy)
    accepted = ReportAccepted.of(outcome)
    reply = (f"已收到您的反映，查询码 {outcome.tracking_code}。" if not outcome.linked else
             f"该问题已有居民反映，已合并办理，查询码 {outcome.tracking_code}。")
    return JSONResponse(GroupReply(**accepted.model_dump(), reply=reply).model_dump(),
                        status_code=200 if outcome.replayed else 201)


class PhotoStored(Strict):
    photo_id: UUID
    content_type: str
    width: int
    height: int


@router.post("/photos", status_code=201, response_model=PhotoStored, tags=["residents"], responses=RATE_LIMITED,
             summary="Upload one photo (JPEG, PNG, WebP): checked by content, metadata stripped; list its id in a "
                     "report")
async def upload_photo(request: Request, uow: UnitOfWorkDep, limits: Limits, file: Annotated[UploadFile, File()]):
    limits.hit("photos_per_address", client_address(request), message="too many photos from this address; try "
               "again later")
    photo = await uploaded_photo(file, max_bytes=settings_of(request).max_photo_bytes)
    async with uow:
        photo_id = await keep_photo(uow, photo)
    return PhotoStored(photo_id=photo_id, content_type=photo.content_type, width=photo.width, height=photo.height)
