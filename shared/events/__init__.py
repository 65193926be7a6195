"""Domain event contracts: each event declared once, and the registry everything else is derived from."""

from shared.events.case import (
    AreaPath,
    CaseCompleted,
    CaseDeadlineSet,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseDuplicateUnlinked,
    CaseProgressNoted,
    CaseReclassified,
    CaseReported,
    CaseReturned,
    CaseSigned,
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
    "REGISTRY", "TOPICS", "AreaPath", "CaseCompleted", "CaseProgressNoted", "CaseReturned", "CaseSigned", "CaseDeadlineSet", "CaseDispatched", "CaseDuplicateLinked",
    "CaseDuplicateUnlinked", "CaseReclassified", "CaseReported", "Channel", "ClassifiedBy", "DeadlineKind",
    "EvaluationSubmitted", "Event", "ReportedLocation", "Reporter", "Topic", "Verdict", "event_type",
]
