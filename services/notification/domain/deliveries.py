"""Who is told, by which channel and when, in plain Python: what notification knows of a case's people, the status a
delivery goes through, the quiet hours residents are not texted in, and each audience's route."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from uuid import UUID

from services.notification.domain.templates import Rule
from shared.local_time import LOCAL_ZONE

LOCALE = "zh"  # residents read simplified Chinese (intake does not ask their language); staff may choose
# Residents are not texted at night, unless the matter is urgent (water, power, gas).
QUIET_FROM, QUIET_UNTIL = time(22, 0), time(8, 0)


class DeliveryStatus(StrEnum):
    """SMS, e-mail and group replies are queued for their gateway (then delivered or, when every channel failed,
    dead-lettered); the in-app inbox is delivered by writing; a resident's message may wait for the report."""

    QUEUED = "queued"
    DELIVERED = "delivered"
    AWAITING_CONTACT = "awaiting_contact"
    NO_CONTACT = "no_contact"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class CaseContact:
    """What notification knows of a case: the resident's masked contact, where the case lies, who supervises it,
    and whether messages wait for its report."""

    case_id: UUID
    reporter_ref: str | None = None
    phone_masked: str | None = None
    tracking_code: str | None = None
    district_id: str | None = None
    street_id: str | None = None
    supervisor_id: str | None = None
    urgent: bool = False
    community_id: str | None = None
    grid_id: str | None = None
    category_code: str | None = None
    reply_to: str | None = None
    waiting: bool = False

    @classmethod
    def known(cls, before: CaseContact | None, case_id: UUID, **changes) -> CaseContact:
        """The contact once ``changes`` are written (the rest as it was)."""
        return replace(before or cls(case_id=case_id), **changes)


@dataclass(frozen=True)
class Route:
    channel: str
    status: DeliveryStatus
    fallbacks: list[str] = field(default_factory=list)
    not_before: datetime | None = None


def quiet_until(now: datetime, *, urgent: bool) -> datetime | None:
    """When a resident's message may be sent if ``now`` falls in the quiet hours; None if it may go now."""
    local = now.astimezone(LOCAL_ZONE)
    if urgent or QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() + timedelta(days=1) if local.time() >= QUIET_FROM else local.date()
    return datetime.combine(day, QUIET_UNTIL, LOCAL_ZONE)


def resident_recipient(case_id: UUID) -> str:
    return f"resident:{case_id}"


def resident_route(contact: CaseContact | None, now: datetime) -> Route:
    """A resident's message: the messaging group they reported in first, then SMS (held through the quiet hours);
    it waits while the report has not reached notification."""
    if contact is None or contact.tracking_code is None:
        return Route("sms", DeliveryStatus.AWAITING_CONTACT)
    # A text reaches a mobile only: a landline's mask begins with its area code's 0 (021****1234), a mobile's with 1.
    texts = bool(contact.phone_masked) and contact.phone_masked.startswith("1")
    channels = (["group"] if contact.reply_to else []) + (["sms"] if texts else [])
    if not channels:
        return Route("sms", DeliveryStatus.NO_CONTACT)
    after = quiet_until(now, urgent=contact.urgent) if channels[0] == "sms" else None
    return Route(channels[0], DeliveryStatus.QUEUED, channels[1:], after)


def staff_route(rule: Rule) -> Route:
    """Staff read their inbox; a message the rules send by e-mail falls back to it."""
    if rule.channel == "inbox":
        return Route("inbox", DeliveryStatus.DELIVERED)
    return Route(rule.channel, DeliveryStatus.QUEUED, ["inbox"])


def recipients_of(rule: Rule, data: dict, contact: CaseContact | None) -> list[str]:
    """Who the rule names for this event: the case's resident; the unit acting (or each unit of the field the rule
    names: the summoned, the assisting, the units of the claiming board) or their leaders; the case's supervisor;
    the leader of the street or district the ladder reached; the linkage centre (dispatcher) of the district."""
    match rule.audience:
        case "resident":
            return [resident_recipient(data["case_id"])]
        case "unit" | "unit_leader":
            units = data.get(rule.to) or () if rule.to else [data.get("unit_id")] if data.get("unit_id") else []
            prefix = "unit:" if rule.audience == "unit" else "leader:unit:"
            return [f"{prefix}{unit}" for unit in dict.fromkeys(units)]
        case "supervisor":
            supervisor = data.get("supervisor_id") or (contact.supervisor_id if contact is not None else None)
            return [f"supervisor:{supervisor}"] if supervisor else []
        case "leader":
            place = None if contact is None else (contact.street_id if data.get("level") == "street_leader"
                                                  else contact.district_id)
            return [f"leader:{place}"] if place else []
        case "dispatcher":
            district = (data.get("area") or {}).get("district_id") or (contact.district_id if contact else None)
            return [f"dispatcher:{district}"] if district else []
    return []


def resident_values(data: dict, contact: CaseContact | None, track_url: str) -> dict:
    """The event's fields and what a resident's message adds: the tracking code and the link to follow it."""
    code = contact.tracking_code if contact is not None else None
    return {**data, "tracking_code": code or "", "track_url": track_url.format(tracking_code=code or "")}
