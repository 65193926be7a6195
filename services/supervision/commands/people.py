"""The people who watch the cases: supervisors and their remit (edited by an admin), and resident supervisors'
certificates (issued and revoked by a supervisor; the holder kept masked, the credential only as its hash)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from services.supervision.adapters.store import CertificateRecord, SupervisionStore
from shared.credentials import credential_hash, new_credential
from shared.masking import mask_name, mask_personal_text
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused


async def set_supervisor(uow: UnitOfWork, supervisor_id: str, remit: dict, *, jurisdiction: str) -> None:
    """Add a supervisor or change one's remit; cases dispatched from now on follow it."""
    owner = await uow.store.supervisor_jurisdiction(supervisor_id)
    if owner is not None and owner != jurisdiction:
        raise Refused("taken", "this id belongs to another jurisdiction's supervisor", "supervisor_id", status=409)
    await uow.store.save_supervisor(supervisor_id, jurisdiction, remit)


async def issue_certificate(uow: UnitOfWork, *, holder_name: str, areas: list[str], valid_days: int,
                            jurisdiction: str, by: str) -> tuple[CertificateRecord, str]:
    """A certificate for some areas, numbered in the jurisdiction's sequence; and its credential (shown once)."""
    store: SupervisionStore = uow.store
    now = datetime.now(UTC)
    credential = new_credential("cert")
    certificate = CertificateRecord(
        id=uuid4(), number=f"DB-{now.year}-{await store.certificates_issued(jurisdiction) + 1:05d}",
        holder=mask_name(holder_name), jurisdiction_id=jurisdiction, areas=sorted(set(areas)),
        credential_hash=credential_hash(credential), issued_by=by, issued_at=now,
        expires_at=now + timedelta(days=valid_days))
    await store.add_certificate(certificate)
    return certificate, credential


async def revoke_certificate(uow: UnitOfWork, certificate_id: UUID, *, reason: str, jurisdiction: str,
                             by: str) -> CertificateRecord:
    """The credential stops working at once."""
    store: SupervisionStore = uow.store
    certificate = await store.lock_certificate(certificate_id)
    if certificate is None or certificate.jurisdiction_id != jurisdiction:
        raise Refused("not_found", "no such certificate", "certificate_id", status=404)
    if certificate.revoked_at is not None:
        raise Refused("already_revoked", "this certificate was revoked already", "certificate_id", status=409)
    return await store.revoke_certificate(certificate_id, by=by, reason=mask_personal_text(reason),
                                          at=datetime.now(UTC))
