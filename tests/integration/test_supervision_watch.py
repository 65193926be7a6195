"""Supervision's deadline watch on a real database with the clock moved: each warning, breach and step of the ladder
fires exactly once with two instances polling together; clocks missed while supervision was down fire once; a burst
for one unit is spread."""

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.supervision.adapters import tables
from services.supervision.commands.firing import fire_due
from services.supervision.commands.handling import (
    give_clocks_on_dispatch,
    judge_verdict,
    know_reported,
    stop_on_completion,
    stop_sign_for,
)
from services.supervision.service import SPEC
from shared.events import (
    AreaPath,
    CaseCompleted,
    CaseDispatched,
    CaseReported,
    CaseSigned,
    Channel,
    EvaluationSubmitted,
    ReportedLocation,
    Reporter,
    Verdict,
    event_type,
)

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
AREA = AreaPath(district_id="cn-changning", street_id="st-huayang", community_id="cm-xiushui", grid_id="cm-xiushui-g1")


@pytest.fixture
def uows(supervision_uows):
    return supervision_uows


async def _given(uows, unit: str, *, at: datetime = MONDAY_9, category="noise", time_limit_class="complaint"):
    case_id = uuid4()
    reported = CaseReported(
        case_id=case_id, tracking_code="T" + case_id.hex[:8], category_code=category, category_class="livelihood",
        category_version=1, time_limit_class=time_limit_class, description="噪音", channel=Channel.SELF_SERVICE,
        location=ReportedLocation(lat=31.22, lon=121.43, area=AREA), reporter=Reporter(ref="r1"), reported_at=at)
    dispatched = CaseDispatched(case_id=case_id, unit_id=unit, unit_name=unit, category_code=category,
                                time_limit_class=time_limit_class, area=AREA, dispatched_at=at)
    for event, handler in ((reported, know_reported), (dispatched, give_clocks_on_dispatch)):
        async with uows(causation_id=str(uuid4())) as uow:
            uow.caused_by(correlation_id=str(case_id), causation_id=str(uuid4()))
            await handler(event, uow)
    return case_id


async def _events(uows, case_id=None) -> list[tuple[str, dict]]:
    outbox = SPEC.tables.outbox
    async with uows.sessionmaker() as session:
        rows = (await session.execute(select(outbox.c.type, outbox.c.data).order_by(outbox.c.id))).all()
    return [(r.type.split(".")[-2], r.data) for r in rows if case_id is None or r.data["case_id"] == str(case_id)]


async def _both(uows, now):
    return sum(await asyncio.gather(fire_due(uows, now=now), fire_due(uows, now=now)))


async def test_two_watchers_fire_each_warning_breach_and_step_of_the_ladder_exactly_once(uows):
    case_id = await _given(uows, "unit-a")
    deadlines = {d["kind"]: datetime.fromisoformat(d["due_at"]) for t, d in await _events(uows, case_id)
                 if t == "deadline_set"}
    assert deadlines["sign_for"] == MONDAY_9 + timedelta(hours=2)
    # Walk the clock on, two watchers polling at each step: finely through the sign-for time, then half-hourly
    # through the ten working days of a complaint and the ladder after it.
    steps = [MONDAY_9 + timedelta(minutes=6 * i) for i in range(1, 31)]
    steps += [steps[-1] + timedelta(minutes=30 * i) for i in range(1, 48 * 25)]
    for moment in steps:
        await _both(uows, moment)
    kinds = Counter((t, d.get("kind"), d.get("threshold"), d.get("level")) for t, d in await _events(uows, case_id)
                    if t in ("deadline_warned", "deadline_breached", "escalated"))
    assert kinds == Counter({
        ("deadline_warned", "sign_for", 0.5, None): 1, ("deadline_warned", "sign_for", 0.8, None): 1,
        ("deadline_breached", "sign_for", None, None): 1,
        ("deadline_warned", "completion", 0.5, None): 1, ("deadline_warned", "completion", 0.8, None): 1,
        ("deadline_breached", "completion", None, None): 1,
        # the sign-for breach started the ladder; it reached the district unanswered, so the completion breach
        # starts no second one
        ("escalated", None, None, "supervision_order"): 1, ("escalated", None, None, "street_leader"): 1,
        ("escalated", None, None, "district"): 1, ("deadline_breached", "reply", None, "district"): 1})
    async with uows.sessionmaker() as session:
        log = (await session.execute(select(tables.case_log.c.kind).where(tables.case_log.c.case_id == case_id)))\
            .scalars().all()
    assert Counter(log)["escalation"] == 3 and Counter(log)["breach"] == 2 and Counter(log)["warning"] == 4


async def test_a_clock_missed_while_supervision_was_down_breaches_once_without_stale_warnings(uows):
    case_id = await _given(uows, "unit-b")
    await _both(uows, MONDAY_9 + timedelta(days=30))
    await _both(uows, MONDAY_9 + timedelta(days=30, minutes=1))
    fired = [(t, d.get("kind")) for t, d in await _events(uows, case_id) if t.startswith("deadline_w") or
             t == "deadline_breached"]
    assert sorted(fired) == [("deadline_breached", "completion"), ("deadline_breached", "sign_for")]


