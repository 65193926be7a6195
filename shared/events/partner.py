"""What partner systems are told of a case: one thin, masked notice per step, on the partner topic and their webhooks."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime

from shared.events.contract import PARTNER_CASES, Event, event_type
from shared.events.values import DeadlineKind, EscalationLevel, Verdict


class PartnerCaseNotice(Event, type=event_type("partner.case_step"), topic=PARTNER_CASES):
    """A step in a case, for partner systems: minimal and masked (no resident's name, number, words or address).

    ``step`` is the type of the event behind the notice (e.g. ``org.gridlink.case.completed.v1``); the other fields
    are set where that step has them. A step read before its case's report is held until the report says where the
    case lies.
    """

    case_id: UUID
    step: str
    occurred_at: AwareDatetime
    category_code: str | None = None
    district_id: str | None = None
    street_id: str | None = None
    unit_id: str | None = None
    unit_name: str | None = None
    urgent: bool | None = None
    kind: DeadlineKind | None = None
    due_at: AwareDatetime | None = None
    level: EscalationLevel | None = None
    approved: bool | None = None
    verdict: Verdict | None = None
    round: int | None = None


#: The fields a notice copies from the step's own event, where it has them.
COPIED_FIELDS = ("category_code", "unit_id", "unit_name", "urgent", "kind", "due_at", "level", "approved", "verdict",
                 "round")
