"""The handling life cycle of a case, as one explicit state machine: which action each state allows, who may take
it, and what it changes. Plain Python: the API and the event handlers load a ``CaseFile``, take one ``Step`` and
store what it returns; the step names what happened so the edge can record the matching event.

dispatched → signed → in progress → completed, with the sources' side paths: a return (back to triage, the unit
excluded from automatic re-routing), a transfer approved by a dispatcher, co-handling (assisting units report their
parts, the lead completes), open claiming, joint handling (the "whistle": summoned units check in within a limit),
re-dispatch after a dissatisfied verdict (the redo count kept), and an explanation for what cannot be solved soon.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from services.dispatch.domain.routing import CaseToRoute, Directory, Unroutable
from shared.events import SuspensionReason


class State(StrEnum):
    AWAITING_CLASSIFICATION = "awaiting_classification"  # intake's classifier was unsure; a person decides
    TRIAGE = "triage"                                    # the linkage centre's queue: unroutable or returned
    ON_CLAIMING_BOARD = "on_claiming_board"              # open for partner units to claim
    DISPATCHED = "dispatched"
    SIGNED = "signed"                                    # the lead unit signed for it
    IN_PROGRESS = "in_progress"
    TRANSFER_REQUESTED = "transfer_requested"            # waiting for a dispatcher's approval
    EXPLAINED = "explained"                              # cannot be solved soon: answered, still tracked
    COMPLETED = "completed"


class Action(StrEnum):
    # how a case arrives (the first transition): held for a person's word, in triage, or routed by a rule
    HOLD = "held"
    TRIAGE = "triaged"
    ROUTE = "dispatched"
    DISPATCH = "dispatch"
    PUT_ON_BOARD = "put_on_board"
    CLAIM = "claim"
    SIGN = "sign"
    NOTE_PROGRESS = "note_progress"
    REPORT_PART = "report_part"
    COMPLETE = "complete"
    RETURN = "return"
    REQUEST_TRANSFER = "request_transfer"
    APPROVE_TRANSFER = "approve_transfer"
    REFUSE_TRANSFER = "refuse_transfer"
    SUMMON = "summon"
    CHECK_IN = "check_in"
    REQUEST_EXTENSION = "request_extension"
    EXPLAIN = "explain"
    SUSPEND = "suspend"
    RESUME = "resume"
    REDISPATCH = "redispatch"
    REOPEN = "reopen"
    # supervision's word and dispatch's own watch, recorded whatever the state
    DECIDE_EXTENSION = "decide_extension"
    FLAG_MISSED_CHECK_INS = "flag_missed_check_ins"


class ReturnReason(StrEnum):
    NOT_OUR_DUTY = "not_our_duty"
    WRONG_AREA = "wrong_area"
    DUPLICATE = "duplicate"
    MISSING_INFORMATION = "missing_information"


_HANDLING = frozenset({State.DISPATCHED, State.SIGNED, State.IN_PROGRESS})
_SUSPENDABLE = frozenset({State.SIGNED, State.IN_PROGRESS})

#: The whole machine: what each state allows. Anything else is refused, naming the state and these actions.
ALLOWED: Mapping[State, frozenset[Action]] = {
    State.AWAITING_CLASSIFICATION: frozenset({Action.DISPATCH, Action.PUT_ON_BOARD}),
    State.TRIAGE: frozenset({Action.DISPATCH, Action.PUT_ON_BOARD, Action.SUMMON, Action.CHECK_IN}),
    State.ON_CLAIMING_BOARD: frozenset({Action.CLAIM, Action.DISPATCH}),
    State.DISPATCHED: frozenset({Action.SIGN, Action.RETURN, Action.REQUEST_TRANSFER, Action.REPORT_PART,
                                 Action.SUMMON, Action.CHECK_IN, Action.REQUEST_EXTENSION, Action.REDISPATCH}),
    State.SIGNED: frozenset({Action.NOTE_PROGRESS, Action.REPORT_PART, Action.COMPLETE, Action.RETURN,
                             Action.REQUEST_TRANSFER, Action.REQUEST_EXTENSION, Action.EXPLAIN, Action.SUMMON,
                             Action.CHECK_IN, Action.REDISPATCH, Action.SUSPEND, Action.RESUME}),
    State.IN_PROGRESS: frozenset({Action.NOTE_PROGRESS, Action.REPORT_PART, Action.COMPLETE, Action.RETURN,
                                  Action.REQUEST_TRANSFER, Action.REQUEST_EXTENSION, Action.EXPLAIN, Action.SUMMON,
                                  Action.CHECK_IN, Action.REDISPATCH, Action.SUSPEND, Action.RESUME}),
    State.TRANSFER_REQUESTED: frozenset({Action.APPROVE_TRANSFER, Action.REFUSE_TRANSFER, Action.REPORT_PART,
                                         Action.CHECK_IN}),
    State.EXPLAINED: frozenset({Action.NOTE_PROGRESS, Action.COMPLETE, Action.REQUEST_EXTENSION, Action.REDISPATCH}),
    State.COMPLETED: frozenset({Action.REOPEN}),
}


#: Who may take which action: the linkage centre's decisions, and the lead unit's handling.
DISPATCHERS_ACTIONS = frozenset({Action.DISPATCH, Action.PUT_ON_BOARD, Action.REDISPATCH, Action.APPROVE_TRANSFER,
                                 Action.REFUSE_TRANSFER, Action.SUMMON})
LEAD_ACTIONS = frozenset({Action.SIGN, Action.NOTE_PROGRESS, Action.COMPLETE, Action.RETURN, Action.REQUEST_TRANSFER,
                          Action.REQUEST_EXTENSION, Action.EXPLAIN, Action.SUSPEND, Action.RESUME})


def actions_open(case: CaseFile, *, unit_id: str | None = None, dispatcher: bool = False) -> list[Action]:
    """What a dispatcher, or a unit's staff, may do with the case now (the state allows it and it is theirs to do);
    the pages offer these and nothing else."""
    allowed = ALLOWED[case.state]
    if dispatcher:
        return sorted(allowed & DISPATCHERS_ACTIONS)
    mine: set[Action] = set()
    if unit_id is not None and unit_id == case.lead:
        mine |= LEAD_ACTIONS - {Action.RESUME if case.suspended is None else Action.SUSPEND}
        if case.extension_pending:
            mine.discard(Action.REQUEST_EXTENSION)
    if unit_id in case.assisting and unit_id not in case.parts_reported:
        mine.add(Action.REPORT_PART)
    if case.summons is not None and unit_id in case.summons.checked_in and case.summons.checked_in[unit_id] is None:
        mine.add(Action.CHECK_IN)
    if case.state is State.ON_CLAIMING_BOARD and unit_id is not None and unit_id not in case.excluded:
        mine.add(Action.CLAIM)
    return sorted(allowed & mine)


class Refusal(Exception):
    """A step that may not be taken; ``code`` is stable for the API."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class IllegalTransition(Refusal):
    def __init__(self, state: State, action: Action):
        self.state, self.action = state, action
        self.allowed = sorted(ALLOWED[state])
        super().__init__("illegal_transition", f"a case that is {state.value} cannot take '{action.value}'; "
                         f"allowed: {', '.join(a.value for a in self.allowed) or 'nothing'}", "action")


