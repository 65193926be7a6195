"""Domain event contracts: each event declared once, and the registry everything else is derived from."""

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
from shared.events.contract import REGISTRY, TOPICS, Event, Topic, event_type

__all__ = [
    "REGISTRY", "TOPICS", "AreaPath", "CaseDeadlineSet", "CaseDispatched", "CaseReported", "Channel",
    "DeadlineKind", "Event", "ReportedLocation", "Reporter", "Topic", "event_type",
]
