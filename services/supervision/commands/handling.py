"""Following the units (the handler table's commands: the event, then the unit of work): each unit given a case gets
its clocks and the case its supervisor; each step a unit takes stops or answers them; a dissatisfied verdict
reopens the case, or past the policy's cap calls an explanation meeting; rated events are journaled."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.supervision.adapters.store import CaseRecord, ClockChange, DeadlineRecord, SupervisionStore
from services.supervision.adapters.time_rules import JurisdictionRules
from services.supervision.commands import deadlines
from services.supervision.domain import clocks
from services.supervision.domain.assignment import pick_supervisor
from services.supervision.domain.clocks import policy_in_words
from services.supervision.domain.statuses import CaseStatus, ClockOutcome
from shared.events import (
    AreaPath,
    CaseClaimed,
    CaseCompleted,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseExplained,
    CaseExplanationMeetingCalled,
    CaseExtensionRequested,
    CaseProgressNoted,
    CaseReclassified,
    CaseRedispatched,
    CaseReopened,
    CaseReported,
    CaseResumed,
    CaseReturned,
    CaseSigned,
    CaseSupervisorAssigned,
    CaseSuspended,
    CaseTransferred,
    DeadlineKind,
    EvaluationSubmitted,
    Event,
    Verdict,
)
from shared.masking import mask_personal_text
from shared.messaging.consumer import PermanentFailure
from shared.messaging.unit_of_work import UnitOfWork
from shared.reference.labels import label

_HANDLING = (DeadlineKind.SIGN_FOR, DeadlineKind.COMPLETION, DeadlineKind.PLANNED)
# Residents reporting one problem from which on a case is wide-impact: its result goes before a three-party panel.
WIDE_IMPACT_RESIDENTS = 5


async def know_reported(event: CaseReported, uow: UnitOfWork) -> None:
    """Where a case lies and its class, so that any unit later given it (a claim from the board too) gets clocks."""
    await uow.store.know_case(event.case_id, event.location.area, category_code=event.category_code,
                              time_limit_class=event.time_limit_class, reported_at=event.reported_at,
                              now=datetime.now(UTC), tracking_code=event.tracking_code)


async def note_reclassified(event: CaseReclassified, uow: UnitOfWork) -> None:
    await uow.store.update_case(event.case_id, category_code=event.category_code,
                                time_limit_class=event.time_limit_class, updated_at=datetime.now(UTC))


async def give_clocks_on_dispatch(event: CaseDispatched, uow: UnitOfWork) -> None:
    """The unit's sign-for and completion clocks, on the working calendar of the case's jurisdiction."""
    store: SupervisionStore = uow.store
    now = datetime.now(UTC)
    case = await store.follow_dispatched(event.case_id, event.area, category_code=event.category_code,
                                         time_limit_class=event.time_limit_class, unit_id=event.unit_id, now=now)
    await store.name_unit(event.unit_id, event.unit_name)
    if case.supervisor_id is None:  # the first dispatch: kept through re-dispatches and reopenings
        await _assign_supervisor(uow, event.case_id, event.area, event.category_code, now)
    await _give_clocks(uow, case, event.unit_id, event.dispatched_at, now, why="派发")


async def _assign_supervisor(uow: UnitOfWork, case_id: UUID, area: AreaPath, category_code: str,
                             now: datetime) -> None:
    """The closest remit by area and sub-item, the least loaded among equals."""
    store: SupervisionStore = uow.store
    scopes = await store.supervisors(area.district_id)
    fits = {s.id: f for s in scopes if (f := s.fit(area, category_code)) is not None}
    best = max(fits.values(), default=None)
    tied = [sid for sid, f in fits.items() if f == best]
    load = await store.open_cases_watched(tied) if len(tied) > 1 else {}
    chosen = pick_supervisor(scopes, area=area, category_code=category_code, load=load)
    if chosen is None:
        await deadlines.log(uow, case_id, now, "no_supervisor", None, "没有督办人员的职责范围覆盖此案")
        return
    await store.update_case(case_id, supervisor_id=chosen)
    uow.record(CaseSupervisorAssigned(case_id=case_id, supervisor_id=chosen, assigned_at=now))
    name = next((s.name for s in scopes if s.id == chosen and s.name), chosen)
    await deadlines.log(uow, case_id, now, "supervisor_assigned", None, f"督办人员：{name}")


async def give_clocks_to_new_unit(event: CaseRedispatched | CaseTransferred | CaseClaimed, uow: UnitOfWork) -> None:
    """Another unit has the case: the last one's clocks stop (handed over), the new one's start."""
    at = getattr(event, "redispatched_at", None) or getattr(event, "transferred_at", None) or event.claimed_at
    now = datetime.now(UTC)
    case = await uow.store.follow(event.case_id, unit_id=event.unit_id, status=CaseStatus.DISPATCHED, now=now)
    await uow.store.name_unit(event.unit_id, event.unit_name)
    await _give_clocks(uow, case, event.unit_id, at, now, why="改由其他单位办理")


async def _give_clocks(uow: UnitOfWork, case: CaseRecord | None, unit_id: str, start: datetime, now: datetime, *,
                       why: str) -> None:
    if case is None or case.time_limit_class is None:
        raise PermanentFailure("a unit was given a case supervision has not seen reported")
    rules = await rules_for(uow, case.district_id)
    policy = policy_for(rules, case)
    await deadlines.close(uow, await deadlines.running(uow, case.id), at=now, outcome=ClockOutcome.HANDED_OVER, why=why)
    await deadlines.open_clocks(uow, case.id, clocks.open_clocks(policy, rules.calendar, unit_id, start),
                                policy=policy, opened_by=uow.causation_id, now=now)


async def rules_for(uow: UnitOfWork, jurisdiction_id: str) -> JurisdictionRules:
    rules = await uow.store.rules(jurisdiction_id)
    if rules is None:
        raise PermanentFailure(f"no working calendar for jurisdiction {jurisdiction_id}")
    return rules


def policy_for(rules: JurisdictionRules, case: CaseRecord) -> clocks.TimeLimitPolicy:
    policy = rules.policy(category_code=case.category_code, time_limit_class=case.time_limit_class)
    if policy is None:
        raise PermanentFailure(f"no time-limit policy for class {case.time_limit_class} in {rules.id}")
    return policy


async def _known(uow: UnitOfWork, case_id: UUID, what: str) -> CaseRecord:
    case = await uow.store.case(case_id)
    if case is None:
        raise PermanentFailure(f"{what} of a case supervision does not know")
    return case


async def stop_sign_for(event: CaseSigned, uow: UnitOfWork) -> None:
    """The sign-for clock stops, met or late; a pending step of the ladder is answered."""
    rows = await deadlines.running(uow, event.case_id, (DeadlineKind.SIGN_FOR, DeadlineKind.REPLY))
    await deadlines.close(uow, [r for r in rows if r.kind == DeadlineKind.SIGN_FOR], at=event.signed_at)
    await _answer(uow, event.case_id, rows, event.signed_at, "已签收")
    await uow.store.follow(event.case_id, unit_id=event.unit_id, status=CaseStatus.SIGNED, now=datetime.now(UTC))


async def answer_with_progress(event: CaseProgressNoted, uow: UnitOfWork) -> None:
    rows = await deadlines.running(uow, event.case_id, (DeadlineKind.REPLY,))
    await _answer(uow, event.case_id, rows, event.noted_at, "报告了办理进展")


async def track_explanation(event: CaseExplained, uow: UnitOfWork) -> None:
    """An explanation counts as answered: the completion clock stops; a clock for the planned date starts."""
    rows = await deadlines.running(uow, event.case_id)
    await deadlines.close(uow, [r for r in rows if r.kind in _HANDLING], at=event.explained_at,
                          outcome=ClockOutcome.EXPLAINED,
                          why=f"计划于{event.planned_date.isoformat()}前解决")
    await _answer(uow, event.case_id, rows, event.explained_at, "作出说明")
    case = await _known(uow, event.case_id, "an explanation")
    rules = await rules_for(uow, case.district_id)
    planned = clocks.Clock(DeadlineKind.PLANNED, event.unit_id, event.explained_at,
                           rules.calendar.end_of_working_day(event.planned_date))
    await deadlines.open_clocks(uow, event.case_id, [planned], policy=policy_for(rules, case),
                                opened_by=uow.causation_id, now=datetime.now(UTC))
    await uow.store.update_case(event.case_id, unit_id=event.unit_id, status=CaseStatus.EXPLAINED,
                                response=event.explanation[:1000], updated_at=datetime.now(UTC))


async def stop_on_completion(event: CaseCompleted, uow: UnitOfWork) -> None:
    """Every clock stops: the unit's deadlines met or late, a pending step of the ladder answered. A new round of
    verdicts starts, with the time the resident has before an operator calls back."""
    rows = await deadlines.running(uow, event.case_id)
    await deadlines.close(uow, [r for r in rows if r.kind != DeadlineKind.REPLY], at=event.completed_at)
    await _answer(uow, event.case_id, rows, event.completed_at, "已办结")
    case = await uow.store.complete_case(event.case_id, unit_id=event.unit_id, at=event.completed_at,
                                         response=event.result[:1000], now=datetime.now(UTC))
    if case is None:
        raise PermanentFailure("a completion of a case supervision does not know")
    rules = await rules_for(uow, case.district_id)
    policy = policy_for(rules, case)
    verdict = clocks.open_verdict_clock(policy, rules.calendar, event.unit_id, event.completed_at)
    await deadlines.open_clocks(uow, event.case_id, [verdict], policy=policy, opened_by=uow.causation_id,
                                now=datetime.now(UTC))


async def stop_on_return(event: CaseReturned, uow: UnitOfWork) -> None:
    """Back to triage: the unit's clocks stop (a return is counted by the rates, not as lateness)."""
    await deadlines.close(uow, await deadlines.running(uow, event.case_id), at=event.returned_at,
                          outcome=ClockOutcome.RETURNED,
                          why=label("return", event.reason))
    await uow.store.follow(event.case_id, unit_id=None, status=CaseStatus.TRIAGE, now=datetime.now(UTC))


