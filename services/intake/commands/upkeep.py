"""Intake's housekeeping: reference data warmed before the first report needs it, older cases given their words,
photos never attached dropped."""

from __future__ import annotations

from datetime import timedelta

from services.intake.adapters.store import IntakeStore
from services.intake.domain.classification import words
from shared.messaging.unit_of_work import UnitOfWork

ORPHAN_PHOTO_AGE = timedelta(hours=24)


async def warm_reference(uow: UnitOfWork) -> None:
    """Train the classifier and build the map now, not on the first report."""
    await uow.store.category_tree()
    await uow.store.ground()


async def fill_case_words(uow: UnitOfWork, *, batch: int = 500) -> int:
    """Cases filed before their words were kept get them, open ones first (duplicate finding reads those)."""
    store: IntakeStore = uow.store
    cases = await store.cases_without_words(limit=batch)
    for case_id, description in cases:
        await store.update_case(case_id, words=" ".join(words(description)))
    return len(cases)


async def purge_orphan_photos(uow: UnitOfWork, older_than: timedelta = ORPHAN_PHOTO_AGE) -> int:
    """Photos uploaded but never attached to a report are dropped after a while."""
    return await uow.store.drop_unattached_photos(older_than)
