"""Supervision's handler table: the events it reacts to. Each unit given a case gets its clocks; each step a unit
takes stops or answers them; a dissatisfied verdict reopens the case."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.adapters import deadlines, read_model, tables
from services.supervision.adapters.time_rules import JurisdictionRules, rules_of
from services.supervision.domain import clocks
from services.supervision.domain.assignment import SupervisorScope, pick_supervisor
from shared.events import (
    AreaPath,
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineBreached,
    CaseDeadlineSet,
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
    Verdict,
)
from shared.masking import mask_numbers_in_text
from shared.messaging.consumer import PermanentFailure
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.versioned_cache import VersionedCache

_c = tables.cases.c
# The hot path's statements, built once: only their parameters change from event to event.
_NEW_CASE = pg_insert(tables.cases)
_KNOW_CASE = _NEW_CASE.on_conflict_do_update(index_elements=["id"], set_={
    "category_code": _NEW_CASE.excluded.category_code, "time_limit_class": _NEW_CASE.excluded.time_limit_class,
    "reported_at": _NEW_CASE.excluded.reported_at, "updated_at": _NEW_CASE.excluded.updated_at})
_NEW_UNIT_NAME = pg_insert(tables.unit_names)
_NAME_UNIT = _NEW_UNIT_NAME.on_conflict_do_update(index_elements=["id"], set_={"name": _NEW_UNIT_NAME.excluded.name})
# Both return the case as it is now, which the clocks and the supervisor's choice read.
_FOLLOW_DISPATCHED = _NEW_CASE.on_conflict_do_update(index_elements=["id"], set_={
    "unit_id": _NEW_CASE.excluded.unit_id, "status": _NEW_CASE.excluded.status,
    "category_code": _NEW_CASE.excluded.category_code, "time_limit_class": _NEW_CASE.excluded.time_limit_class,
    "updated_at": _NEW_CASE.excluded.updated_at}).returning(tables.cases)
_FOLLOW = update(tables.cases).where(_c.id == bindparam("case")).values(
    unit_id=bindparam("unit"), status=bindparam("new_status"), updated_at=bindparam("now"))
_FOLLOWED = _FOLLOW.returning(tables.cases)
_CASE = select(tables.cases).where(_c.id == bindparam("case"))
_HANDLING = (DeadlineKind.SIGN_FOR, DeadlineKind.COMPLETION, DeadlineKind.PLANNED)
# Residents reporting one problem from which on a case is wide-impact: its result goes before a three-party panel.
WIDE_IMPACT_RESIDENTS = 5


async def on_case_reported(event: CaseReported, uow: UnitOfWork) -> None:
    """Where a case lies and its class, so that any unit later given it (a claim from the board too) gets clocks."""
    area = event.location.area
    await uow.session.execute(_KNOW_CASE, dict(
        id=event.case_id, district_id=area.district_id, street_id=area.street_id, community_id=area.community_id,
        grid_id=area.grid_id, category_code=event.category_code, time_limit_class=event.time_limit_class,
        status="reported", reported_at=event.reported_at,
        updated_at=datetime.now(UTC)))


async def on_case_reclassified(event: CaseReclassified, uow: UnitOfWork) -> None:
    await uow.session.execute(update(tables.cases).where(_c.id == event.case_id).values(
        category_code=event.category_code, time_limit_class=event.time_limit_class, updated_at=datetime.now(UTC)))


async def on_case_dispatched(event: CaseDispatched, uow: UnitOfWork) -> None:
    """The unit's sign-for and completion clocks, on the working calendar of the case's jurisdiction."""
    area, now = event.area, datetime.now(UTC)
    case = (await uow.session.execute(_FOLLOW_DISPATCHED, dict(
        id=event.case_id, district_id=area.district_id, street_id=area.street_id, community_id=area.community_id,
        grid_id=area.grid_id, category_code=event.category_code, time_limit_class=event.time_limit_class,
        unit_id=event.unit_id, status="dispatched", updated_at=now))).one()
    await uow.session.execute(_NAME_UNIT, dict(id=event.unit_id, name=event.unit_name))
    if case.supervisor_id is None:  # the first dispatch: kept through re-dispatches and reopenings
        await _assign_supervisor(uow, event.case_id, area, event.category_code, now)
    await _give_clocks(uow, case, event.unit_id, event.dispatched_at, now, why="dispatched")


async def load_supervisors(session: AsyncSession) -> dict[str, list[SupervisorScope]]:
    """Active supervisors by jurisdiction."""
    s = tables.supervisors.c
    scopes: dict[str, list[SupervisorScope]] = {}
    for r in (await session.execute(select(tables.supervisors).where(s.active))).all():
        scopes.setdefault(r.jurisdiction_id, []).append(
            SupervisorScope(r.id, frozenset(r.areas), frozenset(r.categories)))
    return scopes


# Read the version at most once a second; an edit through this process invalidates at once.
supervisors_cache = VersionedCache(tables.supervisors_version, load_supervisors, recheck_seconds=1.0)


async def _assign_supervisor(uow: UnitOfWork, case_id: UUID, area: AreaPath, category_code: str,
                             now: datetime) -> None:
    """The closest remit by area and sub-item, the least loaded among equals."""
    scopes = (await supervisors_cache.get(uow.session)).get(area.district_id, [])
    fits = {s.id: f for s in scopes if (f := s.fit(area, category_code)) is not None}
    best = max(fits.values(), default=None)
    tied = [sid for sid, f in fits.items() if f == best]
    load = {}
    if len(tied) > 1:
        load = dict((await uow.session.execute(
            select(_c.supervisor_id, func.count()).where(_c.supervisor_id.in_(tied), _c.status != "completed")
            .group_by(_c.supervisor_id))).all())
    chosen = pick_supervisor(scopes, area=area, category_code=category_code, load=load)
    if chosen is None:
        await deadlines.log(uow, case_id, now, "no_supervisor", None, "no supervisor's remit covers this case")
        return
    await uow.session.execute(update(tables.cases).where(_c.id == case_id).values(supervisor_id=chosen))
    uow.record(CaseSupervisorAssigned(case_id=case_id, supervisor_id=chosen, assigned_at=now))
    await deadlines.log(uow, case_id, now, "supervisor_assigned", None, f"supervised by {chosen}")


async def on_unit_changed(event: CaseRedispatched | CaseTransferred | CaseClaimed, uow: UnitOfWork) -> None:
    """Another unit has the case: the last one's clocks stop (handed over), the new one's start."""
    at = getattr(event, "redispatched_at", None) or getattr(event, "transferred_at", None) or event.claimed_at
    now = datetime.now(UTC)
    case = (await uow.session.execute(_FOLLOWED, dict(case=event.case_id, unit=event.unit_id,
                                                      new_status="dispatched", now=now))).first()
    await uow.session.execute(_NAME_UNIT, dict(id=event.unit_id, name=event.unit_name))
    await _give_clocks(uow, case, event.unit_id, at, now, why=event.type)


async def _give_clocks(uow: UnitOfWork, case, unit_id: str, start: datetime, now: datetime, *, why: str) -> None:
    if case is None or case.time_limit_class is None:
        raise PermanentFailure("a unit was given a case supervision has not seen reported")
    rules = await _rules(uow, case.district_id)
    policy = _policy(rules, case)
    await deadlines.close(uow, await deadlines.running(uow, case.id), at=now, outcome="handed_over", why=why)
    await deadlines.store_new(uow, case.id, clocks.open_clocks(policy, rules.calendar, unit_id, start),
                              policy=policy, opened_by=uow.causation_id, now=now)


async def _rules(uow: UnitOfWork, jurisdiction_id: str) -> JurisdictionRules:
    rules = await rules_of(uow.session, jurisdiction_id)
    if rules is None:
        raise PermanentFailure(f"no working calendar for jurisdiction {jurisdiction_id}")
    return rules


def _policy(rules: JurisdictionRules, case) -> clocks.TimeLimitPolicy:
    policy = rules.policy(category_code=case.category_code, time_limit_class=case.time_limit_class)
    if policy is None:
        raise PermanentFailure(f"no time-limit policy for class {case.time_limit_class} in {rules.id}")
    return policy


async def on_case_signed(event: CaseSigned, uow: UnitOfWork) -> None:
    """The sign-for clock stops, met or late; a pending step of the ladder is answered."""
    rows = await deadlines.running(uow, event.case_id, (DeadlineKind.SIGN_FOR, DeadlineKind.REPLY))
    await deadlines.close(uow, [r for r in rows if r.kind == DeadlineKind.SIGN_FOR], at=event.signed_at)
    await _answer(uow, rows, event.signed_at, "signed for")
    await uow.session.execute(_FOLLOW, dict(case=event.case_id, unit=event.unit_id, new_status="signed",
                                            now=datetime.now(UTC)))


async def on_case_progress_noted(event: CaseProgressNoted, uow: UnitOfWork) -> None:
    rows = await deadlines.running(uow, event.case_id, (DeadlineKind.REPLY,))
    await _answer(uow, rows, event.noted_at, "progress noted")


async def on_case_explained(event: CaseExplained, uow: UnitOfWork) -> None:
    """An explanation counts as answered: the completion clock stops; a clock for the planned date starts."""
    rows = await deadlines.running(uow, event.case_id)
    await deadlines.close(uow, [r for r in rows if r.kind in _HANDLING], at=event.explained_at, outcome="explained",
                          why=f"planned for {event.planned_date.isoformat()}")
    await _answer(uow, rows, event.explained_at, "explained")
    case = (await uow.session.execute(_CASE, dict(case=event.case_id))).first()
    if case is None:
        raise PermanentFailure("an explanation for a case supervision does not know")
    rules = await _rules(uow, case.district_id)
    planned = clocks.Clock(DeadlineKind.PLANNED, event.unit_id, event.explained_at,
                           rules.calendar.end_of_working_day(event.planned_date))
    await deadlines.store_new(uow, event.case_id, [planned], policy=_policy(rules, case), opened_by=uow.causation_id,
                              now=datetime.now(UTC))
    await uow.session.execute(update(tables.cases).where(_c.id == event.case_id).values(
        unit_id=event.unit_id, status="explained", response=event.explanation[:1000], updated_at=datetime.now(UTC)))


async def on_case_completed(event: CaseCompleted, uow: UnitOfWork) -> None:
    """Every clock stops: the unit's deadlines met or late, a pending step of the ladder answered. A new round of
    verdicts starts, with the time the resident has before an operator calls back."""
    rows = await deadlines.running(uow, event.case_id)
    await deadlines.close(uow, [r for r in rows if r.kind != DeadlineKind.REPLY], at=event.completed_at)
    await _answer(uow, rows, event.completed_at, "completed")
    case = (await uow.session.execute(update(tables.cases).where(_c.id == event.case_id).values(
        unit_id=event.unit_id, status="completed", completed_at=event.completed_at, response=event.result[:1000],
        completion_round=_c.completion_round + 1, updated_at=datetime.now(UTC)).returning(tables.cases))).first()
    if case is None:
        raise PermanentFailure("a completion of a case supervision does not know")
    rules = await _rules(uow, case.district_id)
    policy = _policy(rules, case)
    verdict = clocks.open_verdict_clock(policy, rules.calendar, event.unit_id, event.completed_at)
    await deadlines.store_new(uow, event.case_id, [verdict], policy=policy, opened_by=uow.causation_id,
                              now=datetime.now(UTC))


async def on_case_returned(event: CaseReturned, uow: UnitOfWork) -> None:
    """Back to triage: the unit's clocks stop (a return is counted by the rates, not as lateness)."""
    await deadlines.close(uow, await deadlines.running(uow, event.case_id), at=event.returned_at, outcome="returned",
                          why=event.reason)
    await uow.session.execute(_FOLLOW, dict(case=event.case_id, unit=None, new_status="triage", now=datetime.now(UTC)))