class NotYourCase(Refusal):
    """The unit has no part in this case (the API answers 404, as for a case that does not exist)."""

    def __init__(self):
        super().__init__("not_found", "no such case", "case_id")


@dataclass(frozen=True)
class Summons:
    """Joint handling: the units called to one case and by when each must check in."""

    check_in_by: datetime
    checked_in: Mapping[str, datetime | None]
    alerted: bool = False  # the units missing at the limit were named once

    def missing(self, now: datetime) -> list[str]:
        return sorted(u for u, at in self.checked_in.items() if at is None and now > self.check_in_by)


@dataclass(frozen=True)
class CaseFile:
    """What dispatch knows of one case's handling; ``version`` guards against stale writes."""

    case_id: str
    state: State
    version: int = 1
    lead: str | None = None
    assisting: tuple[str, ...] = ()
    parts_reported: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()   # units that returned it: not chosen again automatically
    redo_count: int = 0
    state_before_transfer: State | None = None
    transfer_to: str | None = None
    summons: Summons | None = None
    planned_date: date | None = None         # of an explanation
    extensions_requested: int = 0
    extension_pending: bool = False          # a request supervision has not decided yet
    suspended: SuspensionReason | None = None  # what the unit waits on (supervision's policy: does the clock stop)
    routing: CaseToRoute | None = None       # what automatic routing reads: sub-item, class, area

    def involves(self, unit_id: str) -> bool:
        return unit_id == self.lead or unit_id in self.assisting or (
            self.summons is not None and unit_id in self.summons.checked_in)


