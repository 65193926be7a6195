"""Residents' contacts, the only personal data: shown to a person who must call them, or handed to a service that
texts them; every one shown is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from services.intake.adapters.store import IntakeStore
from services.intake.domain.reports import reporter_ref
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused


async def reveal_reporters(uow: UnitOfWork, case_id: UUID, *, actor: str, actor_role: str, reason: str) -> list[dict]:
    """The full names and numbers of a case's reporters, for a person who must call them; every reveal is audited."""
    store: IntakeStore = uow.store
    if not await store.has_case(case_id):
        raise Refused("not_found", "no such case", "case_id", status=404)
    seen: dict[UUID, dict] = {}
    for contact in await store.contacts([case_id]):
        seen.setdefault(contact.reporter_id, {"reporter_ref": reporter_ref(contact.reporter_id, case_id),
                                              "name": contact.name, "phone": contact.phone, "role": contact.role})
    now = datetime.now(UTC)
    await store.audit_reveals([{"case_id": case_id, "reporter_id": rid, "actor": actor, "actor_role": actor_role,
                                "reason": reason, "at": now} for rid in seen])
    return list(seen.values())


async def numbers_for_delivery(uow: UnitOfWork, case_ids: Sequence[UUID], *, actor: str,
                               purpose: str) -> dict[UUID, list[dict]]:
    """The numbers of the cases' reporters (not their names), for a service that texts them; audited like a reveal."""
    store: IntakeStore = uow.store
    found: dict[UUID, dict[UUID, str]] = {}
    for contact in await store.contacts(list(case_ids), with_phone_only=True):
        found.setdefault(contact.case_id, {}).setdefault(contact.reporter_id, contact.phone)
    now = datetime.now(UTC)
    await store.audit_reveals([{"case_id": case_id, "reporter_id": rid, "actor": actor, "actor_role": "service",
                                "reason": purpose, "at": now}
                               for case_id, reporters in found.items() for rid in reporters])
    return {case_id: [{"reporter_ref": reporter_ref(rid, case_id), "phone": phone} for rid, phone in reporters.items()]
            for case_id, reporters in found.items()}
