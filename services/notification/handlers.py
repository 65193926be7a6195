"""Notification's handler table: each event becomes one delivery-log entry per recipient, whatever the redeliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.notification import tables
from services.notification.templates import RULES, render
from shared.events import CaseDispatched, CaseReported
from shared.messaging.unit_of_work import UnitOfWork

# Delivery statuses. SMS is queued for the gateway (issue 6 adds gateways); the in-app inbox is delivered by writing.
QUEUED, DELIVERED, AWAITING_CONTACT, NO_CONTACT = "queued", "delivered", "awaiting_contact", "no_contact"


# The hot path's statements, built once: only their parameters change from event to event.
_LOG_DELIVERIES = pg_insert(tables.deliveries).on_conflict_do_nothing()
_KEEP_RECIPIENT = pg_insert(tables.recipients).on_conflict_do_nothing()
_RELEASE_AWAITING = (update(tables.deliveries)
                     .where(tables.deliveries.c.case_id == bindparam("case"),
                            tables.deliveries.c.status == AWAITING_CONTACT)
                     .values(status=bindparam("new_status"), updated_at=bindparam("now")))
_RECIPIENT_OF = select(tables.recipients).where(tables.recipients.c.case_id == bindparam("case"))


def resident_recipient(case_id: UUID) -> str:
    return f"resident:{case_id}"


async def _log(uow: UnitOfWork, *, event_type: str, case_id: UUID, audience: str, recipient: str, values: dict,
               status_for_sms: str) -> None:
    rows = [dict(event_id=uow.causation_id, event_type=event_type, case_id=case_id, audience=audience,
                 recipient=recipient, channel=rule.channel, template=rule.template, body=render(rule, **values),
                 status=status_for_sms if rule.channel == "sms" else DELIVERED)
            for rule in RULES[event_type] if rule.audience == audience]
    if rows:
        await uow.session.execute(_LOG_DELIVERIES, rows)


async def on_case_reported(event: CaseReported, uow: UnitOfWork) -> None:
    has_contact = bool(event.reporter.phone_masked) and not event.reporter.anonymous
    await uow.session.execute(_KEEP_RECIPIENT, dict(
        case_id=event.case_id, reporter_ref=event.reporter.ref, phone_masked=event.reporter.phone_masked,
        tracking_code=event.tracking_code))
    await _log(uow, event_type=event.type, case_id=event.case_id, audience="resident",
               recipient=resident_recipient(event.case_id), values={"tracking_code": event.tracking_code},
               status_for_sms=QUEUED if has_contact else NO_CONTACT)
    # A dispatch notice that arrived before this report (the topics are consumed independently) can go now.
    await uow.session.execute(_RELEASE_AWAITING, dict(case=event.case_id, new_status=QUEUED if has_contact else NO_CONTACT,
                                                     now=datetime.now(UTC)))


async def on_case_dispatched(event: CaseDispatched, uow: UnitOfWork) -> None:
    contact = (await uow.session.execute(_RECIPIENT_OF, dict(case=event.case_id))).first()
    if contact is None:
        resident_status = AWAITING_CONTACT
    else:
        resident_status = QUEUED if contact.phone_masked else NO_CONTACT
    values = {"unit_name": event.unit_name, "category_code": event.category_code}
    await _log(uow, event_type=event.type, case_id=event.case_id, audience="resident",
               recipient=resident_recipient(event.case_id), values=values, status_for_sms=resident_status)
    await _log(uow, event_type=event.type, case_id=event.case_id, audience="unit", recipient=f"unit:{event.unit_id}",
               values=values, status_for_sms=QUEUED)


#: Every event notification reacts to, and its handler.
HANDLERS = {
    CaseReported: on_case_reported,
    CaseDispatched: on_case_dispatched,
}
