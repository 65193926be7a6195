"""The console's read model of every case, folded from the four services' events as each arrives: what the
resident reported, who has it, how far it went, and how its clocks stand."""

from __future__ import annotations

from datetime import UTC, datetime

from services.console.adapters.store import ConsoleStore
from shared.events import (
    CaseCheckInMissed,
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineBreached,
    CaseDeadlineSet,
    CaseDeadlineWarned,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseEscalated,
    CaseJointHandlingStarted,
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
from shared.events.contract import Event
from shared.events.reference import AreaChanged
from shared.messaging.unit_of_work import UnitOfWork
from shared.reference.keeping import keep_area
from shared.reference.labels import label, local_time
from shared.reference.names import Names


async def note_reported(event: CaseReported, uow: UnitOfWork) -> None:
    store: ConsoleStore = uow.store
    area = event.location.area
    await store.case_reported(event.case_id, dict(
        tracking_code=event.tracking_code, category_code=event.category_code, district_id=area.district_id,
        street_id=area.street_id, community_id=area.community_id, grid_id=area.grid_id, lat=event.location.lat,
        lon=event.location.lon, channel=event.channel.value, urgent=event.urgent, description=event.description,
        address=event.location.address, photo_ids=[str(p) for p in event.photo_ids], reported_at=event.reported_at), status="triage" if event.needs_triage else "received", at=_now())
    await _line(uow, event, event.reported_at, "reported",
                lambda n: f"受理（{label('channel', event.channel)}）：{event.description}",
                lambda n: f"Received ({label('channel', event.channel, 'en')}): {event.description}")


async def note_reclassified(event: CaseReclassified, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), category_code=event.category_code)


async def note_given(event: CaseDispatched | CaseRedispatched | CaseTransferred | CaseClaimed,
                     uow: UnitOfWork) -> None:
    """A unit has the case: its clocks start afresh."""
    assisting = [u for u in getattr(event, "assisting_unit_ids", ()) if u != event.unit_id]
    await uow.store.case_moved(event.case_id, _now(), status="dispatched", unit_id=event.unit_id, clock_state=None,
                               escalation_level=None, awaiting_verdict=False, unit_ids=[event.unit_id, *assisting],
                               given_at=uow.occurred_at or _now())
    await _line(uow, event, uow.occurred_at or _now(), "given", lambda n: f"派发至{n.unit(event.unit_id)}",
                lambda n: f"Given to {n.unit(event.unit_id, 'en')}")


async def note_on_board(event: CaseOpenedForClaiming, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="on_claiming_board", unit_id=None, clock_state=None)


async def note_returned(event: CaseReturned, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="triage", unit_id=None, clock_state=None,
                               escalation_level=None)
    await _line(uow, event, event.returned_at, "returned",
                lambda n: f"{n.unit(event.unit_id)}退回（{label('return', event.reason)}）：{event.text}",
                lambda n: f"Returned by {n.unit(event.unit_id, 'en')} ({label('return', event.reason, 'en')}): "
                          f"{event.text}")


async def note_signed(event: CaseSigned, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="signed")
    await _line(uow, event, event.signed_at, "signed", lambda n: f"{n.unit(event.unit_id)}已签收",
                lambda n: f"Signed for by {n.unit(event.unit_id, 'en')}")


async def note_progress(event: CaseProgressNoted, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="in_progress", escalation_level=None)
    await _line(uow, event, event.noted_at, "progress", lambda n: f"{n.unit(event.unit_id)}办理进展：{event.text}",
                lambda n: f"Progress by {n.unit(event.unit_id, 'en')}: {event.text}")


async def note_completed(event: CaseCompleted, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="completed", clock_state=None, escalation_level=None,
                               awaiting_verdict=True)
    await _line(uow, event, event.completed_at, "completed", lambda n: f"{n.unit(event.unit_id)}已办结：{event.result}",
                lambda n: f"Completed by {n.unit(event.unit_id, 'en')}: {event.result}")


async def note_verdict(event: EvaluationSubmitted, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), awaiting_verdict=False)
    await _line(uow, event, event.submitted_at, "verdict", lambda n: f"居民评价：{label('verdict', event.verdict)}",
                lambda n: f"Resident's verdict: {label('verdict', event.verdict, 'en')}")


async def note_reopened(event: CaseReopened, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), status="reopened", awaiting_verdict=False)


async def note_summoned(event: CaseJointHandlingStarted, uow: UnitOfWork) -> None:
    """The whistle: several units summoned to one case, each to check in by a time."""
    await uow.store.case_moved(event.case_id, _now(), summons={
        "units": list(event.unit_ids), "check_in_by": event.check_in_by.isoformat(), "missed": []})
    await _line(uow, event, event.started_at, "summoned",
                lambda n: f"联合处置：召集{n.units(event.unit_ids)}，须于{local_time(event.check_in_by)}前报到",
                lambda n: f"Joint handling: {n.units(event.unit_ids, 'en')} summoned, to check in by "
                          f"{local_time(event.check_in_by)}")


async def note_check_in_missed(event: CaseCheckInMissed, uow: UnitOfWork) -> None:
    await uow.store.case_missed_check_in(event.case_id, _now(), list(event.unit_ids), event.check_in_by)
    await _line(uow, event, event.flagged_at, "check_in_missed",
                lambda n: f"{n.units(event.unit_ids)}未在{local_time(event.check_in_by)}前报到",
                lambda n: f"{n.units(event.unit_ids, 'en')} did not check in by {local_time(event.check_in_by)}")


async def note_deadline(event: CaseDeadlineSet, uow: UnitOfWork) -> None:
    await uow.store.case_deadline(event.case_id, _now(), event.unit_id, event.kind.value, due_at=event.due_at,
                                  set_at=event.set_at)


async def note_warned(event: CaseDeadlineWarned, uow: UnitOfWork) -> None:
    await uow.store.case_clock(event.case_id, _now(), "warned")


async def note_breached(event: CaseDeadlineBreached, uow: UnitOfWork) -> None:
    await uow.store.case_clock(event.case_id, _now(), "breached")
    await _line(uow, event, event.breached_at, "breached",
                lambda n: f"红色超时：{n.unit(event.unit_id)}{label('kind', event.kind)}时限{local_time(event.due_at)}已过",
                lambda n: f"Breached: {n.unit(event.unit_id, 'en')} missed the {label('kind', event.kind, 'en')} "
                          f"deadline of {local_time(event.due_at)}")


async def note_escalated(event: CaseEscalated, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), escalation_level=event.level.value)


async def note_co_reporters(event: CaseDuplicateLinked, uow: UnitOfWork) -> None:
    await uow.store.case_moved(event.case_id, _now(), residents_affected=event.residents_affected)


async def note_area(event: AreaChanged, uow: UnitOfWork) -> None:
    """An area's name, as every service keeps it, and its boundary for the map."""
    await keep_area(event, uow)
    if event.polygon:
        await uow.store.keep_shape(event.area_id, event.level, event.parent_id, event.polygon)


def _now() -> datetime:
    return datetime.now(UTC)


async def _line(uow: UnitOfWork, event: Event, at: datetime, kind: str, zh, en) -> None:
    """A line of the case's merged timeline; ``zh`` and ``en`` are made from the names the console keeps."""
    names: Names = await uow.store.names()
    await uow.store.add_line(uow.causation_id or f"{event.type}:{event.key}:{at.isoformat()}", event.case_id, at,
                             service=event.topic.owner, kind=kind, text_zh=zh(names), text_en=en(names))
