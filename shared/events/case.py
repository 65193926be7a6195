"""The events of a case's life, in the order the closed loop produces them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events.contract import DISPATCH_CASES, INTAKE_CASES, SUPERVISION_CASES, Event, event_type


class Channel(StrEnum):
    """How a report reached intake."""

    SELF_SERVICE = "self_service"
    HOTLINE = "hotline"
    MESSAGING_GROUP = "messaging_group"
    GRID_PATROL = "grid_patrol"
    BATCH_IMPORT = "batch_import"
    OPEN311 = "open311"


class ClassifiedBy(StrEnum):
    """Who placed the case in the category tree."""

    RESIDENT = "resident"
    OPERATOR = "operator"
    CLASSIFIER = "classifier"


class Verdict(StrEnum):
    """The resident's judgement of a completed case (满意 / 基本满意 / 不满意)."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


class DeadlineKind(StrEnum):
    SIGN_FOR = "sign_for"
    COMPLETION = "completion"
    PLANNED = "planned"  # the date a unit gave with its explanation of a case it cannot solve soon
    REPLY = "reply"      # the time a unit has to answer a step of the escalation ladder
    VERDICT = "verdict"  # the time a resident has to judge a completion before an operator calls back


class SuspensionReason(StrEnum):
    """Why a unit waits; the jurisdiction's policy says which of these stop the clock."""

    WAITING_FOR_RESIDENT = "waiting_for_resident"    # the resident cannot be reached or asked to wait
    WAITING_FOR_THIRD_PARTY = "waiting_for_third_party"  # a utility, an owner, a court
    WEATHER = "weather"


class EscalationLevel(StrEnum):
    """The steps of the escalation ladder, from a supervisor's urging to the district."""

    URGING = "urging"                        # 催办: a supervisor presses the unit by hand
    SUPERVISION_ORDER = "supervision_order"  # 督办单: a written order with a reply deadline
    STREET_LEADER = "street_leader"
    DISTRICT = "district"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AreaPath(_Part):
    """Where a case lies in the jurisdiction tree, from district down to grid."""

    district_id: str
    street_id: str
    community_id: str
    grid_id: str

    def ids(self) -> tuple[str, str, str, str]:
        """Most general first."""
        return (self.district_id, self.street_id, self.community_id, self.grid_id)


class ReportedLocation(_Part):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    address: str | None = None
    area: AreaPath


class Reporter(_Part):
    """Who reported, as other services may see it: a reference and a masked number, never a name."""

    ref: str
    phone_masked: str | None = None
    anonymous: bool = False


class CaseReported(Event, type=event_type("case.reported"), topic=INTAKE_CASES, partner=True):
    """Intake accepted a report and opened a case for it."""

    case_id: UUID
    tracking_code: str
    category_code: str
    category_class: str
    category_version: int
    time_limit_class: str
    handle_locally: bool = False
    urgent: bool = False
    description: str
    channel: Channel
    location: ReportedLocation
    reporter: Reporter
    reported_at: AwareDatetime
    category_confidence: Annotated[float, Field(ge=0, le=1)] = 1.0
    classified_by: ClassifiedBy = ClassifiedBy.RESIDENT
    #: The classifier was unsure: a person confirms or changes the sub-item (``case.reclassified``) before dispatch.
    needs_triage: bool = False
    #: A similar open case of another sub-item nearby: never linked silently, shown to the people handling it.
    suspected_duplicate_of: UUID | None = None
    photo_count: int = 0
    #: Where a reply reaches the resident in the channel used: for a messaging group, ``<group id>/<message id>``.
    reply_to: str | None = None


class CaseDuplicateLinked(Event, type=event_type("case.duplicate_linked"), topic=INTAKE_CASES):
    """Another resident reported an open case's problem: the report joins the case, its reporter becomes a co-reporter
    and hears every later update under the case's tracking code."""

    case_id: UUID
    report_id: UUID
    tracking_code: str
    channel: Channel
    reporter: Reporter
    similarity: Annotated[float, Field(ge=0, le=1)]
    residents_affected: int
    linked_at: AwareDatetime


class CaseDuplicateUnlinked(Event, type=event_type("case.duplicate_unlinked"), topic=INTAKE_CASES):
    """An operator judged a linked report to be a problem of its own; it became ``new_case_id`` (reported anew)."""

    case_id: UUID
    report_id: UUID
    new_case_id: UUID
    residents_affected: int
    unlinked_at: AwareDatetime


class CaseReclassified(Event, type=event_type("case.reclassified"), topic=INTAKE_CASES, partner=True):
    """A person placed the case in the tree: confirmed a triaged case or moved it to another sub-item."""

    case_id: UUID
    category_code: str
    category_class: str
    category_version: int
    time_limit_class: str
    handle_locally: bool = False
    previous_category_code: str
    was_triage: bool
    reason: str | None = None
    reclassified_at: AwareDatetime