async def _answer(uow: UnitOfWork, rows, at: datetime, how: str) -> None:
    await deadlines.close(uow, [r for r in rows if r.kind == DeadlineKind.REPLY], at=at, outcome="answered", why=how)


async def on_case_suspended(event: CaseSuspended, uow: UnitOfWork) -> None:
    """The unit waits: its clocks stop if the jurisdiction's policy says this reason stops them."""
    case = (await uow.session.execute(_CASE, dict(case=event.case_id))).first()
    if case is None:
        raise PermanentFailure("a suspension of a case supervision does not know")
    await uow.session.execute(update(tables.cases).where(_c.id == event.case_id).values(suspended=event.reason))
    policy = _policy(await _rules(uow, case.district_id), case)
    if event.reason not in policy.pauses_for:
        await deadlines.log(uow, event.case_id, event.suspended_at, "wait_noted", event.unit_id,
                            f"waiting ({event.reason}); the clock runs on under {policy.name}")
        return
    rows = await deadlines.running(uow, event.case_id, _HANDLING)
    await deadlines.save(uow, [deadlines.save_parameters(r.id, clocks.pause(deadlines.clock_of(r), event.suspended_at))
                               for r in rows])
    await deadlines.log(uow, event.case_id, event.suspended_at, "clock_paused", event.unit_id,
                        f"waiting ({event.reason}): {len(rows)} clock(s) stopped")