async def _answer(uow: UnitOfWork, case_id: UUID, rows: list[DeadlineRecord], at: datetime, how: str) -> None:
    """The unit acted on the case: a pending step of the ladder is answered (its reply clock closes), and the case is
    no longer shown as under a supervision order (the order stays on its timeline)."""
    await deadlines.close(uow, [r for r in rows if r.kind == DeadlineKind.REPLY], at=at,
                          outcome=ClockOutcome.ANSWERED, why=how)
    await uow.store.mark_escalated([(case_id, None)])


async def pause_for_wait(event: CaseSuspended, uow: UnitOfWork) -> None:
    """The unit waits: its clocks stop if the jurisdiction's policy says this reason stops them."""
    case = await _known(uow, event.case_id, "a suspension")
    await uow.store.update_case(event.case_id, suspended=event.reason)
    policy = policy_for(await rules_for(uow, case.district_id), case)
    if event.reason not in policy.pauses_for:
        await deadlines.log(uow, event.case_id, event.suspended_at, "wait_noted", event.unit_id,
                            f"{label('suspension', event.reason)}；按{policy_in_words(policy.name)}计时不停")
        return
    rows = await deadlines.running(uow, event.case_id, _HANDLING)
    await deadlines.save(uow, [ClockChange(r.id, clocks.pause(r.clock, event.suspended_at)) for r in rows])
    await deadlines.log(uow, event.case_id, event.suspended_at, "clock_paused", event.unit_id,
                        f"{label('suspension', event.reason)}：{len(rows)}项时限暂停计时")


