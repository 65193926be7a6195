"""Dispatch's HTTP routes: a unit's queue, the triage queue, one case with its history, and ``ACTIONS``, every action
units and dispatchers take on a case, each under optimistic concurrency and an idempotency key."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import or_, select

from services.dispatch.adapters import tables
from services.dispatch.adapters.store import CaseRecord
from services.dispatch.commands.cases import act, ask_resident_callback, attach_photos
from services.dispatch.commands.directory import require_units
from services.dispatch.domain import lifecycle
from services.dispatch.domain.routing import Directory
from shared.auth import Principal, Role
from shared.events import SuspensionReason
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.idempotency import IdempotencyGuard, IdempotencyKey
from shared.http.messages import LANGUAGE
from shared.local_time import LOCAL_ZONE, LocalDatetime
from shared.persistence.records import record_of
from shared.persistence.scopes import within_scope
from shared.photos import MAX_PHOTOS_PER_REPORT
from shared.reference.keeping import names as kept_names
from shared.reference.labels import label
from shared.reference.names import Names
from shared.scopes import AREA_LEVELS

router = APIRouter(prefix="/v1", tags=["dispatch"])


class HistoryEntry(BaseModel):
    at: LocalDatetime
    action: str
    unit_id: str | None
    unit_name: str | None = None
    rule_id: str | None
    note: str


class SummonedUnit(BaseModel):
    unit_id: str
    unit_name: str
    checked_in_at: LocalDatetime | None


class JointHandlingView(BaseModel):
    check_in_by: LocalDatetime
    units: list[SummonedUnit]


class PlaceView(BaseModel):
    address: str | None = Field(None, description="As the resident gave it (masked)")
    lat: float | None = None
    lon: float | None = None
    district_id: str | None = None
    street_id: str | None = None
    community_id: str | None = None
    grid_id: str | None = None
    name: str = Field(description="The street, community and grid by name, in the reader's language")


class CaseView(BaseModel):
    """One case as the units and the linkage centre read it: codes for programs beside names for people (in the
    reader's language, ``Accept-Language``), times in the jurisdiction's zone."""

    case_id: UUID
    status: str
    status_name: str
    category: str
    category_name: str
    grid_id: str
    description: str = Field("", description="What the resident said (masked, as everything outside intake)")
    place: PlaceView
    urgent: bool = False
    channel: str | None = None
    channel_name: str | None = None
    source_kind_name: str | None = Field(None, description="A slip's kind (suggestion box, questionnaire …)")
    handed_in_on: date | None = Field(None, description="The day the resident handed the slip in")
    suggested_category_name: str | None = Field(None, description="What the classifier made of the caller's words, "
                                                "beside the operator's pick")
    residents_affected: int = 1
    lead_unit_id: str | None
    lead_unit_name: str | None = None
    assisting_unit_ids: list[str]
    assisting_unit_names: list[str] = []
    rule_id: str | None
    version: int
    reported_at: LocalDatetime
    sign_due_at: LocalDatetime | None = None
    due_at: LocalDatetime | None = None
    redo_count: int = 0
    transfer_to: str | None = None
    planned_date: date | None = None
    extension_pending: bool = False
    suspended: SuspensionReason | None = None
    suspended_name: str | None = Field(None, description="What the unit waits for, in words")
    escalation_level: str | None = None
    escalation_level_name: str | None = Field(None, description="The supervision step reached, in words")
    reply_by: LocalDatetime | None = None
    joint_handling: JointHandlingView | None = Field(None, description="The units summoned to handle it together, "
                                                    "by when each must check in, and who has")
    resident_photo_ids: list[UUID] = Field(default_factory=list, description="The report's photos: intake serves "
                                           "them (GET /v1/photos/{id}) to whoever may see the case, its units too")
    photos: list[UUID] = Field(default_factory=list, description="Photos the units attached (detail only)")
    history: list[HistoryEntry] = []
    actions: list[str] = Field(default_factory=list, description="What the caller may do with the case now (detail "
                               "only): the paths of the action routes, POST /v1/cases/{case_id}/<action>")


def _joint_handling(summons: dict | None, names: Names, locale: str) -> JointHandlingView | None:
    if not summons:
        return None
    return JointHandlingView(check_in_by=datetime.fromisoformat(summons["check_in_by"]), units=[
        SummonedUnit(unit_id=unit, unit_name=names.unit(unit, locale),
                     checked_in_at=datetime.fromisoformat(at) if at else None)
        for unit, at in sorted(summons["checked_in"].items())])


def _view(row, names: Names, history=(), photos=()) -> CaseView:
    locale = LANGUAGE.get()
    area = row.area
    return CaseView(
        joint_handling=_joint_handling(row.summons, names, locale), case_id=row.id, status=row.status,
        status_name=label("state", row.status, locale), category=row.category_code,
        category_name=names.category(row.category_code, locale), grid_id=area["grid_id"],
        description=row.description, urgent=row.urgent, channel=row.channel,
        channel_name=label("channel", row.channel, locale) if row.channel else None,
        source_kind_name=label("source", row.source_kind, locale) if row.source_kind else None,
        handed_in_on=row.handed_in_on, suggested_category_name=names.category(row.suggested_category_code, locale)
        if row.suggested_category_code and row.suggested_category_code != row.category_code else None,
        residents_affected=row.residents_affected,
        place=PlaceView(address=row.address, lat=row.lat, lon=row.lon, **{k: area.get(k) for k in (
            "district_id", "street_id", "community_id", "grid_id")}, name=names.place(area, locale)),
        lead_unit_id=row.lead_unit_id, lead_unit_name=names.unit(row.lead_unit_id, locale) or None,
        assisting_unit_ids=row.assisting_unit_ids,
        assisting_unit_names=[names.unit(u, locale) for u in row.assisting_unit_ids], rule_id=row.rule_id,
        version=row.version, reported_at=row.reported_at, sign_due_at=row.sign_due_at,
        due_at=row.due_at, redo_count=row.redo_count, transfer_to=row.transfer_to,
        planned_date=row.planned_date, extension_pending=row.extension_pending,
        suspended=row.suspended, suspended_name=label("suspension", row.suspended, locale) if row.suspended else None,
        escalation_level=row.escalation_level, reply_by=row.reply_by,
        escalation_level_name=label("level", row.escalation_level, locale) if row.escalation_level else None,
        resident_photo_ids=row.resident_photo_ids, photos=list(photos),
        history=[HistoryEntry(at=h.at, action=h.action, unit_id=h.unit_id,
                              unit_name=names.unit(h.unit_id, locale) if h.unit_id else None, rule_id=h.rule_id,
                              note=h.note) for h in history])


_OVERSEERS = (Role.DISPATCHER, Role.SUPERVISOR)


def _area_columns():
    c = tables.cases.c
    return [c.area[f"{level}_id"].astext for level in AREA_LEVELS]


def _sees_case(principal: Principal, row) -> bool:
    """Dispatchers and supervisors within their scope; a unit's staff where the unit has a part (or the case waits
    on the claiming board)."""
    case = record_of(CaseRecord, row)
    if principal.role in _OVERSEERS:
        return principal.covers(case.area_ids)
    if principal.role is not Role.UNIT_STAFF or principal.unit_id is None:
        return False
    return row.status == lifecycle.State.ON_CLAIMING_BOARD or case.casefile().involves(principal.unit_id)


@router.get("/units/{unit_id}/queue", response_model=list[CaseView],
            summary="A unit's cases (lead or assisting): by status, due soon or overdue, by report or due time")
async def unit_queue(unit_id: str, principal: CurrentPrincipal, session: ReadSession,
                     status: Annotated[str | None, Query(pattern=r"^[a-z_]{3,30}$")] = None,
                     due: Annotated[Literal["soon", "overdue"] | None, Query()] = None,
                     within_hours: Annotated[int, Query(ge=1, le=720)] = 24,
                     sort: Annotated[Literal["reported", "due"], Query()] = "reported") -> list[CaseView]:
    if principal.role not in _OVERSEERS and not (principal.role is Role.UNIT_STAFF and principal.unit_id == unit_id):
        raise ApiError(404, "not_found", "no such unit queue", "unit_id")
    c = tables.cases.c
    query = select(tables.cases).where(or_(c.lead_unit_id == unit_id, c.assisting_unit_ids.contains([unit_id])))
    if principal.role in _OVERSEERS:
        query = query.where(within_scope(_area_columns(), principal.scope))
    if status:
        query = query.where(c.status == status)
    now = datetime.now(UTC)
    if due == "overdue":
        query = query.where(c.due_at < now, c.status != lifecycle.State.COMPLETED)
    elif due == "soon":
        query = query.where(c.due_at >= now, c.due_at < now + timedelta(hours=within_hours),
                            c.status != lifecycle.State.COMPLETED)
    order = (c.due_at.asc().nulls_last(), c.reported_at) if sort == "due" else (c.reported_at,)
    names = await kept_names(session)
    return [_view(r, names) for r in (await session.execute(query.order_by(*order).limit(500))).all()]


@router.get("/triage", response_model=list[CaseView],
            summary="Cases no rule could place (or given back), for the linkage centre of the dispatcher's scope")
async def triage_queue(principal: CurrentPrincipal, session: ReadSession) -> list[CaseView]:
    c = tables.cases.c
    rows = (await session.execute(select(tables.cases).where(
        c.status == "triage", within_scope(_area_columns(), principal.scope)).order_by(c.reported_at))).all()
    names = await kept_names(session)
    return [_view(r, names) for r in rows]


@router.get("/board", response_model=list[CaseView],
            summary="The claiming board: cases open for any unit to claim, oldest first (the linkage centre's within "
                    "its scope)")
async def claiming_board(principal: CurrentPrincipal, session: ReadSession) -> list[CaseView]:
    c = tables.cases.c
    query = select(tables.cases).where(c.status == lifecycle.State.ON_CLAIMING_BOARD).order_by(c.reported_at)
    if principal.role in _OVERSEERS:
        query = query.where(within_scope(_area_columns(), principal.scope))
    names = await kept_names(session)
    return [_view(r, names) for r in (await session.execute(query.limit(500))).all()]


@router.get("/cases/{case_id}", response_model=CaseView, summary="One case and which rule fired for it")
async def case_detail(case_id: UUID, principal: CurrentPrincipal, session: ReadSession) -> CaseView:
    row = (await session.execute(select(tables.cases).where(tables.cases.c.id == case_id))).first()
    # Another unit's case is a 404, not a 403: its existence is not theirs to know.
    if row is None or not _sees_case(principal, row):
        raise ApiError(404, "not_found", "no such case", "case_id")
    h = tables.history.c
    history = (await session.execute(select(tables.history).where(h.case_id == case_id).order_by(h.id))).all()
    p = tables.photos.c
    photos = (await session.execute(select(p.id).where(p.case_id == case_id).order_by(p.uploaded_at))).scalars()
    view = _view(row, await kept_names(session), history, photos)
    open_now = lifecycle.actions_open(record_of(CaseRecord, row).casefile(), unit_id=principal.unit_id,
                                      dispatcher=principal.role is Role.DISPATCHER)
    return view.model_copy(update={"actions": [a.path for a in ACTIONS if a.step in open_now]})


@router.get("/cases/{case_id}/photos/{photo_id}", response_class=Response,
            summary="A photo a unit attached to the case (metadata already stripped)")
async def case_photo(case_id: UUID, photo_id: UUID, principal: CurrentPrincipal, session: ReadSession) -> Response:
    row = (await session.execute(select(tables.cases).where(tables.cases.c.id == case_id))).first()
    if row is None or not _sees_case(principal, row):
        raise ApiError(404, "not_found", "no such case", "case_id")
    p = tables.photos.c
    photo = (await session.execute(select(p.content, p.content_type).where(p.id == photo_id, p.case_id == case_id))
             ).first()
    if photo is None:
        raise ApiError(404, "not_found", "no such photo", "photo_id")
    return Response(photo.content, media_type=photo.content_type, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/resident-photos/{photo_id}", response_class=Response,
            summary="A photo a unit completed a case with, for the residents' tracking page (asked by the console for "
                    "a resident who proved to be one of the case's)")
async def resident_photo(photo_id: UUID, principal: CurrentPrincipal, session: ReadSession) -> Response:
    p = tables.photos.c
    photo = (await session.execute(select(p.content, p.content_type).where(
        p.id == photo_id, p.shown_to_residents, p.case_id.is_not(None)))).first()
    if photo is None:
        raise ApiError(404, "not_found", "no such photo", "photo_id")
    return Response(photo.content, media_type=photo.content_type, headers={"Cache-Control": "private, max-age=3600"})


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
UnitId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]


class UnitAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, description="The case's version as the caller last saw it; a stale one gets 409")


class CallbackAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="What the operators should ask the resident (a unit never reads the resident's number)")


class CallbackAsked(BaseModel):
    case_id: UUID
    request_id: UUID


@router.post("/cases/{case_id}/callback-request", status_code=202, response_model=CallbackAsked,
             summary="Ask the operators to call the resident back with a question (the answer comes back on the "
                     "case's history)")
async def callback_request(case_id: UUID, body: CallbackAsk, principal: CurrentPrincipal,
                           uow: UnitOfWorkDep) -> CallbackAsked:
    async with uow:
        request_id = await ask_resident_callback(uow, case_id, principal.unit_id or "", body.question)
    return CallbackAsked(case_id=case_id, request_id=request_id)


class ProgressIn(UnitAction):
    text: Text
    photos: list[UUID] = Field(default_factory=list, max_length=MAX_PHOTOS_PER_REPORT,
                               description="Ids of photos this unit uploaded to /v1/photos")


class CompleteIn(UnitAction):
    result: Text
    photos: list[UUID] = Field(default_factory=list, max_length=MAX_PHOTOS_PER_REPORT,
                               description="Ids of photos this unit uploaded to /v1/photos")


class ReturnIn(UnitAction):
    reason: lifecycle.ReturnReason
    text: Text


class PartIn(UnitAction):
    text: Text


class TransferIn(UnitAction):
    to_unit: UnitId
    reason: Text


class ExtensionIn(UnitAction):
    reason: Text
    proposed_date: date


class ExplainIn(UnitAction):
    explanation: Text
    planned_date: date


class SuspendIn(UnitAction):
    reason: SuspensionReason
    text: Text


class DispatchIn(UnitAction):
    lead: UnitId
    assisting: list[UnitId] = Field(default_factory=list, max_length=10)
    reason: Text


class ReasonIn(UnitAction):
    reason: Text


class SummonIn(UnitAction):
    units: list[UnitId] = Field(min_length=2, max_length=20)
    check_in_within_minutes: int = Field(ge=5, le=1440)


class RouteIn(UnitAction):
    reason: Text | None = None


class Actor(StrEnum):
    LEAD_OR_PARTNER = "unit"   # a unit with a part in the case (anyone else: 404)
    ANY_UNIT = "any_unit"      # a unit that may have no part yet (claiming from the board)
    DISPATCHER = "dispatcher"


@dataclass(frozen=True)
class Asked:
    """What a life-cycle step may need besides the case: who asks, what they sent, and the routing directory."""

    principal: Principal
    body: BaseModel
    directory: Directory


@dataclass(frozen=True)
class CaseAction:
    path: str
    step: lifecycle.Action  # the life-cycle action it takes: offered to a caller when ``actions_open`` has it
    body: type[UnitAction]
    actor: Actor
    take: Callable[[lifecycle.CaseFile, Asked], lifecycle.Step]
    summary: str
    names_units: Callable[[BaseModel], tuple[str, ...]] = lambda body: ()
    attaches_photos: bool = False


def _action_route(action: CaseAction):
    """The route of one action: who may call it, an idempotency key, the expected version, unknown units and photos
    refused, then one life-cycle step, all in one transaction."""
    # The action's own body model; this module has no deferred annotations, so FastAPI reads the model itself.
    ActionBody = action.body

    async def route(case_id: UUID, body: ActionBody, principal: CurrentPrincipal, uow: UnitOfWorkDep,
                    idempotency_key: IdempotencyKey = None):
        if action.actor is Actor.DISPATCHER:
            if principal.role is not Role.DISPATCHER:
                raise ApiError(403, "forbidden_role", "only a dispatcher may do this")
        elif principal.role is not Role.UNIT_STAFF or principal.unit_id is None:
            raise ApiError(403, "forbidden_role", "only a unit's staff act on its cases")
        guard = IdempotencyGuard(tables.idempotency_keys,
                                 scope=f"{action.path} {principal.unit_id or principal.subject}")
        async with uow:
            if idempotency_key:
                first = await guard.claim(uow.session, idempotency_key,
                                          {"case_id": str(case_id), **body.model_dump(mode="json")})
                if first is not None:
                    return JSONResponse(first.body, status_code=first.status_code,
                                        headers={"Idempotent-Replayed": "true"})
            await require_units(uow.store, action.names_units(body))
            asked = Asked(principal=principal, body=body, directory=await uow.store.directory())
            row = await act(uow, case_id,
                            unit_id=principal.unit_id if action.actor is Actor.LEAD_OR_PARTNER else None,
                            expected_version=body.version, take=lambda case: action.take(case, asked),
                            actor=principal.subject if action.actor is Actor.DISPATCHER else None,
                            scope=principal.scope if action.actor is Actor.DISPATCHER else None)
            if action.attaches_photos:
                await attach_photos(uow, case_id, principal.unit_id, body.photos,
                                    shown_to_residents=action.step is lifecycle.Action.COMPLETE)
            view = _view(row, await uow.store.names())
            if idempotency_key:
                await guard.remember(uow.session, idempotency_key, 200, view.model_dump(mode="json"))
        return view

    return route


def _today() -> date:
    return datetime.now(LOCAL_ZONE).date()


def _dispatched_units(body) -> tuple[str, ...]:
    return (body.lead, *body.assisting)


#: Every action on a case, by whom, with its body and its life-cycle step: the handler table of dispatch's API.
ACTIONS = (
    # the lead unit
    CaseAction("sign", lifecycle.Action.SIGN, UnitAction, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.sign(c, a.principal.unit_id),
               "The lead unit signs for a dispatched case"),
    CaseAction("progress", lifecycle.Action.NOTE_PROGRESS, ProgressIn, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.note_progress(c, a.principal.unit_id, a.body.text, map(str, a.body.photos)),
               "The lead unit notes progress, with photos uploaded to /v1/photos", attaches_photos=True),
    CaseAction("complete", lifecycle.Action.COMPLETE, CompleteIn, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.complete(c, a.principal.unit_id, a.body.result, map(str, a.body.photos)),
               "The lead unit completes the case with its result and photos (after every assisting unit reported "
               "its part)", attaches_photos=True),
    CaseAction("return", lifecycle.Action.RETURN, ReturnIn, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.return_case(c, a.principal.unit_id, a.body.reason, a.body.text),
               "The lead unit gives the case back with a reason code; it goes to triage"),
    CaseAction("transfer-request", lifecycle.Action.REQUEST_TRANSFER, TransferIn, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.request_transfer(c, a.principal.unit_id, a.body.to_unit, a.body.reason),
               "The lead unit asks to hand the case to another unit; a dispatcher decides",
               names_units=lambda b: (b.to_unit,)),
    CaseAction("extension-request", lifecycle.Action.REQUEST_EXTENSION, ExtensionIn, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.request_extension(c, a.principal.unit_id, a.body.reason, a.body.proposed_date,
                                                        today=_today()),
               "The lead unit asks for more time (reason, proposed date); supervision decides"),
    CaseAction("explanation", lifecycle.Action.EXPLAIN, ExplainIn, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.explain(c, a.principal.unit_id, a.body.explanation, a.body.planned_date,
                                              today=_today()),
               "What cannot be solved soon: explained with a planned date (counts as answered, stays tracked)"),
    CaseAction("suspension", lifecycle.Action.SUSPEND, SuspendIn, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.suspend(c, a.principal.unit_id, a.body.reason, a.body.text),
               "The lead unit waits on something outside its hands (the jurisdiction's policy says whether the "
               "clock stops)"),
    CaseAction("resumption", lifecycle.Action.RESUME, UnitAction, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.resume(c, a.principal.unit_id),
               "The wait is over; stopped clocks run again"),
    # assisting and summoned units, and partners on the claiming board
    CaseAction("part", lifecycle.Action.REPORT_PART, PartIn, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.report_part(c, a.principal.unit_id, a.body.text),
               "An assisting unit reports its part of a co-handled case"),
    CaseAction("check-in", lifecycle.Action.CHECK_IN, UnitAction, Actor.LEAD_OR_PARTNER,
               lambda c, a: lifecycle.check_in(c, a.principal.unit_id, now=datetime.now(UTC)),
               "A unit summoned to joint handling checks in"),
    CaseAction("claim", lifecycle.Action.CLAIM, UnitAction, Actor.ANY_UNIT,
               lambda c, a: lifecycle.claim(c, a.principal.unit_id),
               "A partner unit claims a case from the claiming board (one claim wins)"),
    # dispatchers
    CaseAction("route", lifecycle.Action.DISPATCH, RouteIn, Actor.DISPATCHER,
               lambda c, a: lifecycle.route_again(c, a.directory, reason=a.body.reason),
               "Route a triaged or held case automatically again (units that returned it are skipped)"),
    CaseAction("dispatch", lifecycle.Action.DISPATCH, DispatchIn, Actor.DISPATCHER,
               lambda c, a: lifecycle.dispatch(c, a.body.lead, a.body.assisting, reason=a.body.reason),
               "Dispatch a triaged or held case by hand, with a reason", names_units=_dispatched_units),
    CaseAction("redispatch", lifecycle.Action.REDISPATCH, DispatchIn, Actor.DISPATCHER,
               lambda c, a: lifecycle.redispatch(c, a.body.lead, a.body.assisting, reason=a.body.reason),
               "Give a case being handled to another unit, with a reason", names_units=_dispatched_units),
    CaseAction("board", lifecycle.Action.PUT_ON_BOARD, UnitAction, Actor.DISPATCHER,
               lambda c, a: lifecycle.put_on_board(c),
               "Put a triaged case on the claiming board"),
    CaseAction("transfer-approval", lifecycle.Action.APPROVE_TRANSFER, UnitAction, Actor.DISPATCHER,
               lambda c, a: lifecycle.approve_transfer(c),
               "Approve a unit's transfer request"),
    CaseAction("transfer-refusal", lifecycle.Action.REFUSE_TRANSFER, ReasonIn, Actor.DISPATCHER,
               lambda c, a: lifecycle.refuse_transfer(c, reason=a.body.reason),
               "Refuse a unit's transfer request, with a reason"),
    CaseAction("joint-handling", lifecycle.Action.SUMMON, SummonIn, Actor.DISPATCHER,
               lambda c, a: lifecycle.summon(c, a.body.units, now=datetime.now(UTC),
                                             check_in_within=timedelta(minutes=a.body.check_in_within_minutes)),
               "Summon several units to one case (the whistle); each must check in within the limit",
               names_units=lambda b: tuple(b.units)),
)

for _action in ACTIONS:
    router.add_api_route(f"/cases/{{case_id}}/{_action.path}", _action_route(_action), methods=["POST"],
                         response_model=CaseView, summary=_action.summary, name=_action.path.replace("-", "_"))