@dataclass(frozen=True)
class Step:
    """The case after an action, and what happened (the edge records the matching event)."""

    case: CaseFile
    action: Action
    detail: Mapping[str, object] = field(default_factory=dict)


def _check(case: CaseFile, action: Action) -> None:
    if action not in ALLOWED[case.state]:
        raise IllegalTransition(case.state, action)


def _moved(case: CaseFile, **changes) -> CaseFile:
    moved = replace(case, version=case.version + 1, **changes)
    # A wait belongs to the unit in the middle of handling: it ends when the case moves on or to another unit.
    if moved.suspended is not None and (moved.state not in _SUSPENDABLE or moved.lead != case.lead):
        moved = replace(moved, suspended=None)
    return moved


def _require_lead(case: CaseFile, unit_id: str) -> None:
    """Asked before the state: a unit with no part in the case must not learn its state."""
    if unit_id != case.lead:
        if case.involves(unit_id):
            raise Refusal("lead_only", "only the lead unit may do this", "unit_id")
        raise NotYourCase()


def _require_text(value: str, field_name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Refusal("missing_field", f"{field_name} is required", field_name)
    return value


# --- a new case ----------------------------------------------------------------------------------------------------

def receive(case_id: str, routing: CaseToRoute, directory: Directory, *, needs_triage: bool) -> Step:
    """A reported case's first state: held while intake's classifier was unsure (a person decides), in triage when
    no rule places it, else dispatched to the unit the rule names."""
    if needs_triage:
        return Step(CaseFile(case_id, State.AWAITING_CLASSIFICATION, routing=routing), Action.HOLD,
                    {"text": "waiting for intake to confirm the sub-item"})
    try:
        decision = directory.route(routing)
    except Unroutable as exc:
        return Step(CaseFile(case_id, State.TRIAGE, routing=routing), Action.TRIAGE, {"text": str(exc)})
    assisting = tuple(u.id for u in decision.assisting)
    return Step(CaseFile(case_id, State.DISPATCHED, lead=decision.lead.id, assisting=assisting, routing=routing),
                Action.ROUTE, {"lead": decision.lead.id, "lead_name": decision.lead.name_zh, "assisting": assisting,
                               "rule_id": decision.rule_id, "reason": None})


# --- dispatchers ---------------------------------------------------------------------------------------------------

def dispatch(case: CaseFile, lead: str, assisting: Iterable[str] = (), *, reason: str | None = None,
             rule_id: str | None = None) -> Step:
    """A unit named with a timetable: by a rule (``rule_id``) or by a dispatcher's hand (``reason`` required)."""
    _check(case, Action.DISPATCH)
    if rule_id is None:
        reason = _require_text(reason or "", "reason")
    assisting = tuple(dict.fromkeys(u for u in assisting if u != lead))
    return Step(_moved(case, state=State.DISPATCHED, lead=lead, assisting=assisting, parts_reported=frozenset(),
                       transfer_to=None, state_before_transfer=None),
                Action.DISPATCH, {"lead": lead, "assisting": assisting, "reason": reason, "rule_id": rule_id})


def route_again(case: CaseFile, directory: Directory, *, reason: str | None = None) -> Step:
    """Automatic routing once more (after a return, or when a dispatcher asks), never to a unit that returned it."""
    _check(case, Action.DISPATCH)
    if case.routing is None:
        raise Refusal("unroutable", "the case has no sub-item to route by", "category")
    try:
        decision = directory.route(case.routing, exclude=case.excluded)
    except Unroutable as exc:
        raise Refusal("unroutable", str(exc), "case_id") from None
    step = dispatch(case, decision.lead.id, [u.id for u in decision.assisting], reason=reason,
                    rule_id=decision.rule_id)
    return replace(step, detail={**step.detail, "lead_name": decision.lead.name_zh})


def redispatch(case: CaseFile, lead: str, assisting: Iterable[str] = (), *, reason: str) -> Step:
    """A dispatcher overrides the unit of a case already being handled (or explained)."""
    _check(case, Action.REDISPATCH)
    reason = _require_text(reason, "reason")
    assisting = tuple(dict.fromkeys(u for u in assisting if u != lead))
    return Step(_moved(case, state=State.DISPATCHED, lead=lead, assisting=assisting, parts_reported=frozenset(),
                       planned_date=None, extension_pending=False),
                Action.REDISPATCH, {"lead": lead, "assisting": assisting, "previous_lead": case.lead, "reason": reason,
                                    "redo_count": case.redo_count})


def put_on_board(case: CaseFile) -> Step:
    """Open the case to claiming by partner units."""
    _check(case, Action.PUT_ON_BOARD)
    return Step(_moved(case, state=State.ON_CLAIMING_BOARD, lead=None, assisting=()), Action.PUT_ON_BOARD)


def approve_transfer(case: CaseFile) -> Step:
    _check(case, Action.APPROVE_TRANSFER)
    assert case.transfer_to is not None
    return Step(_moved(case, state=State.DISPATCHED, lead=case.transfer_to, transfer_to=None,
                       state_before_transfer=None, extension_pending=False, excluded=case.excluded | {case.lead} if case.lead else case.excluded),
                Action.APPROVE_TRANSFER, {"from": case.lead, "to": case.transfer_to})


def refuse_transfer(case: CaseFile, *, reason: str) -> Step:
    _check(case, Action.REFUSE_TRANSFER)
    reason = _require_text(reason, "reason")
    return Step(_moved(case, state=case.state_before_transfer or State.DISPATCHED, transfer_to=None,
                       state_before_transfer=None),
                Action.REFUSE_TRANSFER, {"to": case.transfer_to, "reason": reason})


def summon(case: CaseFile, units: Iterable[str], *, now: datetime, check_in_within: timedelta) -> Step:
    """Joint handling: several units are called to the case and each must check in within the limit."""
    _check(case, Action.SUMMON)
    units = tuple(dict.fromkeys(units))
    if len(units) < 2:
        raise Refusal("too_few_units", "joint handling summons at least two units", "units")
    if check_in_within <= timedelta(0):
        raise Refusal("out_of_range", "the check-in limit must be positive", "check_in_within_minutes")
    summons = Summons(check_in_by=now + check_in_within, checked_in=dict.fromkeys(units))
    return Step(_moved(case, summons=summons), Action.SUMMON,
                {"units": units, "check_in_by": summons.check_in_by})


# --- units ---------------------------------------------------------------------------------------------------------

def claim(case: CaseFile, unit_id: str) -> Step:
    """A partner unit takes a case from the claiming board; a second claim finds it no longer there."""
    if case.state != State.ON_CLAIMING_BOARD:
        if case.state in _HANDLING and case.lead is not None:
            raise Refusal("already_claimed", "another unit has this case", "case_id")
        raise IllegalTransition(case.state, Action.CLAIM)
    if unit_id in case.excluded:
        raise Refusal("excluded", "this unit returned the case before", "unit_id")
    return Step(_moved(case, state=State.DISPATCHED, lead=unit_id, assisting=()), Action.CLAIM, {"unit": unit_id})


def sign(case: CaseFile, unit_id: str) -> Step:
    _require_lead(case, unit_id)
    _check(case, Action.SIGN)
    return Step(_moved(case, state=State.SIGNED), Action.SIGN, {"unit": unit_id})


def note_progress(case: CaseFile, unit_id: str, text: str, photos: Iterable[str] = ()) -> Step:
    _require_lead(case, unit_id)
    _check(case, Action.NOTE_PROGRESS)
    text = _require_text(text, "text")
    state = State.EXPLAINED if case.state == State.EXPLAINED else State.IN_PROGRESS
    return Step(_moved(case, state=state), Action.NOTE_PROGRESS, {"unit": unit_id, "text": text,
                                                                   "photos": tuple(photos)})


def report_part(case: CaseFile, unit_id: str, text: str) -> Step:
    """An assisting unit reports its part of a co-handled case; so may a unit summoned to handle it jointly (its part
    is recorded; the lead's completion waits only on the assisting units')."""
    summoned = case.summons is not None and unit_id in case.summons.checked_in
    if unit_id not in case.assisting and not summoned:
        if case.involves(unit_id):
            raise Refusal("assisting_only", "only an assisting unit reports a part", "unit_id")
        raise NotYourCase()
    _check(case, Action.REPORT_PART)
    text = _require_text(text, "text")
    return Step(_moved(case, parts_reported=case.parts_reported | {unit_id}), Action.REPORT_PART,
                {"unit": unit_id, "text": text})


def complete(case: CaseFile, unit_id: str, result: str, photos: Iterable[str] = ()) -> Step:
    """The lead completes, once every assisting unit has reported its part."""
    _require_lead(case, unit_id)
    _check(case, Action.COMPLETE)
    result = _require_text(result, "result")
    missing = [u for u in case.assisting if u not in case.parts_reported]
    if missing:
        raise Refusal("parts_missing", f"assisting units have not reported their part: {', '.join(missing)}",
                      "assisting")
    # A pending extension request is moot once the case is done.
    return Step(_moved(case, state=State.COMPLETED, summons=None, extension_pending=False), Action.COMPLETE,
                {"unit": unit_id, "result": result, "photos": tuple(photos)})


def return_case(case: CaseFile, unit_id: str, reason: ReturnReason, text: str) -> Step:
    """Back to triage; the returning unit is not chosen again automatically."""
    _require_lead(case, unit_id)
    _check(case, Action.RETURN)
    text = _require_text(text, "text")
    return Step(_moved(case, state=State.TRIAGE, lead=None, assisting=(), parts_reported=frozenset(),
                       excluded=case.excluded | {unit_id}, extension_pending=False),
                Action.RETURN, {"unit": unit_id, "reason": ReturnReason(reason), "text": text})


def request_transfer(case: CaseFile, unit_id: str, to_unit: str, reason: str) -> Step:
    _require_lead(case, unit_id)
    _check(case, Action.REQUEST_TRANSFER)
    reason = _require_text(reason, "reason")
    if to_unit == unit_id:
        raise Refusal("same_unit", "a case is transferred to another unit", "to_unit")
    return Step(_moved(case, state=State.TRANSFER_REQUESTED, transfer_to=to_unit, state_before_transfer=case.state),
                Action.REQUEST_TRANSFER, {"from": unit_id, "to": to_unit, "reason": reason})


def check_in(case: CaseFile, unit_id: str, *, now: datetime) -> Step:
    if case.summons is None or unit_id not in case.summons.checked_in:
        raise NotYourCase() if not case.involves(unit_id) else Refusal(
            "not_summoned", "this unit is not summoned to joint handling on this case", "unit_id")
    _check(case, Action.CHECK_IN)
    if case.summons.checked_in[unit_id] is not None:
        raise Refusal("already_checked_in", "this unit has checked in", "unit_id")
    late = now > case.summons.check_in_by
    summons = replace(case.summons, checked_in={**case.summons.checked_in, unit_id: now})
    return Step(_moved(case, summons=summons), Action.CHECK_IN, {"unit": unit_id, "late": late})


def request_extension(case: CaseFile, unit_id: str, reason: str, proposed: date, *, today: date) -> Step:
    """The unit asks for more time; supervision decides. The state does not change."""
    _require_lead(case, unit_id)
    _check(case, Action.REQUEST_EXTENSION)
    reason = _require_text(reason, "reason")
    if proposed <= today:
        raise Refusal("out_of_range", "the proposed date must be after today", "proposed_date")
    if case.extension_pending:
        raise Refusal("extension_pending", "an extension request is waiting for supervision's decision",
                      "proposed_date")
    return Step(_moved(case, extensions_requested=case.extensions_requested + 1, extension_pending=True),
                Action.REQUEST_EXTENSION,
                {"unit": unit_id, "reason": reason, "proposed_date": proposed})


def explain(case: CaseFile, unit_id: str, explanation: str, planned: date, *, today: date) -> Step:
    """What cannot be solved in the short term: explained with a planned date; it counts as answered."""
    _require_lead(case, unit_id)
    _check(case, Action.EXPLAIN)
    explanation = _require_text(explanation, "explanation")
    if planned <= today:
        raise Refusal("out_of_range", "the planned date must be after today", "planned_date")
    return Step(_moved(case, state=State.EXPLAINED, planned_date=planned), Action.EXPLAIN,
                {"unit": unit_id, "explanation": explanation, "planned_date": planned})


def suspend(case: CaseFile, unit_id: str, reason: SuspensionReason, text: str) -> Step:
    """The unit waits on something outside its hands (the resident, a third party, the weather)."""
    _require_lead(case, unit_id)
    _check(case, Action.SUSPEND)
    text = _require_text(text, "text")
    if case.suspended is not None:
        raise Refusal("already_suspended", f"the case already waits ({case.suspended.value})", "reason")
    reason = SuspensionReason(reason)
    return Step(_moved(case, suspended=reason), Action.SUSPEND, {"unit": unit_id, "reason": reason, "text": text})


def resume(case: CaseFile, unit_id: str) -> Step:
    _require_lead(case, unit_id)
    _check(case, Action.RESUME)
    if case.suspended is None:
        raise Refusal("not_suspended", "the case is not waiting", "action")
    return Step(_moved(case, suspended=None), Action.RESUME, {"unit": unit_id})


# --- supervision ---------------------------------------------------------------------------------------------------

def reopen(case: CaseFile, *, reason: str, lead: str | None = None, round: int | None = None) -> Step:
    """A dissatisfied verdict sends the case back: to the same unit unless another is named; one more redo.

    ``round`` is the completion round judged: a second dissatisfied verdict on the same round reopens nothing more.
    """
    if round is not None and case.redo_count >= round:
        raise Refusal("already_reopened", f"completion round {round} was reopened already", "round")
    _check(case, Action.REOPEN)
    lead = lead or case.lead
    if lead is None:
        return Step(_moved(case, state=State.TRIAGE, redo_count=case.redo_count + 1), Action.REOPEN,
                    {"reason": reason, "lead": None, "redo_count": case.redo_count + 1})
    return Step(_moved(case, state=State.DISPATCHED, lead=lead, parts_reported=frozenset(), planned_date=None,
                       redo_count=case.redo_count + 1),
                Action.REOPEN, {"reason": reason, "lead": lead, "redo_count": case.redo_count + 1})


def decide_extension(case: CaseFile, *, approved: bool, reason: str, due_at: datetime | None = None) -> Step:
    """Supervision approved (with a new completion deadline) or refused the pending request; the state stays."""
    if not case.extension_pending:
        raise Refusal("no_extension_pending", "no extension request is waiting on this case", "case_id")
    return Step(_moved(case, extension_pending=False), Action.DECIDE_EXTENSION,
                {"approved": approved, "reason": reason, "due_at": due_at})


# --- dispatch's own watch ------------------------------------------------------------------------------------------

def flag_missed_check_ins(case: CaseFile, *, now: datetime) -> Step:
    """At the check-in limit of joint handling, name once the summoned units that did not come."""
    if case.summons is None or case.summons.alerted or now <= case.summons.check_in_by:
        raise Refusal("nothing_to_flag", "no check-in limit has passed unflagged", "summons")
    missing = case.summons.missing(now)
    return Step(_moved(case, summons=replace(case.summons, alerted=True)), Action.FLAG_MISSED_CHECK_INS,
                {"units": tuple(missing), "check_in_by": case.summons.check_in_by})
