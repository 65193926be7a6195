"""Administration: the category tree (every edit a new version; old cases keep theirs), the areas' names and Open311
API keys."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlalchemy import select

from services.intake.adapters import tables
from services.intake.api.context import CategoryCode, Strict
from services.intake.commands import categories
from services.intake.domain.categories import DATATYPES, PRIORITIES, TIME_LIMIT_CLASSES
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.local_time import LocalDatetime

router = APIRouter(prefix="/v1/admin", tags=["admin"])
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
Example = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=400)]


class AttributeValue(Strict):
    key: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    name: Label


class AttributeIn(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,49}$")]
    datatype: Literal[DATATYPES]  # type: ignore[valid-type]
    required: bool = False
    order: int = Field(1, ge=1, le=100)
    description: Annotated[str, StringConstraints(max_length=200)] = ""
    values: list[AttributeValue] = Field(default_factory=list, max_length=50)

    @field_validator("values")
    @classmethod
    def _lists_have_values(cls, values, info):
        if info.data.get("datatype") in ("singlevaluelist", "multivaluelist") and not values:
            raise ValueError("a list attribute needs values")
        return values


class CategoryIn(Strict):
    service_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,32}$")]
    class_code: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    name_zh: Label
    name_en: Label
    priority: Literal[PRIORITIES]  # type: ignore[valid-type]
    time_limit_class: Literal[TIME_LIMIT_CLASSES]  # type: ignore[valid-type]
    handle_locally: bool = False
    keywords: list[Word] = Field(min_length=1, max_length=100)
    examples: list[Example] = Field(default_factory=list, max_length=200)
    attributes: list[AttributeIn] = Field(default_factory=list, max_length=20)


class NewCategory(CategoryIn):
    code: CategoryCode


class CategoryVersion(BaseModel):
    code: str
    version: int
    current: bool
    active: bool
    service_code: str
    class_code: str
    name_zh: str
    name_en: str
    priority: str
    time_limit_class: str
    handle_locally: bool
    keywords: list[str]
    examples: list[str]
    attributes: list[dict]
    changed_by: str | None
    changed_at: LocalDatetime


def _version_view(row) -> CategoryVersion:
    return CategoryVersion(**{k: getattr(row, k) for k in CategoryVersion.model_fields})


@router.get("/categories", response_model=list[CategoryVersion], summary="Every sub-item's current version")
async def current_versions(session: ReadSession) -> list[CategoryVersion]:
    c = tables.categories.c
    rows = (await session.execute(select(tables.categories).where(c.current).order_by(c.class_code, c.code))).all()
    return [_version_view(r) for r in rows]


@router.get("/categories/{code}/versions", response_model=list[CategoryVersion],
            summary="Every version a sub-item has had, newest first")
async def versions(code: str, session: ReadSession) -> list[CategoryVersion]:
    c = tables.categories.c
    rows = (await session.execute(select(tables.categories).where(c.code == code).order_by(c.version.desc()))).all()
    if not rows:
        raise ApiError(404, "not_found", "no such sub-item", "code")
    return [_version_view(r) for r in rows]


def _fields(body: CategoryIn) -> dict:
    return {**body.model_dump(exclude={"code"}), "attributes": [a.model_dump() for a in body.attributes]}


@router.post("/categories", status_code=201, response_model=CategoryVersion, summary="Add a sub-item to the tree")
async def create_category(body: NewCategory, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> CategoryVersion:
    async with uow:
        stored = await categories.add_category(uow, body.code, _fields(body), by=principal.subject)
    return CategoryVersion(**stored)


@router.put("/categories/{code}", response_model=CategoryVersion,
            summary="Edit a sub-item: a new version becomes current; cases filed earlier keep theirs")
async def edit_category(code: str, body: CategoryIn, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> CategoryVersion:
    async with uow:
        stored = await categories.edit_category(uow, code, _fields(body), by=principal.subject)
    return CategoryVersion(**stored)


@router.delete("/categories/{code}", status_code=204, response_class=Response,
               summary="Retire a sub-item: no new report may use it; its cases keep it")
async def retire_category(code: str, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> Response:
    async with uow:
        await categories.retire_category(uow, code, by=principal.subject)
    return Response(status_code=204)


class ApiKeyIn(Strict):
    name: Label


class ApiKeyCreated(BaseModel):
    id: UUID
    name: str
    api_key: str = Field(description="Shown once; only its hash is kept")


class ApiKeyView(BaseModel):
    id: UUID
    name: str
    prefix: str
    created_at: LocalDatetime
    revoked_at: LocalDatetime | None


class AreaNames(Strict):
    name_zh: Label
    name_en: Label


class AreaView(BaseModel):
    id: str
    level: str
    parent_id: str | None
    name_zh: str
    name_en: str


@router.put("/areas/{area_id}", response_model=AreaView,
            summary="Rename an area (the district, a street, a community, a grid): every service names it anew")
async def rename_area(area_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")],
                      body: AreaNames, uow: UnitOfWorkDep) -> AreaView:
    async with uow:
        renamed = await categories.rename_area(uow, area_id, name_zh=body.name_zh, name_en=body.name_en)
    return AreaView(**renamed)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, summary="Create an Open311 API key")
async def create_api_key(body: ApiKeyIn, uow: UnitOfWorkDep) -> ApiKeyCreated:
    async with uow:
        key_id, api_key = await categories.create_api_key(uow, body.name)
    return ApiKeyCreated(id=key_id, name=body.name, api_key=api_key)


@router.get("/api-keys", response_model=list[ApiKeyView], summary="Open311 API keys (never the keys themselves)")
async def list_api_keys(session: ReadSession) -> list[ApiKeyView]:
    rows = (await session.execute(select(tables.api_keys).order_by(tables.api_keys.c.created_at))).all()
    return [ApiKeyView(id=r.id, name=r.name, prefix=r.prefix, created_at=r.created_at, revoked_at=r.revoked_at)
            for r in rows]


@router.delete("/api-keys/{key_id}", status_code=204, response_class=Response, summary="Revoke an Open311 API key")
async def revoke_api_key(key_id: UUID, uow: UnitOfWorkDep) -> Response:
    async with uow:
        await categories.revoke_api_key(uow, key_id)
    return Response(status_code=204)
