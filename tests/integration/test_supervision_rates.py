"""The rates' read model on a real database: fed by supervision's handler table as the consumer runs it, refreshed
case by case, and rebuilt from its journal alone with the same numbers."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.supervision.adapters import read_model
from services.supervision.domain.rates import Kind
from services.supervision.handlers import HANDLERS
from shared.events import (
    AreaPath,
    CaseCompleted,
    CaseDeadlineSet,
    CaseDispatched,
    CaseReported,
    CaseReturned,
    CaseSigned,
    Channel,
    DeadlineKind,
    EvaluationSubmitted,
    ReportedLocation,
    Reporter,
    Verdict,
)

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
AREA = AreaPath(district_id="cn-changning", street_id="st-huayang", community_id="cm-xiushui", grid_id="cm-xiushui-g1")
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


async def _consume(uows, event, event_id=None):
    """As the consumer does: the event's handler from the table, in one unit of work."""
    async with uows() as uow:
        uow.caused_by(correlation_id=str(event.case_id), causation_id=event_id or str(uuid4()))
        await HANDLERS[type(event)](event, uow)


async def _case(uows, unit: str, *, signed_after: float, completed_after: float | None, verdict=None,
                returned=False):
    case_id = uuid4()
    await _consume(uows, CaseReported(
        case_id=case_id, tracking_code="T" + case_id.hex[:8], category_code="noise", category_class="livelihood",
        category_version=1, time_limit_class="complaint", description="噪音", channel=Channel.HOTLINE,
        location=ReportedLocation(lat=31.22, lon=121.43, area=AREA), reporter=Reporter(ref="r"), reported_at=T0))
    await _consume(uows, CaseDispatched(case_id=case_id, unit_id=unit, unit_name=unit, category_code="noise",
                                        time_limit_class="complaint", area=AREA, dispatched_at=T0))
    # Supervision reads its own deadline back from its topic; here, the one its handler just published.
    await _consume(uows, CaseDeadlineSet(case_id=case_id, unit_id=unit, kind=DeadlineKind.SIGN_FOR,
                                         due_at=T0 + timedelta(hours=2), policy="p", set_at=T0))
    await _consume(uows, CaseDeadlineSet(case_id=case_id, unit_id=unit, kind=DeadlineKind.COMPLETION,
                                         due_at=T0 + timedelta(days=10), policy="p", set_at=T0))
    signed = CaseSigned(case_id=case_id, unit_id=unit, unit_name=unit, signed_at=T0 + timedelta(hours=signed_after))
    await _consume(uows, signed, event_id="signed-" + case_id.hex)
    await _consume(uows, signed, event_id="signed-" + case_id.hex)  # redelivered: journaled once
    if returned:
        await _consume(uows, CaseReturned(case_id=case_id, unit_id=unit, reason="wrong_area", text="t",
                                          returned_at=T0 + timedelta(hours=3)))
    if completed_after is not None:
        done = T0 + timedelta(days=completed_after)
        await _consume(uows, CaseCompleted(case_id=case_id, unit_id=unit, unit_name=unit, result="r",
                                           completed_at=done))
        if verdict:
            await _consume(uows, EvaluationSubmitted(case_id=case_id, round=1, verdict=verdict, via="resident",
                                                     reporter_ref="rp-x", submitted_at=done + timedelta(hours=1)))


async def _numbers(uows):
    async with uows.sessionmaker() as session:
        return sorted(await read_model.counts(session, by="unit", start=EVER[0], end=EVER[1]))


async def test_the_rates_follow_the_events_and_a_rebuild_from_the_journal_gives_the_same_numbers(supervision_uows):
    uows = supervision_uows
    await _case(uows, "unit-good", signed_after=1, completed_after=3, verdict=Verdict.SATISFIED)
    await _case(uows, "unit-good", signed_after=1.5, completed_after=5, verdict=Verdict.BASICALLY_SATISFIED)
    await _case(uows, "unit-slow", signed_after=3, completed_after=12, verdict=Verdict.DISSATISFIED)
    await _case(uows, "unit-slow", signed_after=1, completed_after=None, returned=True)
    assert await _numbers(uows) == []  # nothing folded until the watch refreshes the stale cases
    assert await read_model.refresh_stale(uows) == 4
    live = await _numbers(uows)
    table = {(unit, kind): (measured, ok) for unit, kind, measured, ok in live}
    assert table[("unit-good", Kind.RESPONSE)] == (2, 2) and table[("unit-good", Kind.SATISFIED)] == (2, 2)
    assert table[("unit-slow", Kind.RESPONSE)] == (2, 1) and table[("unit-slow", Kind.ON_TIME)] == (1, 0)
    assert table[("unit-slow", Kind.RETURNED)] == (2, 1) and table[("unit-slow", Kind.SATISFIED)] == (1, 0)
    assert await read_model.rebuild(uows) == 4
    assert await _numbers(uows) == live
