"""The value types events are made of: channels, verdicts, clock kinds, where a case lies, who reported it."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


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