async def on_case_resumed(event: CaseResumed, uow: UnitOfWork) -> None:
    """The wait is over: stopped clocks run again, every deadline moved on by the working time they stood still."""
    case = (await uow.session.execute(_CASE, dict(case=event.case_id))).first()
    if case is None:
        raise PermanentFailure("a resumption of a case supervision does not know")
    await uow.session.execute(update(tables.cases).where(_c.id == event.case_id).values(suspended=None))
    rules = await _rules(uow, case.district_id)
    rows = [r for r in await deadlines.running(uow, event.case_id, _HANDLING) if r.paused_at is not None]
    moved = [(r, clocks.resume(deadlines.clock_of(r), rules.calendar, event.resumed_at)) for r in rows]
    await deadlines.save(uow, [deadlines.save_parameters(r.id, clock) for r, clock in moved])
    for _, clock in moved:
        await deadlines.announce(uow, event.case_id, clock, policy=_policy(rules, case).name, now=datetime.now(UTC))
    await deadlines.log(uow, event.case_id, event.resumed_at, "clock_resumed", event.unit_id,
                        f"{len(rows)} clock(s) running again")


async def on_evaluation_submitted(event: EvaluationSubmitted, uow: UnitOfWork) -> None:
    """The verdict clock stops. A dissatisfied verdict sends the case back to dispatch (once per completion round),
    up to the policy's cap; past it, the case goes to an explanation meeting with the residents."""
    await deadlines.close(uow, await deadlines.running(uow, event.case_id, (DeadlineKind.VERDICT,)),
                          at=event.submitted_at, why=f"{event.verdict} via {event.via}")
    if event.verdict is not Verdict.DISSATISFIED:
        return
    now = datetime.now(UTC)
    first = await uow.session.scalar(pg_insert(tables.reopenings).values(
        case_id=event.case_id, round=event.round, reopened_at=now).on_conflict_do_nothing()
        .returning(tables.reopenings.c.round))
    if first is None:
        return  # this round was judged dissatisfied already (another resident, or a call-back after an online one)
    case = (await uow.session.execute(_CASE, dict(case=event.case_id))).first()
    if case is None:
        raise PermanentFailure("a verdict on a case supervision does not know")
    reason = "居民不满意" + (f"：{mask_numbers_in_text(event.comment)[:200]}" if event.comment else "")
    policy = _policy(await _rules(uow, case.district_id), case)
    if clocks.reopens(policy, event.round):
        await reopen(uow, event.case_id, event.round, reason, now)
        return
    await uow.session.execute(pg_insert(tables.meetings).values(
        case_id=event.case_id, district_id=case.district_id, round=event.round, reason=reason, called_at=now,
        status="called").on_conflict_do_nothing())
    uow.record(CaseExplanationMeetingCalled(case_id=event.case_id, round=event.round, reason=reason, called_at=now))
    await uow.session.execute(update(tables.cases).where(_c.id == event.case_id).values(
        status="explanation_meeting", updated_at=now))
    await deadlines.log(uow, event.case_id, now, "meeting_called", None,
                        f"round {event.round} dissatisfied after {policy.max_reopenings} reopening(s): {reason}")


