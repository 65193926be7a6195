"""Partners hear of every step they may see: a thin, masked notice on the partner topic for any Kafka client, and one
webhook message per endpoint whose filters (event types, areas) the step passes. A step read before its case's
report is held until the report, which says where the case lies, has been told."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from services.notification.adapters.store import NotificationStore
from services.notification.domain.deliveries import CaseContact
from services.notification.domain.partners import WebhookStatus, notice_of
from shared.events import REGISTRY, Event
from shared.messaging.unit_of_work import UnitOfWork


async def tell_partners(event: Event, uow: UnitOfWork, contact: CaseContact | None, *, event_id: str | None = None,
                        occurred_at: datetime | None = None) -> bool:
    """Record the notice on the partner topic (through the outbox) and queue a message for each endpoint that
    wants it; the message's payload is the notice as a structured CloudEvent, signed when it is sent. False when the
    notice is held instead: the case's report has not reached notification yet (so that partners hear a case's
    steps in the order they happened, the report first, whichever topic notification read first)."""
    store: NotificationStore = uow.store
    event_id = event_id or uow.causation_id
    occurred_at = occurred_at or uow.occurred_at or datetime.now(UTC)
    if contact is None or contact.tracking_code is None:
        store.hold_notice(event_id=event_id or f"held-{uuid4().hex}", case_id=event.case_id, event_type=event.type,
                          data=event.model_dump(mode="json"), occurred_at=occurred_at)
        return False
    notice = notice_of(event, contact, occurred_at)
    envelope = uow.record(notice)
    wanted = [s for s in await store.subscriptions() if s.wants(notice)]
    if wanted:
        now, payload = datetime.now(UTC), envelope.structured()
        store.queue_webhook_messages([
            dict(id=f"msg_{uuid4().hex}", endpoint_id=s.endpoint_id, event_id=event_id or envelope.id,
                 case_id=event.case_id, step=event.type, payload=payload, status=WebhookStatus.PENDING,
                 next_attempt_at=now, created_at=now) for s in wanted])
    return True


async def release_held(uow: UnitOfWork, contacts: dict[UUID, CaseContact]) -> None:
    """Tell partners the steps held for these cases, now that their reports say where they lie (in the order the
    steps happened)."""
    for row in await uow.store.take_held_notices(list(contacts)):
        event = REGISTRY[row.event_type].model_validate(row.data)
        await tell_partners(event, uow, contacts[row.case_id], event_id=row.event_id, occurred_at=row.occurred_at)
