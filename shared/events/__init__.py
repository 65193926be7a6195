"""Domain event contracts: each event declared once, in the module of the service that produces it (intake, dispatch,
supervision; notification's partner notice; the reference data intake and dispatch own), and the registry everything
else is derived from."""

from shared.events.contract import PARTNER_CASES, REGISTRY, TOPICS, Event, Topic, event_type
from shared.events.dispatch import (
    CaseCheckInMissed,
    CaseClaimed,
    CaseCompleted,
    CaseDispatched,
    CaseExplained,
    CaseExtensionRequested,
    CaseJointHandlingStarted,
    CaseOpenedForClaiming,
    CaseProgressNoted,
    CaseRedispatched,
    CaseResidentCallbackAsked,
    CaseResumed,
    CaseReturned,
    CaseSigned,
    CaseSuspended,
    CaseTransferred,
)
from shared.events.intake import (
    CaseDuplicateLinked,
    CaseDuplicateUnlinked,
    CaseReclassified,
    CaseReported,
    CaseResidentCallbackAnswered,
    EvaluationSubmitted,
)
from shared.events.partner import COPIED_FIELDS, PartnerCaseNotice
from shared.events.reference import AreaChanged, CategoryChanged, UnitChanged
from shared.events.supervision import (
    CaseCallbackRequested,
    CaseDeadlineBreached,
    CaseDeadlineSet,
    CaseDeadlineWarned,
    CaseEscalated,
    CaseExplanationMeetingCalled,
    CaseExplanationMeetingHeld,
    CaseExplanationMeetingScheduled,
    CaseExtensionDecided,
    CaseObserved,
    CasePanelRated,
    CaseReopened,
    CaseSupervisorAssigned,
)
from shared.events.values import (
    AreaPath,
    Channel,
    ClassifiedBy,
    DeadlineKind,
    EscalationLevel,
    ReportedLocation,
    Reporter,
    SuspensionReason,
    Verdict,
)

__all__ = [
    "AreaChanged", "AreaPath", "CategoryChanged", "UnitChanged", "CaseCallbackRequested", "CaseCheckInMissed", "CaseClaimed", "CaseCompleted", "CaseDeadlineBreached",
    "CaseDeadlineSet", "CaseDeadlineWarned", "CaseDispatched", "CaseDuplicateLinked", "CaseDuplicateUnlinked",
    "CaseEscalated", "CaseExplained", "CaseExplanationMeetingCalled", "CaseExplanationMeetingHeld", "CaseExplanationMeetingScheduled",
    "CaseExtensionDecided", "CaseExtensionRequested", "CaseJointHandlingStarted", "CaseObserved", "CaseOpenedForClaiming", "CasePanelRated",
    "CaseProgressNoted", "CaseReclassified", "CaseRedispatched", "CaseReopened", "CaseReported", "CaseResidentCallbackAnswered", "CaseResidentCallbackAsked", "CaseResumed",
    "CaseReturned", "CaseSigned", "CaseSupervisorAssigned", "CaseSuspended", "CaseTransferred", "Channel",
    "COPIED_FIELDS", "ClassifiedBy", "DeadlineKind", "EscalationLevel", "EvaluationSubmitted", "Event", "PARTNER_CASES", "PartnerCaseNotice", "REGISTRY", "ReportedLocation",
    "Reporter", "SuspensionReason", "TOPICS", "Topic", "Verdict", "event_type",
]