class EvaluationSubmitted(Event, type=event_type("evaluation.submitted"), topic=INTAKE_CASES, partner=True):
    """A resident's verdict on a completed case, given by the resident or taken by an operator on a call-back."""

    case_id: UUID
    round: int
    verdict: Verdict
    resolved: bool | None = None  # was the problem solved, as the resident says (the resolution rate)
    comment: str | None = None
    via: Literal["resident", "callback"]
    reporter_ref: str | None = None
    submitted_at: AwareDatetime


class CaseDispatched(Event, type=event_type("case.dispatched"), topic=DISPATCH_CASES, partner=True):
    """Dispatch assigned a case to a lead unit (and perhaps assisting units)."""

    case_id: UUID
    unit_id: str
    unit_name: str
    assisting_unit_ids: tuple[str, ...] = ()
    rule_id: str | None = None
    category_code: str
    time_limit_class: str
    urgent: bool = False
    area: AreaPath
    dispatched_at: AwareDatetime


class CaseSigned(Event, type=event_type("case.signed"), topic=DISPATCH_CASES, partner=True):
    """The lead unit signed for the case: it is now theirs to handle."""

    case_id: UUID
    unit_id: str
    unit_name: str
    signed_at: AwareDatetime


class CaseProgressNoted(Event, type=event_type("case.progress_noted"), topic=DISPATCH_CASES):
    """The lead unit noted progress (numbers in the text masked)."""

    case_id: UUID
    unit_id: str
    text: str
    photo_count: int = 0
    noted_at: AwareDatetime


class CaseReturned(Event, type=event_type("case.returned"), topic=DISPATCH_CASES, partner=True):
    """The lead unit gave the case back; it waits in triage and the unit is not chosen again automatically."""

    case_id: UUID
    unit_id: str
    reason: Literal["not_our_duty", "wrong_area", "duplicate", "missing_information"]
    text: str
    returned_at: AwareDatetime


class CaseTransferred(Event, type=event_type("case.transferred"), topic=DISPATCH_CASES, partner=True):
    """A dispatcher approved a unit's request to hand the case to another unit."""

    case_id: UUID
    from_unit_id: str
    unit_id: str
    unit_name: str
    transferred_at: AwareDatetime


class CaseClaimed(Event, type=event_type("case.claimed"), topic=DISPATCH_CASES, partner=True):
    """A partner unit took the case from the claiming board (one claim wins)."""

    case_id: UUID
    unit_id: str
    unit_name: str
    claimed_at: AwareDatetime


class CaseJointHandlingStarted(Event, type=event_type("case.joint_handling_started"), topic=DISPATCH_CASES,
                               partner=True):
    """A dispatcher summoned several units to one case (the "whistle"); each must check in by ``check_in_by``."""

    case_id: UUID
    unit_ids: tuple[str, ...]
    check_in_by: AwareDatetime
    started_at: AwareDatetime


class CaseExtensionRequested(Event, type=event_type("case.extension_requested"), topic=DISPATCH_CASES):
    """The lead unit asks for more time; supervision decides."""

    case_id: UUID
    unit_id: str
    reason: str
    proposed_date: date
    requested_at: AwareDatetime
    # Where the case lies, so the supervisor of that jurisdiction decides (absent in events before it was added).
    area: AreaPath | None = None


class CaseCheckInMissed(Event, type=event_type("case.check_in_missed"), topic=DISPATCH_CASES):
    """The check-in limit of joint handling passed and these summoned units had not checked in."""

    case_id: UUID
    unit_ids: tuple[str, ...]
    check_in_by: AwareDatetime
    flagged_at: AwareDatetime


class CaseExplained(Event, type=event_type("case.explained"), topic=DISPATCH_CASES):
    """A unit cannot solve the case in the short term: it explained why and named a planned date. It counts as
    answered and stays tracked until completed."""

    case_id: UUID
    unit_id: str
    explanation: str
    planned_date: date
    explained_at: AwareDatetime


class CaseSuspended(Event, type=event_type("case.suspended"), topic=DISPATCH_CASES, partner=True):
    """The unit waits on something outside its hands; whether its clocks stop is the jurisdiction's policy."""

    case_id: UUID
    unit_id: str
    reason: SuspensionReason
    text: str
    suspended_at: AwareDatetime


class CaseResumed(Event, type=event_type("case.resumed"), topic=DISPATCH_CASES, partner=True):
    """The wait is over; stopped clocks run again from here."""

    case_id: UUID
    unit_id: str
    resumed_at: AwareDatetime


class CaseRedispatched(Event, type=event_type("case.redispatched"), topic=DISPATCH_CASES, partner=True):
    """The case goes to a unit again: a dispatcher's override or a reopened case (``redo_count`` kept)."""

    case_id: UUID
    unit_id: str
    unit_name: str
    previous_unit_id: str | None = None
    redo_count: int = 0
    reason: str
    redispatched_at: AwareDatetime


class CaseCompleted(Event, type=event_type("case.completed"), topic=DISPATCH_CASES, partner=True):
    """The lead unit reported the case done: the resident can now give a verdict."""

    case_id: UUID
    unit_id: str
    unit_name: str
    result: str
    completed_at: AwareDatetime


