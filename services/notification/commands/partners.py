"""Partners hear of every step they may see: a thin, masked notice on the partner topic for any Kafka client, and one
webhook message per endpoint whose filters (event types, areas) the step passes. A step read before its case's
report is held until the report, which says where the case lies, has been told. Partners register, remove and
enable their endpoints again, and have messages sent again."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from services.notification.adapters.store import NotificationStore
from services.notification.domain.deliveries import CaseContact
from services.notification.domain.partners import WebhookStatus, notice_of
from shared.events import REGISTRY, Event
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused
from shared.webhooks import new_secret


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


async def register_endpoint(uow: UnitOfWork, *, partner: str, url: str, event_types: list[str],
                            areas: list[str]) -> tuple[dict, str]:
    """An endpoint of the partner (its URL and filters checked by the caller); and its signing secret, shown once."""
    secret = new_secret()
    endpoint = await uow.store.add_endpoint(dict(
        id=uuid4(), partner=partner, url=url, secret=secret, event_types=sorted(set(event_types)),
        areas=sorted(set(areas)), status="active", created_at=datetime.now(UTC)))
    return endpoint, secret


async def own_endpoint(uow: UnitOfWork, endpoint_id: UUID, partner: str, *, active: bool = False) -> dict:
    """The partner's endpoint (404 for anyone else's); with ``active``, a disabled one is a 409."""
    endpoint = await uow.store.endpoint(endpoint_id, partner)
    if endpoint is None:
        raise Refused("not_found", "no such endpoint of yours", "endpoint_id", status=404)
    if active and endpoint["status"] != "active":
        raise Refused("endpoint_disabled", "enable the endpoint before replaying its messages", "endpoint_id",
                      status=409)
    return endpoint


async def remove_endpoint(uow: UnitOfWork, endpoint_id: UUID, partner: str) -> None:
    if not await uow.store.remove_endpoint(endpoint_id, partner):
        raise Refused("not_found", "no such endpoint of yours", "endpoint_id", status=404)


async def enable_endpoint(uow: UnitOfWork, endpoint_id: UUID) -> dict:
    """A disabled endpoint active again (its URL checked again by the caller); held messages go out."""
    return await uow.store.enable_endpoint(endpoint_id)


async def replay_message(uow: UnitOfWork, endpoint_id: UUID, message_id: str, partner: str) -> dict:
    """One message sent again now, under the same webhook-id."""
    await own_endpoint(uow, endpoint_id, partner, active=True)
    again = await uow.store.send_again(endpoint_id, message_id=message_id)
    if not again:
        raise Refused("not_found", "no such message of this endpoint", "message_id", status=404)
    return again[0]


async def replay_failed(uow: UnitOfWork, endpoint_id: UUID, partner: str, *, since: datetime) -> int:
    """Every message created since ``since`` that was given up, sent again; how many."""
    await own_endpoint(uow, endpoint_id, partner, active=True)
    return len(await uow.store.send_again(endpoint_id, failed_since=since))
