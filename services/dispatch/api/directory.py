"""The routing directory over HTTP: units of every kind (parent, areas served, categories, contact, working hours) and
the routing rules that name them. Anyone signed in reads it; an admin adds, edits and imports units and writes rules,
and every change reloads routing in every process."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from sqlalchemy import select

from services.dispatch.adapters import tables
from services.dispatch.adapters.store import directory_cache
from services.dispatch.commands import directory
from services.dispatch.domain.routing import CaseToRoute, Unroutable
from shared.events import AreaPath
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.spreadsheets import SheetRow, UnreadableFile, read_sheet

router = APIRouter(prefix="/v1", tags=["routing directory"])

UnitKind = Literal["district_department", "street_department", "community_committee", "grid_worker",
                   "resident_unit", "partner_organisation", "enterprise", "volunteer_team"]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: UnitKind
    parent_id: Code | None = None
    name_zh: Name
    name_en: Name
    areas: list[Code] = Field(min_length=1, max_length=200, description="Areas served, at any level")
    categories: list[Code] = Field(default_factory=list, max_length=200, description="Sub-items handled (empty: any)")
    contact: Annotated[str, StringConstraints(pattern=r"^[0-9+()\- ]{3,30}$")] | None = Field(
        None, description="An office line, not a person's number")
    hours: Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")] | None = None


class NewUnit(UnitIn):
    id: Code


class UnitView(BaseModel):
    id: str
    kind: str
    parent_id: str | None
    name_zh: str
    name_en: str
    areas: list[str]
    categories: list[str]
    contact: str | None
    hours: str | None


def _view(row) -> UnitView:
    return UnitView(id=row.id, kind=row.kind, parent_id=row.parent_id, name_zh=row.name_zh, name_en=row.name_en,
                    areas=row.areas, categories=row.categories, contact=row.contact, hours=row.hours)


@router.get("/units", response_model=list[UnitView], summary="Units, by kind, area served or category handled")
async def list_units(principal: CurrentPrincipal, session: ReadSession,
                     kind: Annotated[UnitKind | None, Query()] = None,
                     area: Annotated[Code | None, Query()] = None,
                     category: Annotated[Code | None, Query()] = None) -> list[UnitView]:
    u = tables.units.c
    query = select(tables.units).order_by(u.id)
    if kind:
        query = query.where(u.kind == kind)
    if area:
        query = query.where(u.areas.contains([area]))
    if category:
        query = query.where(u.categories.contains([category]))
    return [_view(r) for r in (await session.execute(query.limit(5000))).all()]


@router.get("/units/{unit_id}", response_model=UnitView, summary="One unit")
async def one_unit(unit_id: str, principal: CurrentPrincipal, session: ReadSession) -> UnitView:
    row = (await session.execute(select(tables.units).where(tables.units.c.id == unit_id))).first()
    if row is None:
        raise ApiError(404, "not_found", "no such unit", "unit_id")
    return _view(row)


@router.post("/units", status_code=201, response_model=UnitView,
             summary="Add a unit to the directory")
async def add_unit(body: NewUnit, uow: UnitOfWorkDep) -> UnitView:
    async with uow:
        await directory.add_unit(uow, body.model_dump())
    return UnitView(**body.model_dump())


@router.put("/units/{unit_id}", response_model=UnitView,
            summary="Edit a unit (routing reloads at once)")
async def edit_unit(unit_id: Code, body: UnitIn, uow: UnitOfWorkDep) -> UnitView:
    async with uow:
        await directory.edit_unit(uow, unit_id, body.model_dump())
    return UnitView(id=unit_id, **body.model_dump())


# --- importing units from a spreadsheet ----------------------------------------------------------------------------

UNIT_COLUMNS = {
    "id": ("id", "code", "编码", "单位编码"),
    "kind": ("kind", "type", "类型", "单位类型"),
    "parent_id": ("parent", "parent_id", "上级", "上级单位", "上级编码"),
    "name_zh": ("name_zh", "name", "名称", "单位名称"),
    "name_en": ("name_en", "english name", "英文名称"),
    "areas": ("areas", "area", "服务区域", "区域"),
    "categories": ("categories", "category", "事项", "受理事项", "类别"),
    "contact": ("contact", "phone", "联系电话", "电话"),
    "hours": ("hours", "working hours", "工作时间", "办公时间"),
}
UNIT_KINDS = {
    "district_department": ("区职能部门", "区级部门", "区部门"),
    "street_department": ("街道部门", "街道科室"),
    "community_committee": ("居委会", "社区居委会", "居民委员会"),
    "grid_worker": ("网格员", "网格"),
    "resident_unit": ("驻区单位",),
    "partner_organisation": ("社会组织", "合作单位", "共建单位"),
    "enterprise": ("企业", "物业", "物业公司"),
    "volunteer_team": ("志愿者队伍", "志愿服务队", "志愿者"),
}
_LIST_SEPARATORS = re.compile(r"[;,；，、\s]+")


class RowRefused(BaseModel):
    row: int
    code: str
    field: str | None
    message: str


class UnitImportReport(BaseModel):
    dry_run: bool
    created: list[str]
    updated: list[str]
    refused: list[RowRefused]


def _unit_of(row: SheetRow) -> NewUnit:
    """The unit a row stands for; ``ValidationError`` names the column at fault."""
    v = row.values
    kind = v.get("kind", "").strip()
    for code, aliases in UNIT_KINDS.items():
        if kind.lower() == code or kind in aliases:
            kind = code
            break
    return NewUnit.model_validate({
        "id": v.get("id", ""), "kind": kind, "parent_id": v.get("parent_id") or None, "name_zh": v.get("name_zh", ""),
        "name_en": v.get("name_en") or v.get("name_zh", ""),
        "areas": [a for a in _LIST_SEPARATORS.split(v.get("areas", "")) if a],
        "categories": [c for c in _LIST_SEPARATORS.split(v.get("categories", "")) if c],
        "contact": v.get("contact") or None, "hours": v.get("hours") or None})


def _refusal(number: int, error: ValidationError) -> RowRefused:
    # The first problem, by column; the row's values are not echoed (a contact could be a person's number).
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else None
    return RowRefused(row=number, code="invalid_field", field=field,
                      message=f"{field or 'the row'} is missing or not valid" if field else "the row is not valid")


@router.post("/units/import", response_model=UnitImportReport,
             summary="Add or update units from a CSV or XLSX file; bad rows are listed, the good ones applied together")
async def import_units(request: Request, uow: UnitOfWorkDep, file: Annotated[UploadFile, File()],
                       dry_run: Annotated[bool, Query(description="Check the file and report, change nothing")] = False,
                       ) -> UnitImportReport:
    settings = request.app.state.runtime.settings
    content = await file.read(settings.max_import_bytes + 1)
    if len(content) > settings.max_import_bytes:
        raise ApiError(413, "file_too_large", f"an import file may be at most {settings.max_import_bytes} bytes", "file")
    try:
        rows = read_sheet(content, file.filename or "", columns=UNIT_COLUMNS, required=("id", "kind", "name_zh", "areas"),
                          max_rows=settings.max_import_rows)
    except UnreadableFile as exc:
        raise ApiError(422, exc.code, exc.message, "file") from None
    refused: list[RowRefused] = []
    units: dict[str, tuple[int, NewUnit]] = {}
    for row in rows:
        try:
            unit = _unit_of(row)
        except ValidationError as exc:
            refused.append(_refusal(row.number, exc))
            continue
        if unit.id in units:
            refused.append(RowRefused(row=row.number, code="duplicate_id", field="id",
                                      message=f"unit {unit.id} is on row {units[unit.id][0]} already"))
            continue
        units[unit.id] = (row.number, unit)
    async with uow:
        created, updated, orphans = await directory.import_units(
            uow, {i: (n, unit.model_dump()) for i, (n, unit) in units.items()}, dry_run=dry_run)
    refused += [RowRefused(row=number, code="unknown_unit", field="parent_id",
                           message="the parent is neither in the directory nor in the file") for number in orphans]
    return UnitImportReport(dry_run=dry_run, created=created, updated=updated,
                            refused=sorted(refused, key=lambda r: r.row))


# --- routing rules -------------------------------------------------------------------------------------------------

class RuleIn(BaseModel):
    """Sub-item (or class, or any) x area (or anywhere) -> a named lead unit, or the unit of a kind serving the area."""

    model_config = ConfigDict(extra="forbid")
    category: Code | None = Field(None, description="A sub-item or a class code; none: any")
    area: Code | None = Field(None, description="A district, street, community or grid id; none: anywhere")
    lead_unit_id: Code | None = None
    lead_kind: UnitKind | None = None
    assisting: list[Code] = Field(default_factory=list, max_length=10)
    assisting_kind: UnitKind | None = None
    local_only: bool = Field(False, description="Only for sub-items marked for local handling")

    @model_validator(mode="after")
    def _one_lead(self):
        if (self.lead_unit_id is None) == (self.lead_kind is None):
            raise ValueError("name either lead_unit_id or lead_kind")
        return self


class NewRule(RuleIn):
    id: Code


class RuleView(NewRule):
    pass


def _rule_view(row) -> RuleView:
    return RuleView(id=row.id, category=row.category, area=row.area, lead_unit_id=row.lead_unit_id,
                    lead_kind=row.lead_kind, assisting=row.assisting, assisting_kind=row.assisting_kind,
                    local_only=row.local_only)


@router.get("/routing-rules", response_model=list[RuleView], summary="Routing rules, by category or area")
async def list_rules(principal: CurrentPrincipal, session: ReadSession,
                     category: Annotated[Code | None, Query()] = None,
                     area: Annotated[Code | None, Query()] = None) -> list[RuleView]:
    r = tables.rules.c
    query = select(tables.rules).order_by(r.id)
    if category:
        query = query.where(r.category == category)
    if area:
        query = query.where(r.area == area)
    return [_rule_view(row) for row in (await session.execute(query.limit(5000))).all()]


@router.post("/routing-rules", status_code=201, response_model=RuleView,
             summary="Add a routing rule (routing reloads at once)")
async def add_rule(body: NewRule, uow: UnitOfWorkDep) -> RuleView:
    async with uow:
        await directory.add_rule(uow, body.model_dump())
    return RuleView(**body.model_dump())


@router.put("/routing-rules/{rule_id}", response_model=RuleView,
            summary="Edit a routing rule (routing reloads at once)")
async def edit_rule(rule_id: Code, body: RuleIn, uow: UnitOfWorkDep) -> RuleView:
    async with uow:
        await directory.edit_rule(uow, rule_id, body.model_dump())
    return RuleView(id=rule_id, **body.model_dump())


@router.delete("/routing-rules/{rule_id}", status_code=204,
               summary="Remove a routing rule (cases it routed keep their record of it)")
async def remove_rule(rule_id: Code, uow: UnitOfWorkDep) -> Response:
    async with uow:
        await directory.remove_rule(uow, rule_id)
    return Response(status_code=204)


class RoutingQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category_code: Code
    category_class: Code
    handle_locally: bool = False
    area: AreaPath
    exclude: list[Code] = Field(default_factory=list, max_length=50)


class RoutingAnswer(BaseModel):
    rule_id: str
    lead_unit_id: str
    assisting_unit_ids: list[str]


@router.post("/routing-rules/preview", response_model=RoutingAnswer,
             summary="Which rule would fire for a case, and which units it would name (changes nothing)")
async def preview_routing(body: RoutingQuestion, session: ReadSession) -> RoutingAnswer:
    routing = await directory_cache.get(session)
    try:
        decision = routing.route(CaseToRoute(category_code=body.category_code, category_class=body.category_class,
                                               handle_locally=body.handle_locally, area=body.area),
                                   exclude=frozenset(body.exclude))
    except Unroutable as exc:
        raise ApiError(409, "unroutable", str(exc), "category_code") from None
    return RoutingAnswer(rule_id=decision.rule_id, lead_unit_id=decision.lead.id,
                         assisting_unit_ids=[u.id for u in decision.assisting])
