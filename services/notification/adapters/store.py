"""Notification's store: every read and write its commands make (the storage seam; unit tests put an in-memory one in
its place). A consumer's batch is written as one statement per kind of row: writes are deferred to the unit of
work's flush, and what notification knows of the batch's cases is read in one query and kept current in memory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import fields
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.adapters import tables
from services.notification.domain.deliveries import LOCALE, CaseContact, DeliveryStatus
from services.notification.domain.partners import Subscription, WebhookStatus
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.versioned_cache import VersionedCache
from shared.reference.keeping import names as kept_names
from shared.reference.names import Names

_r, _d, _e, _h = tables.recipients.c, tables.deliveries.c, tables.webhook_endpoints.c, tables.held_notices.c
_CONTACT_COLUMNS = tuple(f.name for f in fields(CaseContact))
# The hot path's statements, built once: only their parameters change from event to event.
_LOG_DELIVERIES = pg_insert(tables.deliveries).on_conflict_do_nothing()
_NEW_RECIPIENT = pg_insert(tables.recipients)
# The report's contact and place: every column of the contact but its key and its supervisor (set on its own).
_KEEP_RECIPIENT = _NEW_RECIPIENT.on_conflict_do_update(index_elements=["case_id"], set_={
    c: _NEW_RECIPIENT.excluded[c] for c in _CONTACT_COLUMNS if c not in ("case_id", "supervisor_id")})
_RECIPIENTS_OF = select(tables.recipients).where(_r.case_id.in_(bindparam("cases", expanding=True)))
# Messages that arrived before the report: the case is marked so that the report releases them.
_MARK_WAITING = _NEW_RECIPIENT.on_conflict_do_update(index_elements=["case_id"], set_={"waiting": True})
_SET_SUPERVISOR = _NEW_RECIPIENT.on_conflict_do_update(
    index_elements=["case_id"], set_={"supervisor_id": _NEW_RECIPIENT.excluded.supervisor_id})
_SET_CATEGORY = _NEW_RECIPIENT.on_conflict_do_update(
    index_elements=["case_id"], set_={"category_code": _NEW_RECIPIENT.excluded.category_code})
_AWAITING = select(tables.deliveries).where(_d.case_id.in_(bindparam("cases", expanding=True)),
                                           _d.status == DeliveryStatus.AWAITING_CONTACT)
_RELEASE = (update(tables.deliveries).where(_d.id == bindparam("row_id"))
            .values(body=bindparam("text"), status=bindparam("new_status"), not_before=bindparam("after"),
                    channel=bindparam("first"), fallbacks=bindparam("rest"), updated_at=bindparam("now")))
_NEW_MESSAGES = pg_insert(tables.webhook_messages).on_conflict_do_nothing()
_HOLD = pg_insert(tables.held_notices).on_conflict_do_nothing()
_HELD = select(tables.held_notices).where(_h.case_id.in_(bindparam("cases", expanding=True))).order_by(_h.occurred_at)
_UNHOLD = delete(tables.held_notices).where(_h.case_id.in_(bindparam("cases", expanding=True)))


async def load_overrides(session: AsyncSession) -> dict[tuple[str, str, str, str], str]:
    return {(r.event_type, r.audience, r.template, r.locale): r.source
            for r in (await session.execute(select(tables.templates))).all()}


async def load_locales(session: AsyncSession) -> dict[str, str]:
    c = tables.contact_points.c
    return dict((await session.execute(select(c.recipient, c.locale).where(c.locale != LOCALE))).all())


async def load_subscriptions(session: AsyncSession) -> list[Subscription]:
    rows = (await session.execute(select(_e.id, _e.event_types, _e.areas).where(_e.status == "active"))).all()
    return [Subscription(r.id, frozenset(r.event_types), frozenset(r.areas)) for r in rows]


# Admins' template overrides, and the staff who read another language than the default: edited rarely, so each
# version is read at most once a second; an edit through this process invalidates at once.
overrides_cache = VersionedCache(tables.templates_version, load_overrides, recheck_seconds=1.0)
locales_cache = VersionedCache(tables.contact_points_version, load_locales, recheck_seconds=1.0)
# Endpoints change a few times a day: the version is read at most once a second.
subscriptions_cache = VersionedCache(tables.webhook_endpoints_version, load_subscriptions, recheck_seconds=1.0)


def _contact(row) -> CaseContact:
    return CaseContact(**{name: row._mapping[name] for name in _CONTACT_COLUMNS})


class NotificationStore:
    """Cases' contacts, deliveries, template overrides, staff's languages, partners' subscriptions and held notices."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow
        self._session = uow.session

    # --- reference data ---------------------------------------------------------------------------------------------

    async def template_overrides(self) -> dict[tuple[str, str, str, str], str]:
        return await overrides_cache.get(self._session)

    async def names(self) -> Names:
        """The names of units, sub-items and areas, kept from their owners' events."""
        return await kept_names(self._session)

    async def locales(self) -> dict[str, str]:
        """Recipients who read another language than the default, and theirs."""
        return await locales_cache.get(self._session)

    async def subscriptions(self) -> list[Subscription]:
        return await subscriptions_cache.get(self._session)

    # --- what admins set: template overrides, staff's contact points -----------------------------------------------

    async def save_template(self, key: tuple[str, str, str, str], source: str, *, by: str, at: datetime) -> None:
        """An admin's override of one rule's template in one language (event type, audience, template, locale)."""
        event_type, audience, template, locale = key
        t = tables.templates.c
        await self._session.execute(pg_insert(tables.templates).values(
            event_type=event_type, audience=audience, template=template, locale=locale, source=source, updated_by=by,
            updated_at=at).on_conflict_do_update(index_elements=[t.event_type, t.audience, t.template, t.locale],
                                                 set_={"source": source, "updated_by": by, "updated_at": at}))
        await overrides_cache.changed(self._uow)

    async def save_contact_point(self, recipient: str, *, email: str | None, locale: str, by: str,
                                 at: datetime) -> None:
        values = dict(email=email, locale=locale, updated_by=by, updated_at=at)
        await self._session.execute(pg_insert(tables.contact_points).values(recipient=recipient, **values)
                                    .on_conflict_do_update(index_elements=["recipient"], set_=values))
        await locales_cache.changed(self._uow)

    async def remove_contact_point(self, recipient: str) -> bool:
        """False when the recipient has no contact point."""
        done = await self._session.execute(tables.contact_points.delete().where(
            tables.contact_points.c.recipient == recipient))
        if done.rowcount == 0:
            return False
        await locales_cache.changed(self._uow)
        return True

    # --- the inbox and the dead letters ---------------------------------------------------------------------------

    async def mark_read(self, delivery_id: int, recipient: str, *, at: datetime) -> dict | None:
        """The inbox message, read (at the first reading); None when it is not in this recipient's inbox."""
        row = (await self._session.execute(update(tables.deliveries).where(
            _d.id == delivery_id, _d.recipient == recipient, _d.channel == "inbox")
            .values(read_at=func.coalesce(_d.read_at, at)).returning(tables.deliveries))).first()
        return dict(row._mapping) if row else None

    async def queue_again(self, delivery_id: int, *, at: datetime) -> dict | None:
        """A dead-lettered message queued again on its last channel; None when there is no such dead letter."""
        row = (await self._session.execute(update(tables.deliveries).where(
            _d.id == delivery_id, _d.status == DeliveryStatus.DEAD_LETTERED).values(
            status=DeliveryStatus.QUEUED, attempts=0, not_before=None, updated_at=at)
            .returning(tables.deliveries))).first()
        return dict(row._mapping) if row else None

    # --- partners' endpoints ----------------------------------------------------------------------------------------

    async def add_endpoint(self, endpoint: dict) -> dict:
        row = (await self._session.execute(tables.webhook_endpoints.insert().values(**endpoint)
                                           .returning(tables.webhook_endpoints))).one()
        await subscriptions_cache.changed(self._uow)
        return dict(row._mapping)

    async def endpoint(self, endpoint_id: UUID, partner: str) -> dict | None:
        """One of the partner's endpoints (None for anyone else's), locked."""
        row = (await self._session.execute(select(tables.webhook_endpoints).where(
            _e.id == endpoint_id, _e.partner == partner).with_for_update())).first()
        return dict(row._mapping) if row else None

    async def remove_endpoint(self, endpoint_id: UUID, partner: str) -> bool:
        done = await self._session.execute(delete(tables.webhook_endpoints).where(
            _e.id == endpoint_id, _e.partner == partner))
        if done.rowcount:
            await subscriptions_cache.changed(self._uow)
        return done.rowcount > 0

    async def enable_endpoint(self, endpoint_id: UUID) -> dict:
        row = (await self._session.execute(update(tables.webhook_endpoints).where(_e.id == endpoint_id).values(
            status="active", disabled_reason=None, failing_since=None).returning(tables.webhook_endpoints))).one()
        await subscriptions_cache.changed(self._uow)
        return dict(row._mapping)

    async def send_again(self, endpoint_id: UUID, *, message_id: str | None = None,
                         failed_since: datetime | None = None) -> list[dict]:
        """One message of the endpoint, or every one given up since a time, due again now (same webhook-id)."""
        m = tables.webhook_messages.c
        where = [m.endpoint_id == endpoint_id]
        if message_id is not None:
            where.append(m.id == message_id)
        if failed_since is not None:
            where += [m.status == WebhookStatus.FAILED, m.created_at >= failed_since]
        rows = (await self._session.execute(update(tables.webhook_messages).where(*where).values(
            status=WebhookStatus.PENDING, next_attempt_at=func.now()).returning(tables.webhook_messages))).all()
        return [dict(r._mapping) for r in rows]

    # --- what notification knows of cases ---------------------------------------------------------------------------

    async def contact(self, case_id: UUID) -> CaseContact | None:
        """What notification knows of the case (None: nothing yet). Read once for every case of the consumer's
        batch: one query for the batch rather than one per event; every change below keeps it current."""
        contacts = self._uow.memo.setdefault("contacts", {})
        if case_id not in contacts:
            wanted = {case_id} | {UUID(k) for k in self._uow.batch_keys if len(k) == 36} - contacts.keys()
            contacts.update(dict.fromkeys(wanted))
            for row in (await self._session.execute(_RECIPIENTS_OF, dict(cases=sorted(wanted)))).all():
                contacts[row.case_id] = _contact(row)
        return contacts[case_id]

    def _remember(self, contact: CaseContact) -> CaseContact:
        self._uow.memo.setdefault("contacts", {})[contact.case_id] = contact
        return contact

    async def keep_contact(self, case_id: UUID, **known) -> CaseContact:
        """The report's contact and place (written with the batch's others at flush); the contact as it will be."""
        contact = CaseContact.known(await self.contact(case_id), case_id, **known)
        self._uow.defer(_KEEP_RECIPIENT, [{name: getattr(contact, name) for name in _CONTACT_COLUMNS
                                           if name != "supervisor_id"}])
        return self._remember(contact)

    async def mark_waiting(self, case_id: UUID) -> None:
        """Messages or partner notices wait for the case's report: the report will look for them."""
        contact = await self.contact(case_id)
        if not (contact is not None and contact.waiting):
            self._uow.defer(_MARK_WAITING, [dict(case_id=case_id, waiting=True)])
            self._remember(CaseContact.known(contact, case_id, waiting=True))

    async def set_supervisor(self, case_id: UUID, supervisor_id: str) -> CaseContact:
        self._uow.defer(_SET_SUPERVISOR, [dict(case_id=case_id, supervisor_id=supervisor_id)])
        return self._remember(CaseContact.known(await self.contact(case_id), case_id, supervisor_id=supervisor_id))

    async def set_category(self, case_id: UUID, category_code: str) -> CaseContact:
        self._uow.defer(_SET_CATEGORY, [dict(case_id=case_id, category_code=category_code)])
        return self._remember(CaseContact.known(await self.contact(case_id), case_id, category_code=category_code))

    # --- deliveries -------------------------------------------------------------------------------------------------

    def log_deliveries(self, rows: list[dict]) -> None:
        """New deliveries (once per event and recipient), written with the batch's others at flush."""
        if rows:
            self._uow.defer(_LOG_DELIVERIES, rows)

    async def awaiting_contact(self, case_ids: list[UUID]) -> list:
        """The deliveries of these cases that waited for their report."""
        return (await self._session.execute(_AWAITING, dict(cases=sorted(case_ids)))).all()

    def release(self, releases: list[dict]) -> None:
        """Waiting deliveries rendered and routed now (row_id, text, new_status, after, first, rest, now)."""
        if releases:
            self._uow.defer(_RELEASE, releases)

    def after_batch(self, key: str, step: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        """Run ``step`` once when the batch's writes are made (the same ``key`` twice is one step)."""
        self._uow.at_flush(key, step)

    # --- partners ---------------------------------------------------------------------------------------------------

    def queue_webhook_messages(self, rows: list[dict]) -> None:
        if rows:
            self._uow.defer(_NEW_MESSAGES, rows)

    def hold_notice(self, *, event_id: str, case_id: UUID, event_type: str, data: dict, occurred_at: datetime) -> None:
        """A partner notice that must wait until the case's report says where it lies."""
        self._uow.defer(_HOLD, [dict(event_id=event_id, case_id=case_id, event_type=event_type, data=data,
                                     occurred_at=occurred_at)])

    async def take_held_notices(self, case_ids: list[UUID]) -> list:
        """The notices held for these cases, in the order their steps happened; they are no longer held."""
        rows = (await self._session.execute(_HELD, dict(cases=sorted(case_ids)))).all()
        if rows:
            await self._session.execute(_UNHOLD, dict(cases=sorted({r.case_id for r in rows})))
        return rows