async def reopen(uow: UnitOfWork, case_id: UUID, round: int, reason: str, now: datetime) -> None:
    """Back to dispatch for another round (the same unit unless dispatch decides otherwise)."""
    uow.record(CaseReopened(case_id=case_id, round=round, reason=reason, reopened_at=now))
    await uow.session.execute(update(tables.cases).where(_c.id == case_id).values(status="reopened", updated_at=now))
    await deadlines.log(uow, case_id, now, "reopened", None, f"round {round}: {reason}")


async def on_case_duplicate_linked(event: CaseDuplicateLinked, uow: UnitOfWork) -> None:
    """More residents raised the same problem: a case that touches many is wide-impact (rated by panels)."""
    await uow.session.execute(update(tables.cases).where(_c.id == event.case_id).values(
        residents_affected=func.greatest(_c.residents_affected, event.residents_affected),
        wide_impact=_c.wide_impact | (event.residents_affected >= WIDE_IMPACT_RESIDENTS)))


async def on_case_extension_requested(event: CaseExtensionRequested, uow: UnitOfWork) -> None:
    """A unit asks for more time: the request waits for a supervisor of the case's jurisdiction (and answers a
    pending step of the ladder)."""
    district = event.area.district_id if event.area else await uow.session.scalar(
        select(_c.district_id).where(_c.id == event.case_id))
    if district is None:
        raise PermanentFailure("an extension request for a case supervision does not know")
    await uow.session.execute(pg_insert(tables.extension_requests).values(
        case_id=event.case_id, unit_id=event.unit_id, district_id=district, reason=event.reason,
        proposed_date=event.proposed_date, requested_at=event.requested_at, requested_by_event=uow.causation_id,
        status="pending").on_conflict_do_nothing())
    await _answer(uow, await deadlines.running(uow, event.case_id, (DeadlineKind.REPLY,)), event.requested_at,
                  "extension requested")


