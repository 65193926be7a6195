"""The category tree as an admin edits it: every edit a new version (cases keep the version they were filed under),
retiring stops new reports; and the Open311 API keys partner apps report with (only a hash is kept)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from services.intake.adapters.store import CATEGORY_FIELDS, IntakeStore
from shared.credentials import credential_hash, new_credential
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused


async def _check(store: IntakeStore, code: str, fields: dict) -> None:
    if not await store.class_exists(fields["class_code"]):
        raise Refused("unknown_class", "no such class in the tree", "class_code")
    if await store.service_code_taken(fields["service_code"], by_other_than=code):
        raise Refused("service_code_taken", "another sub-item has this service code", "service_code", status=409)


async def add_category(uow: UnitOfWork, code: str, fields: dict, *, by: str) -> dict:
    """A new sub-item, version 1; the version as stored."""
    store: IntakeStore = uow.store
    if await store.category_versions(code):
        raise Refused("category_exists", "a sub-item with this code exists; edit it instead", "code", status=409)
    await _check(store, code, fields)
    await store.add_category_version(code, 1, fields, active=True, by=by, at=datetime.now(UTC))
    return (await store.category_versions(code))[0]


async def edit_category(uow: UnitOfWork, code: str, fields: dict, *, by: str) -> dict:
    """A new current version of the sub-item; the version as stored."""
    store: IntakeStore = uow.store
    versions = await store.category_versions(code)
    if not versions:
        raise Refused("not_found", "no such sub-item", "code", status=404)
    await _check(store, code, fields)
    await store.add_category_version(code, versions[0]["version"] + 1, fields, active=True, by=by,
                                     at=datetime.now(UTC))
    return (await store.category_versions(code))[0]


async def retire_category(uow: UnitOfWork, code: str, *, by: str) -> None:
    """No new report may use the sub-item (a new, inactive version); its cases keep it."""
    store: IntakeStore = uow.store
    versions = await store.category_versions(code)
    current = next((v for v in versions if v["current"]), None)
    if current is None or not current["active"]:
        raise Refused("not_found", "no such active sub-item", "code", status=404)
    await store.add_category_version(code, current["version"] + 1, {k: current[k] for k in CATEGORY_FIELDS},
                                     active=False, by=by, at=datetime.now(UTC))


async def create_api_key(uow: UnitOfWork, name: str) -> tuple[UUID, str]:
    """A new key (its id, and the key itself: shown once)."""
    key_id, api_key = uuid4(), new_credential("gl")
    await uow.store.add_api_key(key_id, name=name, key_hash=credential_hash(api_key), prefix=api_key[:7],
                                at=datetime.now(UTC))
    return key_id, api_key


async def revoke_api_key(uow: UnitOfWork, key_id: UUID) -> None:
    if not await uow.store.revoke_api_key(key_id, at=datetime.now(UTC)):
        raise Refused("not_found", "no such active key", "key_id", status=404)


async def rename_area(uow: UnitOfWork, area_id: str, *, name_zh: str, name_en: str) -> dict:
    """An area's names (the map's shape is the ground's, not an admin's edit): every service names it anew."""
    renamed = await uow.store.rename_area(area_id, name_zh=name_zh, name_en=name_en)
    if renamed is None:
        raise Refused("not_found", "no such area", "area_id", status=404)
    return renamed
