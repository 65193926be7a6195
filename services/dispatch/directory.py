"""The unit directory over HTTP: units of every kind with parent, areas served, categories, contact and working
hours; anyone signed in reads it, an admin adds and edits units (every edit reloads routing in every process)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.dispatch import tables
from shared.auth import Role
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.security import CurrentPrincipal, require_roles
from shared.persistence.versioned_cache import bump_version

router = APIRouter(prefix="/v1/units", tags=["unit directory"])

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


@router.get("", response_model=list[UnitView], summary="Units, by kind, area served or category handled")
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


@router.get("/{unit_id}", response_model=UnitView, summary="One unit")
async def one_unit(unit_id: str, principal: CurrentPrincipal, session: ReadSession) -> UnitView:
    row = (await session.execute(select(tables.units).where(tables.units.c.id == unit_id))).first()
    if row is None:
        raise ApiError(404, "not_found", "no such unit", "unit_id")
    return _view(row)


async def _check_parent(session, unit_id: str, parent_id: str | None) -> None:
    if parent_id is None:
        return
    if parent_id == unit_id:
        raise ApiError(422, "invalid_parent", "a unit is not its own parent", "parent_id")
    if await session.scalar(select(tables.units.c.id).where(tables.units.c.id == parent_id)) is None:
        raise ApiError(422, "unknown_unit", "no such parent unit", "parent_id")


@router.post("", status_code=201, response_model=UnitView, dependencies=[require_roles(Role.ADMIN)],
             summary="Add a unit to the directory")
async def add_unit(body: NewUnit, uow: UnitOfWorkDep) -> UnitView:
    async with uow:
        await _check_parent(uow.session, body.id, body.parent_id)
        created = await uow.session.scalar(pg_insert(tables.units).values(**body.model_dump())
                                           .on_conflict_do_nothing().returning(tables.units.c.id))
        if created is None:
            raise ApiError(409, "unit_exists", "a unit with this id exists; edit it instead", "id")
        await bump_version(uow.session, tables.directory_version)
    return UnitView(**body.model_dump())


@router.put("/{unit_id}", response_model=UnitView, dependencies=[require_roles(Role.ADMIN)],
            summary="Edit a unit (routing reloads at once)")
async def edit_unit(unit_id: Code, body: UnitIn, uow: UnitOfWorkDep) -> UnitView:
    async with uow:
        await _check_parent(uow.session, unit_id, body.parent_id)
        changed = await uow.session.scalar(update(tables.units).where(tables.units.c.id == unit_id)
                                           .values(**body.model_dump()).returning(tables.units.c.id))
        if changed is None:
            raise ApiError(404, "not_found", "no such unit", "unit_id")
        await bump_version(uow.session, tables.directory_version)
    return UnitView(id=unit_id, **body.model_dump())