def in_turn(*steps):
    """One handler that takes several steps, in this order, in the same transaction."""
    async def handle(event, uow: UnitOfWork) -> None:
        for step in steps:
            await step(event, uow)
    handle.__name__ = "_then_".join(step.__name__ for step in steps)
    return handle


#: Every event supervision reacts to, and its handler. The events the rates are made of are also journaled for the
#: rates' read model (supervision's own deadline events too, as it reads them back from its topic).
HANDLERS = {
    CaseReported: on_case_reported,
    CaseReclassified: on_case_reclassified,
    CaseDispatched: in_turn(on_case_dispatched, read_model.journal),
    CaseRedispatched: in_turn(on_unit_changed, read_model.journal),
    CaseTransferred: in_turn(on_unit_changed, read_model.journal),
    CaseClaimed: in_turn(on_unit_changed, read_model.journal),
    CaseSigned: in_turn(on_case_signed, read_model.journal),
    CaseProgressNoted: on_case_progress_noted,
    CaseExplained: on_case_explained,
    CaseCompleted: in_turn(on_case_completed, read_model.journal),
    CaseReturned: in_turn(on_case_returned, read_model.journal),
    CaseSuspended: on_case_suspended,
    CaseResumed: on_case_resumed,
    EvaluationSubmitted: in_turn(on_evaluation_submitted, read_model.journal),
    CaseExtensionRequested: on_case_extension_requested,
    CaseDuplicateLinked: on_case_duplicate_linked,
    CaseDeadlineSet: read_model.journal,
    CaseDeadlineBreached: read_model.journal,
    CaseReopened: read_model.journal,
}
