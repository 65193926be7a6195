"""Domain event contracts: each event declared once, and the registry everything else is derived from."""

from shared.events.case import (
    AreaPath,
    CaseCheckInMissed,
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineSet,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseDuplicateUnlinked,
    CaseEscalated,
    CaseExtensionDecided,
    CaseExtensionRequested,
    CaseJointHandlingStarted,
    CaseProgressNoted,
    CaseReclassified,
    CaseRedispatched,
    CaseReopened,
    CaseReported,
    CaseReturned,
    CaseSigned,
    CaseTransferred,
    Channel,
    ClassifiedBy,
    DeadlineKind,
    EscalationLevel,
    EvaluationSubmitted,
    ReportedLocation,
    Reporter,
    Verdict,
)
from shared.events.contract import REGISTRY, TOPICS, Event, Topic, event_type

__all__ = [
    "REGISTRY", "TOPICS", "AreaPath", "CaseCheckInMissed", "CaseClaimed", "CaseCompleted", "CaseEscalated", "CaseExtensionDecided", "CaseExtensionRequested", "CaseReopened", "EscalationLevel", "CaseJointHandlingStarted", "CaseRedispatched", "CaseTransferred", "CaseProgressNoted", "CaseReturned", "CaseSigned", "CaseDeadlineSet", "CaseDispatched", "CaseDuplicateLinked",
    "CaseDuplicateUnlinked", "CaseReclassified", "CaseReported", "Channel", "ClassifiedBy", "DeadlineKind",
    "EvaluationSubmitted", "Event", "ReportedLocation", "Reporter", "Topic", "Verdict", "event_type",
]
