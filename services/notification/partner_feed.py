"""Partners hear of every step they may see: a thin, masked notice on the partner topic for any Kafka client, and one
webhook message per endpoint whose filters (event types, areas) the step passes. A step read before its case's
report is held until the report says where the case lies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.adapters import tables
from shared.events import COPIED_FIELDS, REGISTRY, Event, PartnerCaseNotice
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.versioned_cache import VersionedCache

PENDING = "pending"
_e = tables.webhook_endpoints.c
_NEW_MESSAGES = pg_insert(tables.webhook_messages).on_conflict_do_nothing()
_HOLD = pg_insert(tables.held_notices).on_conflict_do_nothing()
_h = tables.held_notices.c
_HELD = select(tables.held_notices).where(_h.case_id.in_(bindparam("cases", expanding=True))).order_by(_h.occurred_at)
_UNHOLD = delete(tables.held_notices).where(_h.case_id.in_(bindparam("cases", expanding=True)))


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


async def load_subscriptions(session: AsyncSession) -> list[Subscription]:
    rows = (await session.execute(select(_e.id, _e.event_types, _e.areas).where(_e.status == "active"))).all()
    return [Subscription(r.id, frozenset(r.event_types), frozenset(r.areas)) for r in rows]


# Endpoints change a few times a day: the version is read at most once a second.
subscriptions_cache = VersionedCache(tables.webhook_endpoints_version, load_subscriptions, recheck_seconds=1.0)


def notice_of(event: Event, contact, occurred_at: datetime) -> PartnerCaseNotice:
    """The thin notice of a step: what the event itself says of the fields partners may see, where the case lies
    and its sub-item as notification knows them."""
    data = {name: getattr(event, name) for name in COPIED_FIELDS if getattr(event, name, None) is not None}
    area = getattr(event, "area", None) or getattr(getattr(event, "location", None), "area", None)
    district = contact.district_id if contact is not None and contact.district_id else getattr(area, "district_id", None)
    street = contact.street_id if contact is not None and contact.street_id else getattr(area, "street_id", None)
    if "category_code" not in data and contact is not None and contact.category_code:
        data["category_code"] = contact.category_code
    return PartnerCaseNotice(case_id=event.case_id, step=event.type, occurred_at=occurred_at, district_id=district,
                             street_id=street, **data)


def _area_of(event: Event):
    return getattr(event, "area", None) or getattr(getattr(event, "location", None), "area", None)


async def tell_partners(event: Event, uow: UnitOfWork, contact, *, event_id: str | None = None,
                        occurred_at: datetime | None = None) -> bool:
    """Record the notice on the partner topic (through the outbox) and queue a message for each endpoint that
    wants it; the message's payload is the notice as a structured CloudEvent, signed when it is sent. False when the
    notice is held instead: where the case lies is not known yet."""
    event_id = event_id or uow.causation_id
    occurred_at = occurred_at or uow.occurred_at or datetime.now(UTC)
    if _area_of(event) is None and (contact is None or contact.district_id is None):
        uow.defer(_HOLD, [dict(event_id=event_id or f"held-{uuid4().hex}", case_id=event.case_id,
                               event_type=event.type, data=event.model_dump(mode="json"), occurred_at=occurred_at)])
        return False
    notice = notice_of(event, contact, occurred_at)
    envelope = uow.record(notice)
    wanted = [s for s in await subscriptions_cache.get(uow.session) if s.wants(notice)]
    if wanted:
        now, payload = datetime.now(UTC), envelope.structured()
        uow.defer(_NEW_MESSAGES, [
            dict(id=f"msg_{uuid4().hex}", endpoint_id=s.endpoint_id, event_id=event_id or envelope.id,
                 case_id=event.case_id, step=event.type, payload=payload, status=PENDING, next_attempt_at=now,
                 created_at=now) for s in wanted])
    return True


async def release_held(uow: UnitOfWork, contacts: dict) -> None:
    """Tell partners the steps held for these cases, now that their reports say where they lie (in the order the
    steps happened)."""
    rows = (await uow.session.execute(_HELD, dict(cases=sorted(contacts)))).all()
    for row in rows:
        event = REGISTRY[row.event_type].model_validate(row.data)
        await tell_partners(event, uow, contacts[row.case_id], event_id=row.event_id, occurred_at=row.occurred_at)
    if rows:
        await uow.session.execute(_UNHOLD, dict(cases=sorted({r.case_id for r in rows})))