async def resume_after_wait(event: CaseResumed, uow: UnitOfWork) -> None:
    """The wait is over: stopped clocks run again, every deadline moved on by the working time they stood still."""
    case = await _known(uow, event.case_id, "a resumption")
    await uow.store.update_case(event.case_id, suspended=None)
    rules = await rules_for(uow, case.district_id)
    rows = [r for r in await deadlines.running(uow, event.case_id, _HANDLING) if r.paused_at is not None]
    moved = [(r, clocks.resume(r.clock, rules.calendar, event.resumed_at)) for r in rows]
    await deadlines.save(uow, [ClockChange(r.id, clock) for r, clock in moved])
    for _, clock in moved:
        await deadlines.announce(uow, event.case_id, clock, policy=policy_for(rules, case).name,
                                 now=datetime.now(UTC))
    await deadlines.log(uow, event.case_id, event.resumed_at, "clock_resumed", event.unit_id,
                        f"{len(rows)}项时限恢复计时")


async def judge_verdict(event: EvaluationSubmitted, uow: UnitOfWork) -> None:
    """The verdict clock stops. A dissatisfied verdict sends the case back to dispatch (once per completion round),
    up to the policy's cap; past it, the case goes to an explanation meeting with the residents."""
    store: SupervisionStore = uow.store
    await deadlines.close(uow, await deadlines.running(uow, event.case_id, (DeadlineKind.VERDICT,)),
                          at=event.submitted_at, why=f"{label('via', event.via)}：{label('verdict', event.verdict)}")
    if event.verdict is not Verdict.DISSATISFIED:
        return
    now = datetime.now(UTC)
    if not await store.add_reopening(event.case_id, event.round, now):
        return  # this round was judged dissatisfied already (another resident, or a call-back after an online one)
    case = await _known(uow, event.case_id, "a verdict")
    reason = "居民不满意" + (f"：{mask_personal_text(event.comment)[:200]}" if event.comment else "")
    policy = policy_for(await rules_for(uow, case.district_id), case)
    if clocks.reopens(policy, event.round):
        await reopen(uow, event.case_id, event.round, reason, now)
        return
    await store.call_meeting(event.case_id, district_id=case.district_id, round=event.round, reason=reason, at=now)
    uow.record(CaseExplanationMeetingCalled(case_id=event.case_id, round=event.round, reason=reason, called_at=now))
    await store.update_case(event.case_id, status=CaseStatus.EXPLANATION_MEETING, updated_at=now)
    await deadlines.log(uow, event.case_id, now, "meeting_called", None,
                        f"第{event.round}轮办理后仍不满意（已重新交办{policy.max_reopenings}次）：{reason}")


