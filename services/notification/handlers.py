"""Notification's handler table: each event becomes one delivery-log entry per recipient, whatever the redeliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.notification import tables
from services.notification.templates import RULES, render
from shared.events import CaseDispatched, CaseReported
from shared.messaging.unit_of_work import UnitOfWork

# Delivery statuses. SMS is queued for the gateway (issue 6 adds gateways); the in-app inbox is delivered by writing.
QUEUED, DELIVERED, AWAITING_CONTACT, NO_CONTACT = "queued", "delivered", "awaiting_contact", "no_contact"


def resident_recipient(case_id: UUID) -> str:
    return f"resident:{case_id}"


async def _log(uow: UnitOfWork, *, event_type: str, case_id: UUID, audience: str, recipient: str, values: dict,
               status_for_sms: str) -> None:
    for rule in RULES[event_type]:
        if rule.audience != audience:
            continue
        status = status_for_sms if rule.channel == "sms" else DELIVERED
        await uow.session.execute(pg_insert(tables.deliveries).values(
            event_id=uow.causation_id, event_type=event_type, case_id=case_id, audience=audience, recipient=recipient,
            channel=rule.channel, template=rule.template, body=render(rule, **values), status=status,
        ).on_conflict_do_nothing())


async def on_case_reported(event: CaseReported, uow: UnitOfWork) -> None:
    has_contact = bool(event.reporter.phone_masked) and not event.reporter.anonymous
    await uow.session.execute(pg_insert(tables.recipients).values(
        case_id=event.case_id, reporter_ref=event.reporter.ref, phone_masked=event.reporter.phone_masked,
        tracking_code=event.tracking_code).on_conflict_do_nothing())
    await _log(uow, event_type=event.type, case_id=event.case_id, audience="resident",
               recipient=resident_recipient(event.case_id), values={"tracking_code": event.tracking_code},
               status_for_sms=QUEUED if has_contact else NO_CONTACT)
    # A dispatch notice that arrived before this report (the topics are consumed independently) can go now.
    d = tables.deliveries.c
    await uow.session.execute(update(tables.deliveries)
                              .where(d.case_id == event.case_id, d.status == AWAITING_CONTACT)
                              .values(status=QUEUED if has_contact else NO_CONTACT, updated_at=datetime.now(UTC)))


async def on_case_dispatched(event: CaseDispatched, uow: UnitOfWork) -> None:
    r = tables.recipients.c
    contact = (await uow.session.execute(select(tables.recipients).where(r.case_id == event.case_id))).first()
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