async def test_a_signed_case_stops_its_sign_for_clock_and_answers_the_supervision_order(uows):
    case_id = await _given(uows, "unit-c")
    await fire_due(uows, now=MONDAY_9 + timedelta(hours=3))  # sign-for breached: a supervision order
    async with uows() as uow:
        uow.caused_by(correlation_id=str(case_id), causation_id=str(uuid4()))
        await stop_sign_for(CaseSigned(case_id=case_id, unit_id="unit-c", unit_name="C",
                                        signed_at=MONDAY_9 + timedelta(hours=4)), uow)
    async with uows.sessionmaker() as session:
        d = tables.deadlines.c
        rows = {r.kind: r for r in (await session.execute(select(tables.deadlines).where(d.case_id == case_id)))}
    assert (rows["sign_for"].status, rows["sign_for"].outcome) == ("closed", "late")
    assert (rows["reply"].status, rows["reply"].outcome) == ("closed", "answered")
    assert rows["completion"].status == "open"
    await fire_due(uows, now=MONDAY_9 + timedelta(days=2))  # no street leader for an answered order
    assert not [d for t, d in await _events(uows, case_id) if t == "escalated" and d["level"] == "street_leader"]


async def test_a_burst_for_one_unit_is_spread_over_the_following_minutes(uows):
    cases = [await _given(uows, "unit-busy") for _ in range(6)]
    breach_time = MONDAY_9 + timedelta(days=1)  # every sign-for clock breached at once
    handled = await fire_due(uows, now=breach_time, per_unit=2)
    assert handled == 6
    now_fired = [d for t, d in await _events(uows) if t == "deadline_breached" and d["case_id"] in map(str, cases)]
    assert len(now_fired) == 2
    await fire_due(uows, now=breach_time + timedelta(minutes=1), per_unit=2)
    await fire_due(uows, now=breach_time + timedelta(minutes=2), per_unit=2)
    later = [d for t, d in await _events(uows) if t == "deadline_breached" and d["case_id"] in map(str, cases)]
    assert len(later) == 6 and {d["due_at"] for d in later} == {now_fired[0]["due_at"]}


def test_event_names_are_the_declared_ones():
    assert event_type("case.deadline_warned") and event_type("case.deadline_breached")


async def _handle(uows, handler, event):
    async with uows() as uow:
        uow.caused_by(correlation_id=str(event.case_id), causation_id=str(uuid4()))
        await handler(event, uow)


async def test_a_completion_nobody_judged_in_time_asks_once_for_a_call_back(uows):
    case_id = await _given(uows, "unit-d")
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI)
    await _handle(uows, stop_on_completion, CaseCompleted(case_id=case_id, unit_id="unit-d", unit_name="D",
                                                         result="已处理", completed_at=friday_4pm))
    await _both(uows, datetime(2026, 12, 2, 17, 0, tzinfo=SHANGHAI))  # three working days are not over yet
    assert not [d for t, d in await _events(uows, case_id) if t == "callback_requested"]
    await _both(uows, datetime(2026, 12, 2, 17, 31, tzinfo=SHANGHAI))
    await _both(uows, datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI))
    asked = [d for t, d in await _events(uows, case_id) if t == "callback_requested"]
    assert len(asked) == 1 and asked[0]["round"] == 1


async def test_dissatisfied_rounds_reopen_up_to_the_cap_then_an_explanation_meeting_is_called(uows):
    case_id = await _given(uows, "unit-e")
    for round_ in (1, 2, 3):
        done = MONDAY_9 + timedelta(days=round_)
        await _handle(uows, stop_on_completion, CaseCompleted(case_id=case_id, unit_id="unit-e", unit_name="E",
                                                             result="已处理", completed_at=done))
        verdict = EvaluationSubmitted(case_id=case_id, round=round_, verdict=Verdict.DISSATISFIED, via="resident",
                                      comment="还是很吵", submitted_at=done + timedelta(hours=1))
        await _handle(uows, judge_verdict, verdict)
        await _handle(uows, judge_verdict, verdict.model_copy(update={"via": "callback"}))  # same round
    outcomes = [(t, d["round"]) for t, d in await _events(uows, case_id)
                if t in ("reopened", "explanation_meeting_called")]
    assert outcomes == [("reopened", 1), ("reopened", 2), ("explanation_meeting_called", 3)]
    async with uows.sessionmaker() as session:
        meeting = (await session.execute(select(tables.meetings).where(tables.meetings.c.case_id == case_id))).one()
        verdict_clocks = (await session.execute(select(tables.deadlines.c.outcome).where(
            tables.deadlines.c.case_id == case_id, tables.deadlines.c.kind == "verdict"))).scalars().all()
    assert (meeting.round, meeting.status) == (3, "called")
    assert verdict_clocks == ["met", "met", "met"]


async def test_a_missing_year_of_the_working_calendar_is_reported_as_degraded_until_it_is_loaded(uows):
    from sqlalchemy import delete

    from services.supervision.commands.firing import check_calendars
    from services.supervision.commands.time_rules import calendar_gaps
    from shared.local_time import LOCAL_ZONE

    today = datetime.now(LOCAL_ZONE).date()
    # From mid-October next year's calendar is needed too; the statutory package may not know it yet.
    before = await calendar_gaps(uows)
    assert all(gap == f"calendar_year_missing: cn-changning {today.year + 1}" for gap in before)
    async with uows() as uow:
        await uow.session.execute(delete(tables.calendar_years).where(tables.calendar_years.c.year == today.year))
    assert await calendar_gaps(uows) == [f"calendar_year_missing: cn-changning {today.year}", *before]
    await check_calendars(uows, today=today)  # the statutory calendar knows this year: loaded again
    assert await calendar_gaps(uows) == before
