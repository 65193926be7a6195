"""Who is told what: each event the catalogue names becomes one delivery per recipient its rules name, whatever the
redeliveries, and each step partners may see a notice for them; what notification learns of a case (contact, place,
sub-item, supervisor) decides who is told. Messages that arrive before the case's report wait for it."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notification.adapters.store import NotificationStore
from services.notification.commands.partners import release_held, tell_partners
from services.notification.domain.deliveries import (
    LOCALE,
    CaseContact,
    DeliveryStatus,
    recipients_of,
    resident_route,
    resident_values,
    staff_route,
)
from services.notification.domain.templates import catalogue, render, source_of
from shared.events import CaseReclassified, CaseReported, CaseSupervisorAssigned, Event
from shared.messaging.unit_of_work import UnitOfWork
from shared.reference.names import Name, Names


async def notify(event: Event, uow: UnitOfWork) -> None:
    """One delivery per recipient each rule of the event's type names (the inbox delivered at once, SMS queued,
    or waiting for the resident's contact if the report has not reached notification yet); partners told of the
    steps they may see."""
    contact = await uow.store.contact(event.case_id)
    waits = await _write_deliveries(event, uow, contact)
    if event.partner and not await tell_partners(event, uow, contact):
        waits = True
    if waits:
        await uow.store.mark_waiting(event.case_id)


async def _write_deliveries(event: Event, uow: UnitOfWork, contact: CaseContact | None) -> bool:
    """Write the deliveries the rules name; True if some wait for the case's report."""
    store: NotificationStore = uow.store
    now = datetime.now(UTC)
    data = event.model_dump(mode="json")
    overrides, locales = await store.template_overrides(), await store.locales()
    rows = []
    names = _with_event_names(await store.names(), data)
    for rule in catalogue().get(event.type, ()):
        for recipient in recipients_of(rule, data, contact) if rule.applies(data) else ():
            # Residents read simplified Chinese (intake does not ask their language); staff what their contact point
            # says.
            locale = LOCALE if rule.audience == "resident" else locales.get(recipient, LOCALE)
            source = source_of(rule, overrides, locale)
            if rule.audience == "resident":
                route = resident_route(contact, now)
                body = ("" if route.status is DeliveryStatus.AWAITING_CONTACT
                        else render(source, resident_values(data, contact, uow.settings.track_url), names=names))
            else:
                route, body = staff_route(rule), render(source, data, names=names, locale=locale)
            rows.append(dict(event_id=uow.causation_id, event_type=event.type, case_id=event.case_id,
                             audience=rule.audience, recipient=recipient, channel=route.channel,
                             fallbacks=route.fallbacks, template=rule.template, body=body, status=route.status,
                             not_before=route.not_before, locale=locale, data=data))
    store.log_deliveries(rows)
    return any(r["status"] is DeliveryStatus.AWAITING_CONTACT for r in rows)


def _with_event_names(names: Names, data: dict) -> Names:
    """The unit the event names by name, should its reference event not have arrived yet."""
    if data.get("unit_id") and data.get("unit_name"):
        return names.with_defaults({("unit", data["unit_id"]): Name(data["unit_name"], data["unit_name"])})
    return names


async def note_reported(event: CaseReported, uow: UnitOfWork) -> None:
    """The resident's masked contact and the case's place; then the receipt, and any message that arrived before
    the report (the topics are consumed independently) can be written and sent now."""
    store: NotificationStore = uow.store
    area = event.location.area
    before = await store.contact(event.case_id)
    contact = await store.keep_contact(
        event.case_id, reporter_ref=event.reporter.ref,
        phone_masked=None if event.reporter.anonymous else event.reporter.phone_masked,
        tracking_code=event.tracking_code, district_id=area.district_id, street_id=area.street_id,
        community_id=area.community_id, grid_id=area.grid_id, urgent=event.urgent, category_code=event.category_code,
        reply_to=event.reply_to, waiting=False)
    await _write_deliveries(event, uow, contact)
    await tell_partners(event, uow, contact)
    if before is not None and before.waiting:
        uow.memo.setdefault("reported", {})[event.case_id] = contact
        store.after_batch("release_waiting", release_waiting)


async def release_waiting(uow: UnitOfWork) -> None:
    """The messages and partner notices that waited for the reports of this transaction's cases: rendered, routed
    and told now, for all of them at once (after the batch's deliveries are written: some may have waited within
    it)."""
    store: NotificationStore = uow.store
    reported = uow.memo.pop("reported", {})
    overrides, names = await store.template_overrides(), await store.names()
    now = datetime.now(UTC)
    releases = []
    for row in await store.awaiting_contact(list(reported)):
        rule = next((r for r in catalogue().get(row.event_type, ()) if r.template == row.template
                     and r.audience == row.audience), None)
        if rule is None or row.data is None:
            continue
        contact = reported[row.case_id]
        route = resident_route(contact, now)
        releases.append(dict(row_id=row.id, text=render(source_of(rule, overrides, LOCALE),
                                                        resident_values(row.data, contact, uow.settings.track_url),
                                                        names=_with_event_names(names, row.data)),
                             new_status=route.status, after=route.not_before, first=route.channel,
                             rest=route.fallbacks, now=now))
    store.release(releases)
    await release_held(uow, reported)


async def note_supervisor(event: CaseSupervisorAssigned, uow: UnitOfWork) -> None:
    """Who supervises the case: breaches and extension requests go to them."""
    await uow.store.set_supervisor(event.case_id, event.supervisor_id)


async def note_reclassified(event: CaseReclassified, uow: UnitOfWork) -> None:
    """The case's sub-item changed: partners' later notices carry the new one."""
    contact = await uow.store.set_category(event.case_id, event.category_code)
    if not await tell_partners(event, uow, contact):
        await uow.store.mark_waiting(event.case_id)
