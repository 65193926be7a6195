"""The console's read model of every case, folded from the four services' events as each arrives: what the
resident reported, who has it, how far it went, and how its clocks stand."""

from __future__ import annotations

from datetime import UTC, datetime

from services.console.adapters.store import ConsoleStore
from shared.events import (
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineBreached,
    CaseDeadlineWarned,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseEscalated,
    CaseOpenedForClaiming,
    CaseProgressNoted,
    CaseReclassified,
    CaseRedispatched,
    CaseReopened,
    CaseReported,
    CaseReturned,
    CaseSigned,
    CaseTransferred,
    EvaluationSubmitted,
)
from shared.messaging.unit_of_work import UnitOfWork


async def note_reported(event: CaseReported, uow: UnitOfWork) -> None:
    store: ConsoleStore = uow.store
    area = event.location.area
    await store.case_reported(event.case_id, dict(
        tracking_code=event.tracking_code, category_code=event.category_code, district_id=area.district_id,
        street_id=area.street_id, community_id=area.community_id, grid_id=area.grid_id, lat=event.location.lat,
        lon=event.location.lon, channel=event.channel.value, urgent=event.urgent, description=event.description,
        reported_at=event.reported_at), status="triage" if event.needs_triage else "received", at=_now())


async def note_reclassified(event: CaseReclassified, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), category_code=event.category_code)


async def note_given(event: CaseDispatched | CaseRedispatched | CaseTransferred | CaseClaimed,
                     uow: UnitOfWork) -> None:
    """A unit has the case: its clocks start afresh."""
    await uow.store.case_moved(event.case_id, _now(), status="dispatched", unit_id=event.unit_id, clock_state=None,
                               escalation_level=None, awaiting_verdict=False)


async def note_on_board(event: CaseOpenedForClaiming, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="on_claiming_board", unit_id=None, clock_state=None)


async def note_returned(event: CaseReturned, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="triage", unit_id=None, clock_state=None,
                               escalation_level=None)


async def note_signed(event: CaseSigned, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="signed")


async def note_progress(event: CaseProgressNoted, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="in_progress", escalation_level=None)


async def note_completed(event: CaseCompleted, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="completed", clock_state=None, escalation_level=None,
                               awaiting_verdict=True)


async def note_verdict(event: EvaluationSubmitted, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), awaiting_verdict=False)


async def note_reopened(event: CaseReopened, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="reopened", awaiting_verdict=False)


async def note_warned(event: CaseDeadlineWarned, uow: UnitOfWork) -> None:
    await uow.store.case_clock(event.case_id, _now(), "warned")


async def note_breached(event: CaseDeadlineBreached, uow: UnitOfWork) -> None:
    await uow.store.case_clock(event.case_id, _now(), "breached")


async def note_escalated(event: CaseEscalated, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), escalation_level=event.level.value)


async def note_co_reporters(event: CaseDuplicateLinked, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), residents_affected=event.residents_affected)


def _now() -> datetime:
    return datetime.now(UTC)
