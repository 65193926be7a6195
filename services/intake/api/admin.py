"""Administration: the category tree (every edit a new version; old cases keep theirs) and Open311 API keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlalchemy import func, insert, select, update

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree
from services.intake.api.context import CategoryCode, Strict
from services.intake.domain.categories import DATATYPES, PRIORITIES, TIME_LIMIT_CLASSES
from shared.auth import Role
from shared.credentials import credential_hash, new_credential
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.http.errors import ApiError
from shared.http.security import CurrentPrincipal, require_roles
from shared.persistence.versioned_cache import bump_version

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[require_roles(Role.ADMIN)])
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
    changed_at: datetime


def _version_view(row) -> CategoryVersion:
    return CategoryVersion(**{k: getattr(row, k) for k in CategoryVersion.model_fields})


async def _check_references(session, body: CategoryIn, code: str) -> None:
    if await session.scalar(select(tables.category_classes.c.code).where(
            tables.category_classes.c.code == body.class_code)) is None:
        raise ApiError(422, "unknown_class", "no such class in the tree", "class_code")
    c = tables.categories.c
    taken = await session.scalar(select(c.code).where(c.current, c.active, c.service_code == body.service_code,
                                                      c.code != code))
    if taken is not None:
        raise ApiError(409, "service_code_taken", "another sub-item has this service code", "service_code")


async def _write_version(session, code: str, version: int, body: CategoryIn, actor: str, active: bool = True) -> None:
    c = tables.categories.c
    await session.execute(update(tables.categories).where(c.code == code, c.current).values(current=False))
    await session.execute(insert(tables.categories).values(
        code=code, version=version, class_code=body.class_code, name_zh=body.name_zh, name_en=body.name_en,
        time_limit_class=body.time_limit_class, priority=body.priority, handle_locally=body.handle_locally,
        keywords=body.keywords, examples=body.examples, attributes=[a.model_dump() for a in body.attributes],
        service_code=body.service_code, current=True, active=active, changed_by=actor, changed_at=datetime.now(UTC)))
    await bump_version(session, tables.category_tree_version)


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


@router.post("/categories", status_code=201, response_model=CategoryVersion, summary="Add a sub-item to the tree")
async def create_category(body: NewCategory, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> CategoryVersion:
    c = tables.categories.c
    async with uow:
        if await uow.session.scalar(select(c.code).where(c.code == body.code).limit(1)) is not None:
            raise ApiError(409, "category_exists", "a sub-item with this code exists; edit it instead", "code")
        await _check_references(uow.session, body, body.code)
        await _write_version(uow.session, body.code, 1, body, principal.subject)
        row = (await uow.session.execute(select(tables.categories).where(c.code == body.code, c.current))).one()
    category_tree.invalidate()
    return _version_view(row)


@router.put("/categories/{code}", response_model=CategoryVersion,
            summary="Edit a sub-item: a new version becomes current; cases filed earlier keep theirs")
async def edit_category(code: str, body: CategoryIn, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> CategoryVersion:
    c = tables.categories.c
    async with uow:
        latest = await uow.session.scalar(select(func.max(c.version)).where(c.code == code))
        if latest is None:
            raise ApiError(404, "not_found", "no such sub-item", "code")
        await _check_references(uow.session, body, code)
        await _write_version(uow.session, code, latest + 1, body, principal.subject)
        row = (await uow.session.execute(select(tables.categories).where(c.code == code, c.current))).one()
    category_tree.invalidate()
    return _version_view(row)


@router.delete("/categories/{code}", status_code=204, response_class=Response,
               summary="Retire a sub-item: no new report may use it; its cases keep it")
async def retire_category(code: str, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> Response:
    c = tables.categories.c
    async with uow:
        row = (await uow.session.execute(select(tables.categories).where(c.code == code, c.current))).first()
        if row is None or not row.active:
            raise ApiError(404, "not_found", "no such active sub-item", "code")
        body = CategoryIn(service_code=row.service_code, class_code=row.class_code, name_zh=row.name_zh,
                          name_en=row.name_en, priority=row.priority, time_limit_class=row.time_limit_class,
                          handle_locally=row.handle_locally, keywords=row.keywords, examples=row.examples,
                          attributes=row.attributes)
        await _write_version(uow.session, code, row.version + 1, body, principal.subject, active=False)
    category_tree.invalidate()
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
    created_at: datetime
    revoked_at: datetime | None


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, summary="Create an Open311 API key")
async def create_api_key(body: ApiKeyIn, uow: UnitOfWorkDep) -> ApiKeyCreated:
    key_id, api_key = uuid4(), new_credential("gl")
    async with uow:
        await uow.session.execute(insert(tables.api_keys).values(
            id=key_id, name=body.name, key_hash=credential_hash(api_key), prefix=api_key[:7], created_at=datetime.now(UTC)))
    return ApiKeyCreated(id=key_id, name=body.name, api_key=api_key)


@router.get("/api-keys", response_model=list[ApiKeyView], summary="Open311 API keys (never the keys themselves)")
async def list_api_keys(session: ReadSession) -> list[ApiKeyView]:
    rows = (await session.execute(select(tables.api_keys).order_by(tables.api_keys.c.created_at))).all()
    return [ApiKeyView(id=r.id, name=r.name, prefix=r.prefix, created_at=r.created_at, revoked_at=r.revoked_at)
            for r in rows]


@router.delete("/api-keys/{key_id}", status_code=204, response_class=Response, summary="Revoke an Open311 API key")
async def revoke_api_key(key_id: UUID, uow: UnitOfWorkDep) -> Response:
    async with uow:
        done = await uow.session.execute(update(tables.api_keys).where(
            tables.api_keys.c.id == key_id, tables.api_keys.c.revoked_at.is_(None)).values(revoked_at=datetime.now(UTC)))
        if done.rowcount == 0:
            raise ApiError(404, "not_found", "no such active key", "key_id")
    return Response(status_code=204)
