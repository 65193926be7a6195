"""Residents' contacts, the only personal data: shown to a person who must call them, or handed to a service that
texts them; every one shown is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from services.intake.adapters.store import IntakeStore
from services.intake.domain.cases import is_mobile
from services.intake.domain.reports import reporter_ref
from services.intake.domain.reveals import REVEAL_REASONS, REVEAL_WINDOW, RevealCaller, may_call_residents, retry_after
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import RateLimited, Refused


async def reveal_reporters(uow: UnitOfWork, case_id: UUID, *, caller: RevealCaller, reason_code: str, note: str,
                           limit_per_hour: int, now: datetime | None = None) -> list[dict]:
    """The full names and numbers of a case's reporters, for a person who must call them back: an operator, or the
    supervisor watching the case; a few cases an hour per person; every reveal audited with who, role, unit, scope
    and why."""
    store: IntakeStore = uow.store
    now = now or datetime.now(UTC)
    found, supervisor = await store.case_supervisor(case_id)
    if not found:
        raise Refused("not_found", "no such case", "case_id", status=404)
    if not may_call_residents(caller, supervisor):
        raise Refused("not_case_supervisor", "only the supervisor watching this case (or an operator) may call its "
                      "residents", status=403)
    revealed = await store.cases_revealed_by(caller.subject, since=now - REVEAL_WINDOW)
    if case_id not in revealed:  # calling the same residents again within the hour is not another case
        wait = retry_after(list(revealed.values()), limit=limit_per_hour, now=now)
        if wait is not None:
            raise RateLimited("too_many_reveals", f"at most {limit_per_hour} cases' contacts an hour; try again "
                              "later", wait)
    seen: dict[UUID, dict] = {}
    for contact in await store.contacts([case_id]):
        seen.setdefault(contact.reporter_id, {"reporter_ref": reporter_ref(contact.reporter_id, case_id),
                                              "name": contact.name, "phone": contact.phone, "role": contact.role})
    wording = REVEAL_REASONS[reason_code][0]
    await store.audit_reveals([{"case_id": case_id, "reporter_id": rid, "actor": caller.subject,
                                "actor_role": caller.role, "actor_unit": caller.unit_id,
                                "actor_scope": "/".join(caller.scope), "reason_code": reason_code,
                                "reason": wording, "purpose_note": note, "at": now} for rid in seen])
    return list(seen.values())


async def numbers_for_delivery(uow: UnitOfWork, case_ids: Sequence[UUID], *, actor: str,
                               purpose: str) -> dict[UUID, list[dict]]:
    """The mobile numbers of the cases' reporters (not their names, nor landlines: a text reaches only a mobile), for
    a service that texts them; audited like a reveal."""
    store: IntakeStore = uow.store
    found: dict[UUID, dict[UUID, str]] = {}
    for contact in await store.contacts(list(case_ids), with_phone_only=True):
        if is_mobile(contact.phone):
            found.setdefault(contact.case_id, {}).setdefault(contact.reporter_id, contact.phone)
    now = datetime.now(UTC)
    await store.audit_reveals([{"case_id": case_id, "reporter_id": rid, "actor": actor, "actor_role": "service",
                                "reason": purpose, "at": now}
                               for case_id, reporters in found.items() for rid in reporters])
    return {case_id: [{"reporter_ref": reporter_ref(rid, case_id), "phone": phone} for rid, phone in reporters.items()]
            for case_id, reporters in found.items()}


async def caller_history(uow: UnitOfWork, phone: str, *, caller: RevealCaller, grids: frozenset[str],
                         limit: int = 20) -> list[dict]:
    """The cases a caller reported (first or as a co-reporter), newest first, within the operator's scope, while
    they are on the line: which cases a number raised is a resident's data, so each case shown is audited."""
    store: IntakeStore = uow.store
    found = await store.cases_reported_by(phone, grids, limit=limit)
    now = datetime.now(UTC)
    await store.audit_reveals([{"case_id": c["case_id"], "reporter_id": c["reporter_id"], "actor": caller.subject,
                                "actor_role": caller.role, "actor_unit": caller.unit_id,
                                "actor_scope": "/".join(caller.scope), "reason_code": None,
                                "reason": "接听来电：来电人的历史诉求", "at": now} for c in found])
    return found
