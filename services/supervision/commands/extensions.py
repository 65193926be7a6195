"""A supervisor's word on a unit's time: an extension request approved (the completion deadline moved within the
policy's limits) or refused, and urging the unit handling a case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from services.supervision.adapters.store import ClockChange, ExtensionRequest, SupervisionStore
from services.supervision.commands import deadlines
from services.supervision.domain import clocks
from services.supervision.domain.statuses import CaseStatus, RequestStatus
from shared.events import CaseEscalated, CaseExtensionDecided, DeadlineKind, EscalationLevel
from shared.masking import mask_personal_text
from shared.messaging.unit_of_work import UnitOfWork
from shared.reference.labels import local_time
from shared.refusals import Refused
from shared.scopes import within


async def decide_extension(uow: UnitOfWork, request_id: int, *, approve: bool, due_date: date | None, reason: str,
                           scope: tuple[str, ...], by: str) -> ExtensionRequest:
    """Approve with a new completion date (default: the one proposed) or refuse with a reason. A request about a case
    outside the supervisor's scope does not exist (404); one decided already is a 409."""
    store: SupervisionStore = uow.store
    request = await store.lock_extension_request(request_id)
    case = request and await store.case(request.case_id)
    if request is None or case is None or not within(scope, case.area_ids):
        raise Refused("not_found", "no such extension request", "request_id", status=404)
    if request.status != RequestStatus.PENDING:
        raise Refused("already_decided", f"this request was {request.status} already", "request_id", status=409)
    now = datetime.now(UTC)
    due_at = None
    if approve:
        due_date = due_date or request.proposed_date
        if due_date <= now.date():
            raise Refused("out_of_range", "the new completion date must be after today", "due_date")
        rules = await store.rules(request.district_id)
        policy = rules and case and rules.policy(category_code=case.category_code,
                                                 time_limit_class=case.time_limit_class or "")
        if policy is None:
            raise Refused("no_policy", "the case's jurisdiction has no time-limit policy for it", "request_id",
                          status=409)
        due_at = rules.calendar.end_of_working_day(due_date).astimezone(UTC)
        running = await deadlines.running(uow, request.case_id, (DeadlineKind.COMPLETION,))
        clock_row = next((r for r in running if r.unit_id == request.unit_id), None)
        if clock_row is None:
            raise Refused("no_running_deadline", "the unit has no completion deadline running on this case",
                          "request_id", status=409)
        granted = await store.extensions_granted(request.case_id, request.unit_id)
        check = clocks.check_extension(policy, rules.calendar, granted_before=granted,
                                       current_due=clock_row.due_at, new_due=due_at)
        if not check.allowed:
            raise Refused(check.code, check.message, "due_date",
                          status=409 if check.code == "extension_limit_reached" else 422,
                          **({"latest": check.latest.isoformat()} if check.latest else {}))
        moved = clocks.extend(clock_row.clock, policy, rules.calendar, due_at, now)
        await deadlines.save(uow, [ClockChange(clock_row.id, moved, breached_at=clock_row.breached_at)])
        await deadlines.announce(uow, request.case_id, moved, policy=f"{policy.name}:extended", now=now)
    reason = mask_personal_text(reason)
    stored = await store.decide_extension_request(
        request_id, status=RequestStatus.APPROVED if approve else RequestStatus.REFUSED, due_at=due_at, decided_by=by,
        decision_reason=reason, decided_at=now)
    uow.record(CaseExtensionDecided(case_id=request.case_id, unit_id=request.unit_id, approved=approve,
                                    due_at=due_at, reason=reason, decided_at=now))
    await deadlines.log(uow, request.case_id, now, "extension_decided", request.unit_id,
                        f"批准延期至{local_time(due_at)}" if due_at else f"不予延期：{reason}", actor=by)
    return stored


async def urge(uow: UnitOfWork, case_id: UUID, *, reason: str, reply_within_hours: int | None,
               scope: tuple[str, ...], by: str) -> CaseEscalated:
    """A supervisor presses the unit handling a case (催办), optionally with a written reply due."""
    case = await uow.store.case(case_id)
    if case is None or not within(scope, case.area_ids):
        raise Refused("not_found", "no such case", "case_id", status=404)
    if case.status == CaseStatus.COMPLETED or case.unit_id is None:
        raise Refused("not_being_handled", "only a case a unit is handling can be urged", "case_id", status=409)
    now = datetime.now(UTC)
    reply_by = now + timedelta(hours=reply_within_hours) if reply_within_hours else None
    reason = mask_personal_text(reason)
    urging = CaseEscalated(case_id=case_id, unit_id=case.unit_id, level=EscalationLevel.URGING, reason=reason,
                           reply_by=reply_by, escalated_at=now, supervisor_id=case.supervisor_id)
    uow.record(urging)
    await deadlines.log(uow, case_id, now, "urging", case.unit_id, reason, actor=by)
    if case.escalation_level is None:  # shown as under a supervision order until the unit answers
        await uow.store.mark_escalated([(case_id, EscalationLevel.URGING.value)])
    return urging
