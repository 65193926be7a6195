"""Domain event contracts: each event declared once, and the registry everything else is derived from."""

from shared.events.contract import REGISTRY, Event, Topic, TOPICS, event_type
from shared.events.case import (
    AreaPath,
    CaseDeadlineSet,
    CaseDispatched,
    CaseReported,
    Channel,
    DeadlineKind,
    ReportedLocation,
    Reporter,
)

__all__ = [
    "REGISTRY", "TOPICS", "AreaPath", "CaseDeadlineSet", "CaseDispatched", "CaseReported", "Channel",
    "DeadlineKind", "Event", "ReportedLocation", "Reporter", "Topic", "event_type",
]
