"""Officials' commitments (source 002): a supervisor keeps each official's contact card and the matters committed
to by a day, records when one is kept; resident supervisors score them; the mirror wall shows them all."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from services.supervision.adapters.store import SupervisionStore
from shared.local_time import LOCAL_ZONE
from shared.masking import mask_personal_text
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused


async def add_official(uow: UnitOfWork, *, name: str, post: str, area_id: str, office_phone: str | None,
                       duties: str | None, jurisdiction: str, by: str) -> dict:
    official = dict(id=uuid4(), jurisdiction_id=jurisdiction, area_id=area_id, name=name.strip(), post=post.strip(),
                    office_phone=office_phone, duties=mask_personal_text(duties) if duties else None, created_by=by,
                    created_at=datetime.now(UTC))
    await uow.store.add_official(official)
    return official


async def commit(uow: UnitOfWork, official_id: UUID, *, matter: str, due_on: date, scope: tuple[str, ...],
                 by: str) -> dict:
    """A matter the official committed to, by a day (not one already past)."""
    store: SupervisionStore = uow.store
    official = await store.official(official_id)
    if official is None or official["jurisdiction_id"] != scope[0]:
        raise Refused("not_found", "no such official", "official_id", status=404)
    if due_on < datetime.now(LOCAL_ZONE).date():
        raise Refused("out_of_range", "a commitment's day cannot be in the past", "due_on")
    commitment = dict(id=uuid4(), official_id=official_id, matter=mask_personal_text(matter.strip()), due_on=due_on,
                      kept_on=None, kept_note=None, created_by=by, created_at=datetime.now(UTC))
    await store.add_commitment(commitment)
    return commitment


async def keep(uow: UnitOfWork, commitment_id: UUID, *, note: str, jurisdiction: str) -> dict:
    """The official kept the commitment today (in the jurisdiction's calendar); once."""
    store: SupervisionStore = uow.store
    found = await store.commitment(commitment_id)
    if found is None or found["jurisdiction_id"] != jurisdiction:
        raise Refused("not_found", "no such commitment", "commitment_id", status=404)
    if found["kept_on"] is not None:
        raise Refused("already_kept", "this commitment was recorded as kept already", "commitment_id", status=409)
    kept = await store.keep_commitment(commitment_id, kept_on=datetime.now(LOCAL_ZONE).date(),
                                       note=mask_personal_text(note.strip()))
    return kept


async def score(uow: UnitOfWork, commitment_id: UUID, *, certificate_id: UUID, jurisdiction: str,
                areas: list[str], value: int, comment: str | None) -> None:
    """A resident supervisor's score of a commitment made for one of the certificate's areas or an area above them
    (a street's official is scored by the residents of its communities); a second score replaces the first."""
    store: SupervisionStore = uow.store
    found = await store.commitment(commitment_id)
    names = await store.names()
    if found is None or found["jurisdiction_id"] != jurisdiction or not any(
            found["area_id"] in names.area_path(area) for area in areas):
        raise Refused("not_found", "no such commitment in the certificate's areas", "commitment_id", status=404)
    await store.score_commitment(commitment_id, certificate_id, score=value,
                                 comment=mask_personal_text(comment) if comment else None, at=datetime.now(UTC))
