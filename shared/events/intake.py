"""The events intake produces: a case reported, a duplicate linked or unlinked, a sub-item changed, a verdict given."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from shared.events.contract import INTAKE_CASES, Event, event_type
from shared.events.values import Channel, ClassifiedBy, ReportedLocation, Reporter, Verdict


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
    #: The report's photos (intake serves them to whoever may see the case, the units handling it included).
    photo_ids: tuple[UUID, ...] = ()
    #: What the classifier made of the resident's words where a person (a hotline operator) picked the sub-item.
    suggested_category_code: str | None = None
    #: A slip's kind (suggestion box, e-mail, questionnaire, one-to-one talk, opinion book, visit or liaison log) and
    #: the day the resident handed it in: the case was raised then, not when the file was imported.
    source_kind: str | None = None
    handed_in_on: date | None = None
    #: The problem came back: a case of the same sub-item completed at this place within the rebound window.
    rebound_of: UUID | None = None
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


class CaseResidentCallbackAnswered(Event, type=event_type("case.resident_callback_answered"), topic=INTAKE_CASES):
    """An operator called the resident back for a unit: what the resident said (masked), or that they could not be
    reached."""

    case_id: UUID
    request_id: UUID
    unit_id: str
    reached: bool
    answer: str
    answered_at: AwareDatetime
