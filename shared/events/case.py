"""The events of a case's life, in the order the closed loop produces them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
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


class DeadlineKind(StrEnum):
    SIGN_FOR = "sign_for"
    COMPLETION = "completion"


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


class CaseReported(Event, type=event_type("case.reported"), topic=INTAKE_CASES):
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


class CaseDispatched(Event, type=event_type("case.dispatched"), topic=DISPATCH_CASES):
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


class CaseDeadlineSet(Event, type=event_type("case.deadline_set"), topic=SUPERVISION_CASES):
    """Supervision opened a clock for a unit on a case, on the working calendar of its jurisdiction."""

    case_id: UUID
    unit_id: str
    kind: DeadlineKind
    due_at: AwareDatetime
    policy: str
    set_at: AwareDatetime
