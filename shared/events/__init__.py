"""Domain event contracts: each event declared once, and the registry everything else is derived from."""

from shared.events.case import (
    AreaPath,
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineSet,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseDuplicateUnlinked,
    CaseExtensionRequested,
    CaseJointHandlingStarted,
    CaseProgressNoted,
    CaseReclassified,
    CaseRedispatched,
    CaseReported,
    CaseReturned,
    CaseSigned,
    CaseTransferred,
    Channel,
    ClassifiedBy,
    DeadlineKind,
    EvaluationSubmitted,
    ReportedLocation,
    Reporter,
    Verdict,
)
from shared.events.contract import REGISTRY, TOPICS, Event, Topic, event_type

__all__ = [
    "REGISTRY", "TOPICS", "AreaPath", "CaseClaimed", "CaseCompleted", "CaseExtensionRequested", "CaseJointHandlingStarted", "CaseRedispatched", "CaseTransferred", "CaseProgressNoted", "CaseReturned", "CaseSigned", "CaseDeadlineSet", "CaseDispatched", "CaseDuplicateLinked",
    "CaseDuplicateUnlinked", "CaseReclassified", "CaseReported", "Channel", "ClassifiedBy", "DeadlineKind",
    "EvaluationSubmitted", "Event", "ReportedLocation", "Reporter", "Topic", "Verdict", "event_type",
]
