"""Supervision's commands and handler table on the fake store: clocks given, stopped, paused and moved; the poller's
warnings, breaches and ladder; verdicts, reopenings and meetings; extension decisions and urging. The same paths run
on PostgreSQL in the integration tests (watch, rates, reports) and end to end."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from services.supervision.adapters.store import Panel, SupervisionStore
from services.supervision.commands import people, time_rules
from services.supervision.commands.evaluation import mark_wide_impact, observe, rate_case, seat_panel
from services.supervision.commands.extensions import decide_extension, urge
from services.supervision.commands.firing import fire_due
from services.supervision.commands.meetings import record_meeting, schedule_meeting
from services.supervision.domain.calendar import CalendarDay
from services.supervision.handlers import HANDLERS
from shared.events import (
    CaseCallbackRequested,
    CaseCompleted,
    CaseDeadlineBreached,
    CaseDeadlineSet,
    CaseDeadlineWarned,
    CaseDispatched,
    CaseEscalated,
    CaseExplanationMeetingCalled,
    CaseExplanationMeetingHeld,
    CaseExtensionDecided,
    CaseExtensionRequested,
    CaseObserved,
    CasePanelRated,
    CaseProgressNoted,
    CaseReopened,
    CaseResumed,
    CaseSigned,
    CaseSupervisorAssigned,
    CaseSuspended,
    EscalationLevel,
    EvaluationSubmitted,
    SuspensionReason,
    Verdict,
)
from shared.messaging.consumer import PermanentFailure
from shared.refusals import Refused
from tests.fakes import FakeUnitOfWork, public_methods
from tests.fakes.supervision import FakeSupervisionStore
from tests.samples import HUAYANG_AREA, case_reported

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(FakeSupervisionStore())


async def _handle(uow, event):
    async with uow:
        uow.caused_by(correlation_id=str(event.case_id), causation_id=f"evt-{uuid4()}")
        await HANDLERS[type(event)](event, uow)


async def _dispatched(uow, *, category="noise", time_limit_class="complaint", unit="unit-a"):
    reported = case_reported(category_code=category, time_limit_class=time_limit_class, reported_at=MONDAY_9)
    await _handle(uow, reported)
    await _handle(uow, CaseDispatched(case_id=reported.case_id, unit_id=unit, unit_name="华阳路街道办事处",
                                      category_code=category, time_limit_class=time_limit_class, area=HUAYANG_AREA,
                                      dispatched_at=MONDAY_9))
    return reported.case_id


def _due(uow, case_id, kind):
    return next(d.due_at for d in uow.store.clocks(case_id) if d.kind == kind)


def test_the_fake_store_offers_exactly_what_the_real_one_does():
    assert public_methods(FakeSupervisionStore).keys() - {"kinds", "clocks"} == public_methods(SupervisionStore).keys()
    for name, signature in public_methods(SupervisionStore).items():
        assert list(public_methods(FakeSupervisionStore)[name].parameters) == list(signature.parameters), name


async def test_a_dispatched_unit_gets_its_clocks_on_the_working_calendar_and_the_case_its_supervisor(uow):
    case_id = await _dispatched(uow)
    assert _due(uow, case_id, "sign_for") == MONDAY_9 + timedelta(hours=2)
    assert {e.kind.value for e in uow.of_type(CaseDeadlineSet)} == {"sign_for", "completion"}
    assert uow.of_type(CaseSupervisorAssigned)[0].supervisor_id == "sup-huayang"
    assert uow.store.cases[case_id].unit_id == "unit-a" and uow.store.unit_names["unit-a"] == "华阳路街道办事处"
    assert set(uow.store.journaled.values()) == {(case_id, "org.gridlink.case.dispatched.v1")}
    elderly = await _dispatched(uow, category="elderly-care", time_limit_class="help")
    assert uow.of_type(CaseSupervisorAssigned)[-1].supervisor_id == "sup-elderly"  # a sub-item before a street
    assert _due(uow, elderly, "sign_for") == MONDAY_9 + timedelta(hours=1)  # the sub-item's own policy


async def test_the_same_dispatch_delivered_twice_opens_its_clocks_once(uow):
    case_id = await _dispatched(uow)
    dispatched = CaseDispatched(case_id=case_id, unit_id="unit-a", unit_name="华阳路街道办事处", category_code="noise",
                                time_limit_class="complaint", area=HUAYANG_AREA, dispatched_at=MONDAY_9)
    async with uow:
        uow.caused_by(correlation_id="c", causation_id="evt-same")
        await HANDLERS[CaseDispatched](dispatched, uow)
        before = len(uow.store.deadlines)
        await HANDLERS[CaseDispatched](dispatched, uow)
    assert len(uow.store.deadlines) == before


async def test_signing_stops_the_sign_for_clock_met_and_the_completion_clock_runs_on(uow):
    case_id = await _dispatched(uow)
    await _handle(uow, CaseSigned(case_id=case_id, unit_id="unit-a", unit_name="华阳路街道办事处",
                                  signed_at=MONDAY_9 + timedelta(minutes=30)))
    assert [d.kind for d in uow.store.clocks(case_id)] == ["completion"]
    assert [uow.store.outcomes[d.id] for d in uow.store.clocks(case_id, running=False) if d.kind == "sign_for"] == \
        ["met"]
    assert uow.store.cases[case_id].status == "signed"


async def test_the_poller_warns_then_breaches_once_and_starts_the_ladder(uow):
    case_id = await _dispatched(uow)
    assert await fire_due(uow, now=MONDAY_9 + timedelta(hours=1, minutes=1)) == 1  # half the sign-for time
    assert [e.threshold for e in uow.of_type(CaseDeadlineWarned)] == [0.5]
    await fire_due(uow, now=MONDAY_9 + timedelta(hours=3))
    await fire_due(uow, now=MONDAY_9 + timedelta(hours=3))
    [breach] = uow.of_type(CaseDeadlineBreached)
    assert breach.kind.value == "sign_for" and breach.supervisor_id == "sup-huayang"
    [order] = uow.of_type(CaseEscalated)
    assert order.level is EscalationLevel.SUPERVISION_ORDER and order.reply_by is not None
    assert uow.store.cases[case_id].escalation_level == "supervision_order"
    assert "breach" in uow.store.kinds(case_id) and "escalation" in uow.store.kinds(case_id)


async def test_a_wait_the_policy_names_stops_the_clocks_and_the_resumption_moves_them_on(uow):
    case_id = await _dispatched(uow)
    await _handle(uow, CaseSigned(case_id=case_id, unit_id="unit-a", unit_name="A", signed_at=MONDAY_9))
    due = _due(uow, case_id, "completion")
    await _handle(uow, CaseSuspended(case_id=case_id, unit_id="unit-a", reason=SuspensionReason.WAITING_FOR_RESIDENT,
                                     text="居民外出", suspended_at=MONDAY_9 + timedelta(hours=1)))
    assert all(d.paused_at for d in uow.store.clocks(case_id))
    await _handle(uow, CaseResumed(case_id=case_id, unit_id="unit-a", resumed_at=MONDAY_9 + timedelta(days=1,
                                                                                                      hours=1)))
    assert _due(uow, case_id, "completion") > due and not any(d.paused_at for d in uow.store.clocks(case_id))
    assert uow.store.kinds(case_id).count("clock_paused") == 1 and "clock_resumed" in uow.store.kinds(case_id)


async def test_a_dissatisfied_verdict_reopens_once_per_round_then_calls_a_meeting_past_the_cap(uow):
    case_id = await _dispatched(uow)
    for round_ in (1, 2, 3):
        await _handle(uow, CaseCompleted(case_id=case_id, unit_id="unit-a", unit_name="A", result="已处理",
                                         completed_at=MONDAY_9 + timedelta(days=round_)))
        assert [d.kind for d in uow.store.clocks(case_id)] == ["verdict"]
        verdict = EvaluationSubmitted(case_id=case_id, round=round_, verdict=Verdict.DISSATISFIED, resolved=False,
                                      comment="电话13812341234 仍未解决", via="resident",
                                      submitted_at=MONDAY_9 + timedelta(days=round_, hours=2))
        await _handle(uow, verdict)
        await _handle(uow, verdict.model_copy(update={"via": "callback"}))  # the same round judged again
    assert [e.round for e in uow.of_type(CaseReopened)] == [1, 2]  # the demo's cap: two reopenings
    assert "13812341234" not in uow.of_type(CaseReopened)[0].reason
    [called] = uow.of_type(CaseExplanationMeetingCalled)
    assert called.round == 3 and uow.store.cases[case_id].status == "explanation_meeting"
    [meeting] = uow.store.meetings.values()
    evening = datetime(2026, 12, 3, 19, tzinfo=SHANGHAI)
    with pytest.raises(Refused) as unscheduled:
        async with uow:
            await record_meeting(uow, meeting.id, summary="居民不认可", accepted=False, scope=("cn-changning",),
                                 by="sup-huayang", now=evening)
    assert (unscheduled.value.code, unscheduled.value.status) == ("not_held_yet", 409)
    async with uow:
        await schedule_meeting(uow, meeting.id, scheduled_for=evening, place="华阳路街道会议室",
                               scope=("cn-changning",), by="sup-huayang")
    with pytest.raises(Refused) as early:  # recorded before its time: it has not been held
        async with uow:
            await record_meeting(uow, meeting.id, summary="居民不认可", accepted=False, scope=("cn-changning",),
                                 by="sup-huayang", now=evening - timedelta(hours=2))
    assert early.value.code == "not_held_yet"
    async with uow:
        await record_meeting(uow, meeting.id, summary="居民不认可", accepted=False, scope=("cn-changning",),
                             by="sup-huayang", now=evening + timedelta(hours=2))
    assert uow.of_type(CaseExplanationMeetingHeld)[0].accepted is False
    assert [e.round for e in uow.of_type(CaseReopened)] == [1, 2, 3]
    with pytest.raises(Refused) as again:
        async with uow:
            await record_meeting(uow, meeting.id, summary="x", accepted=True, scope=("cn-changning",), by="s",
                                 now=evening + timedelta(hours=3))
    assert again.value.code == "already_held"
    with pytest.raises(Refused) as elsewhere:
        async with uow:
            await schedule_meeting(uow, meeting.id, scheduled_for=MONDAY_9, place="x", scope=("cn-xuhui",),
                                   by="s")
    assert elsewhere.value.status == 404


async def test_no_verdict_in_time_asks_the_operators_to_call_back(uow):
    case_id = await _dispatched(uow)
    await _handle(uow, CaseCompleted(case_id=case_id, unit_id="unit-a", unit_name="A", result="已处理",
                                     completed_at=MONDAY_9))
    await fire_due(uow, now=MONDAY_9 + timedelta(days=10))
    [callback] = uow.of_type(CaseCallbackRequested)
    assert callback.round == 1 and uow.store.clocks(case_id) == []


async def test_an_extension_moves_the_completion_deadline_within_the_policy_and_is_decided_once(uow):
    case_id = await _dispatched(uow)
    due = _due(uow, case_id, "completion")
    await _handle(uow, CaseExtensionRequested(case_id=case_id, unit_id="unit-a", reason="等待配件",
                                              proposed_date=(due + timedelta(days=3)).date(),
                                              requested_at=MONDAY_9, area=HUAYANG_AREA))
    [request] = uow.store.extension_requests.values()
    with pytest.raises(Refused) as elsewhere:
        async with uow:
            await decide_extension(uow, request.id, approve=True, due_date=None, reason="同意",
                                   scope=("cn-xuhui",), by="sup-huayang")
    assert elsewhere.value.status == 404
    with pytest.raises(Refused) as too_far:
        async with uow:
            await decide_extension(uow, request.id, approve=True, due_date=date(2027, 6, 1), reason="同意",
                                   scope=("cn-changning",), by="sup-huayang")
    assert too_far.value.code == "extension_too_long" and too_far.value.extra["latest"]
    async with uow:
        decided = await decide_extension(uow, request.id, approve=True, due_date=None, reason="同意，电话13812341234",
                                         scope=("cn-changning",), by="sup-huayang")
    assert decided.status == "approved" and _due(uow, case_id, "completion") == decided.due_at > due
    [told] = uow.of_type(CaseExtensionDecided)
    assert told.approved and "13812341234" not in told.reason
    with pytest.raises(Refused) as twice:
        async with uow:
            await decide_extension(uow, request.id, approve=False, due_date=None, reason="x",
                                   scope=("cn-changning",), by="sup-huayang")
    assert (twice.value.code, twice.value.status) == ("already_decided", 409)


async def test_urging_presses_the_unit_handling_a_case_and_nobody_else(uow):
    case_id = await _dispatched(uow)
    async with uow:
        urging = await urge(uow, case_id, reason="请尽快处理", reply_within_hours=4, scope=("cn-changning",),
                            by="sup-huayang")
    assert urging.level is EscalationLevel.URGING and urging.unit_id == "unit-a" and urging.reply_by
    assert uow.store.cases[case_id].escalation_level == "urging"  # under a supervision order ...
    await _handle(uow, CaseProgressNoted(case_id=case_id, unit_id="unit-a", text="已联系物业",
                                         noted_at=MONDAY_9))
    assert uow.store.cases[case_id].escalation_level is None  # ... until the unit answers it
    await _handle(uow, CaseCompleted(case_id=case_id, unit_id="unit-a", unit_name="A", result="已处理",
                                     completed_at=MONDAY_9))
    with pytest.raises(Refused) as done:
        async with uow:
            await urge(uow, case_id, reason="x", reply_within_hours=None, scope=("cn-changning",), by="s")
    assert done.value.code == "not_being_handled"


async def test_steps_of_a_case_supervision_never_saw_go_to_the_dead_letters(uow):
    with pytest.raises(PermanentFailure):
        await _handle(uow, CaseSuspended(case_id=uuid4(), unit_id="unit-a", reason=SuspensionReason.WEATHER,
                                         text="雨", suspended_at=MONDAY_9))
    with pytest.raises(PermanentFailure):
        await _handle(uow, CaseCompleted(case_id=uuid4(), unit_id="unit-a", unit_name="A", result="x",
                                         completed_at=MONDAY_9))


async def test_a_resident_supervisor_observes_only_the_cases_the_certificate_covers(uow):
    case_id = await _dispatched(uow)
    async with uow:
        line = await observe(uow, case_id, certificate_number="DB-0001", jurisdiction="cn-changning",
                             areas=["st-huayang"], text="现场仍有积水，电话13812341234")
    assert line.actor == "resident supervisor DB-0001" and "13812341234" not in line.text
    assert uow.of_type(CaseObserved)[0].text == line.text and "observation" in uow.store.kinds(case_id)
    for areas, jurisdiction in ((["st-jiangsu"], "cn-changning"), (["st-huayang"], "cn-xuhui")):
        with pytest.raises(Refused) as outside:
            async with uow:
                await observe(uow, case_id, certificate_number="DB-0002", jurisdiction=jurisdiction, areas=areas,
                              text="x")
        assert outside.value.status == 404


async def test_a_panel_rates_each_wide_impact_case_of_its_street_and_quarter_once(uow):
    case_id = await _dispatched(uow)
    panel_id = uuid4()
    uow.store.panels[panel_id] = Panel(id=panel_id, district_id="cn-changning", quarter="2026Q4",
                                       street_id="st-huayang")
    scores = {"community": 4, "party_member": 5, "resident": 3}
    with pytest.raises(Refused) as not_yet:
        async with uow:
            await rate_case(uow, panel_id, case_id, scores=scores, comment=None, scope=("cn-changning",), by="s")
    assert not_yet.value.code == "not_on_docket"  # neither wide-impact nor completed
    await _handle(uow, CaseCompleted(case_id=case_id, unit_id="unit-a", unit_name="A", result="已处理",
                                     completed_at=MONDAY_9))
    uow.store.cases[case_id] = replace(uow.store.cases[case_id], wide_impact=True)
    async with uow:
        comment = await rate_case(uow, panel_id, case_id, scores=scores, comment="回访电话13812341234",
                                  scope=("cn-changning",), by="sup-huayang")
    assert "13812341234" not in comment
    [rated] = uow.of_type(CasePanelRated)
    assert (rated.unit_id, rated.community, rated.resident, rated.quarter) == ("unit-a", 4, 3, "2026Q4")
    with pytest.raises(Refused) as twice:
        async with uow:
            await rate_case(uow, panel_id, case_id, scores=scores, comment=None, scope=("cn-changning",), by="s")
    assert (twice.value.code, twice.value.status) == ("already_rated", 409)
    with pytest.raises(Refused) as elsewhere:
        async with uow:
            await rate_case(uow, panel_id, case_id, scores=scores, comment=None, scope=("cn-xuhui",), by="s")
    assert elsewhere.value.status == 404


async def test_an_admin_s_calendar_year_and_policy_are_checked_before_they_are_kept(uow):
    with pytest.raises(Refused) as wrong_year:
        async with uow:
            await time_rules.enter_year(uow, "cn-changning", 2027, [CalendarDay(date(2026, 12, 31), False, "x")])
    assert wrong_year.value.code == "out_of_range"
    with pytest.raises(Refused) as twice:
        async with uow:
            await time_rules.enter_year(uow, "cn-changning", 2027, [CalendarDay(date(2027, 1, 1), False, "元旦")] * 2)
    assert twice.value.code == "duplicate_day"
    async with uow:
        await time_rules.enter_year(uow, "cn-changning", 2027, [CalendarDay(date(2027, 1, 1), False, "元旦")])
    assert uow.store.calendar_entries[("cn-changning", 2027)][1] == "edited"
    with pytest.raises(Refused) as unknown:
        async with uow:
            await time_rules.load_statutory(uow, "cn-changning", 2099)
    assert (unknown.value.code, unknown.value.status) == ("unknown_year", 409)
    values = {"sign_for_hours": 1, "completion_days": 3, "completion_hours": None, "clock": False,
              "warn_at": [0.5], "pauses_for": ["waiting_for_resident"], "max_extensions": 1,
              "max_extension_days": 5, "reply_hours": 4, "callback_after_days": 3, "max_reopenings": 2}
    async with uow:
        policy = await time_rules.set_policy(uow, "cn-changning", "help", "elderly-care", values)
    assert policy.category_code == "elderly-care" and ("cn-changning", "help", "elderly-care") in uow.store.policies
    with pytest.raises(Refused) as elsewhere:
        async with uow:
            await time_rules.set_policy(uow, "cn-xuhui", "help", None, values)
    assert elsewhere.value.status == 404


async def test_certificates_are_numbered_masked_and_revoked_once_and_a_supervisor_id_stays_in_its_district(uow):
    async with uow:
        first, credential = await people.issue_certificate(uow, holder_name="王秀英", areas=["st-huayang"] * 2,
                                                           valid_days=30, jurisdiction="cn-changning", by="sup-1")
        second, _ = await people.issue_certificate(uow, holder_name="李四", areas=["cm-xiushui"], valid_days=30,
                                                   jurisdiction="cn-changning", by="sup-1")
    assert first.holder != "王秀英" and first.areas == ["st-huayang"] and credential not in str(first)
    assert first.number.endswith("-00001") and second.number.endswith("-00002")
    async with uow:
        revoked = await people.revoke_certificate(uow, first.id, reason="搬离，电话13812341234",
                                                  jurisdiction="cn-changning", by="sup-1")
    assert revoked.revoked_at and "13812341234" not in revoked.revocation_reason
    with pytest.raises(Refused) as again:
        async with uow:
            await people.revoke_certificate(uow, first.id, reason="x", jurisdiction="cn-changning", by="sup-1")
    assert again.value.code == "already_revoked"
    with pytest.raises(Refused) as taken:
        async with uow:
            await people.set_supervisor(uow, "sup-huayang", {"name": "x", "areas": [], "categories": [],
                                                             "active": True}, jurisdiction="cn-xuhui")
    assert taken.value.code == "taken"


async def test_a_case_marked_wide_impact_goes_on_the_docket_of_a_panel_seated_with_all_three_parties(uow):
    case_id = await _dispatched(uow)
    with pytest.raises(Refused) as incomplete:
        async with uow:
            await seat_panel(uow, quarter="2026Q4", street_id="st-huayang",
                             members=[("community", "张三"), ("resident", "李四"), ("resident", "王五")],
                             scope=("cn-changning",), by="sup-1")
    assert incomplete.value.code == "panel_incomplete"
    async with uow:
        panel = await seat_panel(uow, quarter="2026Q4", street_id="st-huayang",
                                 members=[("community", "张三"), ("party_member", "李四"), ("resident", "王五")],
                                 scope=("cn-changning",), by="sup-1")
        await mark_wide_impact(uow, case_id, reason="影响整栋楼", scope=("cn-changning",), by="sup-1")
    assert "张三" not in str(panel.members) and uow.store.cases[case_id].wide_impact
    await _handle(uow, CaseCompleted(case_id=case_id, unit_id="unit-a", unit_name="A", result="已处理",
                                     completed_at=MONDAY_9))
    async with uow:
        await rate_case(uow, panel.id, case_id, scores={"community": 5, "party_member": 5, "resident": 4},
                        comment=None, scope=("cn-changning",), by="sup-1")
    assert len(uow.of_type(CasePanelRated)) == 1
