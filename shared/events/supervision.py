"""The events supervision produces: clocks set, warned and breached, the ladder, reopenings, decisions, meetings and panels."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field

from shared.events.contract import SUPERVISION_CASES, Event, event_type
from shared.events.values import DeadlineKind, EscalationLevel


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


class CaseExplanationMeetingScheduled(Event, type=event_type("case.explanation_meeting_scheduled"),
                                      topic=SUPERVISION_CASES):
    """The explanation meeting was given its date and place: the residents and the unit are told; the case is
    expected to be settled by then."""

    case_id: UUID
    meeting_id: int
    round: Annotated[int, Field(ge=1)]
    scheduled_for: AwareDatetime
    place: str
    unit_id: str | None = None
    scheduled_at: AwareDatetime


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