async def reopen(uow: UnitOfWork, case_id: UUID, round: int, reason: str, now: datetime) -> None:
    """Back to dispatch for another round (the same unit unless dispatch decides otherwise)."""
    uow.record(CaseReopened(case_id=case_id, round=round, reason=reason, reopened_at=now))
    await uow.store.update_case(case_id, status=CaseStatus.REOPENED, updated_at=now)
    await deadlines.log(uow, case_id, now, "reopened", None, f"第{round}轮：{reason}")


async def note_co_reporters(event: CaseDuplicateLinked, uow: UnitOfWork) -> None:
    """More residents raised the same problem: a case that touches many is wide-impact (rated by panels)."""
    await uow.store.note_residents(event.case_id, event.residents_affected, wide_from=WIDE_IMPACT_RESIDENTS)


async def take_extension_request(event: CaseExtensionRequested, uow: UnitOfWork) -> None:
    """A unit asks for more time: the request waits for a supervisor of the case's jurisdiction (and answers a
    pending step of the ladder)."""
    store: SupervisionStore = uow.store
    district = event.area.district_id if event.area else await store.district_of(event.case_id)
    if district is None:
        raise PermanentFailure("an extension request for a case supervision does not know")
    await store.add_extension_request(event.case_id, unit_id=event.unit_id, district_id=district, reason=event.reason,
                                      proposed_date=event.proposed_date, requested_at=event.requested_at,
                                      event_id=uow.causation_id)
    await _answer(uow, event.case_id, await deadlines.running(uow, event.case_id, (DeadlineKind.REPLY,)),
                  event.requested_at, "申请延期")


async def note_rebound(event: CaseReported, uow: UnitOfWork) -> None:
    """A problem that came back at the same place counts against the earlier case's result: the report is journaled
    with that case's facts too."""
    if event.rebound_of is not None:
        await uow.store.journal(uow.causation_id, event.rebound_of, event.type, event.model_dump(mode="json"))


async def journal(event: Event, uow: UnitOfWork) -> None:
    """Keep a rated event for the rates' read model (once, whatever the redeliveries); its case's facts go stale."""
    await uow.store.journal(uow.causation_id, event.case_id, event.type, event.model_dump(mode="json"))


def in_turn(*steps):
    """One handler that takes several steps, in this order, in the same transaction."""
    async def handle(event, uow: UnitOfWork) -> None:
        for step in steps:
            await step(event, uow)
    handle.__name__ = "_then_".join(step.__name__ for step in steps)
    return handle
