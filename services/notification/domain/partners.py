"""What partners hear, in plain Python: an endpoint's filters (the steps it asked for, the districts or streets) and
the thin notice of a step, with only the fields partners may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from services.notification.domain.deliveries import CaseContact
from shared.events import COPIED_FIELDS, Event, PartnerCaseNotice


@dataclass(frozen=True)
class Subscription:
    """An active endpoint's filters: the steps it asked for, and the districts or streets (none: everywhere)."""

    endpoint_id: UUID
    event_types: frozenset[str]
    areas: frozenset[str]

    def wants(self, notice: PartnerCaseNotice) -> bool:
        if notice.step not in self.event_types:
            return False
        return not self.areas or notice.district_id in self.areas or notice.street_id in self.areas


def area_of(event: Event):
    """Where the event itself says the case lies, if it says."""
    return getattr(event, "area", None) or getattr(getattr(event, "location", None), "area", None)


def notice_of(event: Event, contact: CaseContact | None, occurred_at: datetime) -> PartnerCaseNotice:
    """The thin notice of a step: what the event itself says of the fields partners may see, where the case lies
    and its sub-item as notification knows them."""
    data = {name: getattr(event, name) for name in COPIED_FIELDS if getattr(event, name, None) is not None}
    area = area_of(event)
    district = (contact.district_id if contact is not None and contact.district_id
                else getattr(area, "district_id", None))
    street = contact.street_id if contact is not None and contact.street_id else getattr(area, "street_id", None)
    if "category_code" not in data and contact is not None and contact.category_code:
        data["category_code"] = contact.category_code
    return PartnerCaseNotice(case_id=event.case_id, step=event.type, occurred_at=occurred_at, district_id=district,
                             street_id=street, **data)


class WebhookStatus(StrEnum):
    """A webhook message waits for its next attempt, was delivered, or was given up after the last one."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