class CaseDeadlineSet(Event, type=event_type("case.deadline_set"), topic=SUPERVISION_CASES):
    """Supervision opened a clock for a unit on a case, on the working calendar of its jurisdiction."""

    case_id: UUID
    unit_id: str
    kind: DeadlineKind
    due_at: AwareDatetime
    policy: str
    set_at: AwareDatetime


class CaseDeadlineWarned(Event, type=event_type("case.deadline_warned"), topic=SUPERVISION_CASES, partner=True):
    """Yellow: a share of a unit's time on a case is used up (``threshold``, e.g. 0.5 or 0.8) and it is not done."""

    case_id: UUID
    unit_id: str
    kind: DeadlineKind
    threshold: Annotated[float, Field(gt=0, lt=1)]
    due_at: AwareDatetime
    warned_at: AwareDatetime
    supervisor_id: str | None = None


class CaseDeadlineBreached(Event, type=event_type("case.deadline_breached"), topic=SUPERVISION_CASES, partner=True):
    """Red: a unit's deadline passed undone (``due_at`` is when; ``breached_at`` when supervision said so)."""

    case_id: UUID
    unit_id: str
    kind: DeadlineKind
    due_at: AwareDatetime
    breached_at: AwareDatetime
    level: EscalationLevel | None = None
    supervisor_id: str | None = None


class CaseReopened(Event, type=event_type("case.reopened"), topic=SUPERVISION_CASES, partner=True):
    """A resident judged a completed case unsatisfactory: it goes back to dispatch (the same unit unless one is named).

    ``round`` is the completion round judged; a second verdict on the same round reopens nothing more.
    """

    case_id: UUID
    round: Annotated[int, Field(ge=1)]
    reason: str
    unit_id: str | None = None
    reopened_at: AwareDatetime


class CaseExtensionDecided(Event, type=event_type("case.extension_decided"), topic=SUPERVISION_CASES, partner=True):
    """A supervisor approved a unit's request for more time (with the new completion deadline) or refused it."""

    case_id: UUID
    unit_id: str
    approved: bool
    due_at: AwareDatetime | None = None
    reason: str
    decided_at: AwareDatetime


class CaseEscalated(Event, type=event_type("case.escalated"), topic=SUPERVISION_CASES, partner=True):
    """A step up the escalation ladder for a late or stuck case; ``reply_by`` when the unit owes a written reply."""

    case_id: UUID
    unit_id: str
    level: EscalationLevel
    reason: str
    reply_by: AwareDatetime | None = None
    escalated_at: AwareDatetime
    supervisor_id: str | None = None


class CaseSupervisorAssigned(Event, type=event_type("case.supervisor_assigned"), topic=SUPERVISION_CASES):
    """The supervisor who watches the case: the closest fit by area and sub-item, the least loaded among equals."""

    case_id: UUID
    supervisor_id: str
    assigned_at: AwareDatetime


class CaseObserved(Event, type=event_type("case.observed"), topic=SUPERVISION_CASES):
    """A resident supervisor left an observation on a case in the area of their certificate (numbers masked)."""

    case_id: UUID
    certificate_number: str
    text: str
    observed_at: AwareDatetime


class CaseCallbackRequested(Event, type=event_type("case.callback_requested"), topic=SUPERVISION_CASES):
    """No verdict came in time for a completion: an operator should call the resident back (回访)."""

    case_id: UUID
    round: Annotated[int, Field(ge=1)]
    completed_at: AwareDatetime
    requested_at: AwareDatetime


class CaseExplanationMeetingCalled(Event, type=event_type("case.explanation_meeting_called"),
                                   topic=SUPERVISION_CASES):
    """Residents stayed dissatisfied past the cap on reopenings: the unit and the supervisor explain the case to them
    at a meeting (情况说明会) instead of another round."""

    case_id: UUID
    round: Annotated[int, Field(ge=1)]
    reason: str
    called_at: AwareDatetime


class CaseExplanationMeetingHeld(Event, type=event_type("case.explanation_meeting_held"), topic=SUPERVISION_CASES):
    """The meeting was held: ``accepted`` if the residents understood and accepted the explanation; if not, the case
    is reopened (``case.reopened`` follows)."""

    case_id: UUID
    round: Annotated[int, Field(ge=1)]
    accepted: bool
    summary: str
    held_at: AwareDatetime


class CasePanelRated(Event, type=event_type("case.panel_rated"), topic=SUPERVISION_CASES):
    """A three-party panel rated the unit that handled a wide-impact case (1-5 from each party)."""

    case_id: UUID
    unit_id: str
    panel_id: UUID
    quarter: str
    community: Annotated[int, Field(ge=1, le=5)]
    party_member: Annotated[int, Field(ge=1, le=5)]
    resident: Annotated[int, Field(ge=1, le=5)]
    rated_at: AwareDatetime
