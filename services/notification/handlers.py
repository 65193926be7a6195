"""Notification's handler table: each event the catalogue names becomes one delivery per recipient the rules
name, whatever the redeliveries, and each step partners may see a notice for them; what it learns of a case
(contact, place, sub-item, supervisor) decides who is told."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.adapters import tables
from services.notification.domain.templates import REGISTERED_TYPES, TRACK_URL, Rule, catalogue, render
from services.notification.partner_feed import release_held, tell_partners
from shared.events import REGISTRY, CaseReclassified, CaseReported, CaseSupervisorAssigned, Event
from shared.local_time import LOCAL_ZONE
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.versioned_cache import VersionedCache

# Delivery statuses. SMS, e-mail and group replies are queued for their gateway (then delivered or, when every
# channel failed, dead-lettered); the in-app inbox is delivered by writing.
QUEUED, DELIVERED, AWAITING_CONTACT, NO_CONTACT = "queued", "delivered", "awaiting_contact", "no_contact"
DEAD_LETTERED = "dead_lettered"
LOCALE = "zh"
# Residents are not texted at night, unless the matter is urgent (water, power, gas).
QUIET_FROM, QUIET_UNTIL = time(22, 0), time(8, 0)

_r, _d = tables.recipients.c, tables.deliveries.c
# The hot path's statements, built once: only their parameters change from event to event.
_LOG_DELIVERIES = pg_insert(tables.deliveries).on_conflict_do_nothing()
_NEW_RECIPIENT = pg_insert(tables.recipients)
_KEEP_RECIPIENT = _NEW_RECIPIENT.on_conflict_do_update(index_elements=["case_id"], set_={
    c: _NEW_RECIPIENT.excluded[c] for c in ("reporter_ref", "phone_masked", "tracking_code", "district_id",
                                            "street_id", "urgent", "category_code", "reply_to", "waiting")})
_RECIPIENTS_OF = select(tables.recipients).where(_r.case_id.in_(bindparam("cases", expanding=True)))
# Messages that arrived before the report: the case is marked so that the report releases them.
_MARK_WAITING = _NEW_RECIPIENT.on_conflict_do_update(index_elements=["case_id"], set_={"waiting": True})
_SET_SUPERVISOR = _NEW_RECIPIENT.on_conflict_do_update(
    index_elements=["case_id"], set_={"supervisor_id": _NEW_RECIPIENT.excluded.supervisor_id})
_SET_CATEGORY = _NEW_RECIPIENT.on_conflict_do_update(
    index_elements=["case_id"], set_={"category_code": _NEW_RECIPIENT.excluded.category_code})
_AWAITING = select(tables.deliveries).where(_d.case_id.in_(bindparam("cases", expanding=True)),
                                           _d.status == AWAITING_CONTACT)
_RELEASE = (update(tables.deliveries).where(_d.id == bindparam("row_id"))
            .values(body=bindparam("text"), status=bindparam("new_status"), not_before=bindparam("after"),
                    channel=bindparam("first"), fallbacks=bindparam("rest"), updated_at=bindparam("now")))


def resident_recipient(case_id: UUID) -> str:
    return f"resident:{case_id}"


def quiet_until(now: datetime, *, urgent: bool) -> datetime | None:
    """When a resident's message may be sent if ``now`` falls in the quiet hours; None if it may go now."""
    local = now.astimezone(LOCAL_ZONE)
    if urgent or QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() + timedelta(days=1) if local.time() >= QUIET_FROM else local.date()
    return datetime.combine(day, QUIET_UNTIL, LOCAL_ZONE)


async def load_overrides(session: AsyncSession) -> dict[tuple[str, str, str, str], str]:
    return {(r.event_type, r.audience, r.template, r.locale): r.source
            for r in (await session.execute(select(tables.templates))).all()}


# Read the version at most once a second; an edit through this process invalidates at once.
overrides_cache = VersionedCache(tables.templates_version, load_overrides, recheck_seconds=1.0)


async def load_locales(session: AsyncSession) -> dict[str, str]:
    c = tables.contact_points.c
    return dict((await session.execute(select(c.recipient, c.locale).where(c.locale != LOCALE))).all())


# The staff who read another language than the default: few, and edited rarely.
locales_cache = VersionedCache(tables.contact_points_version, load_locales, recheck_seconds=1.0)


def source_of(rule: Rule, overrides: dict, locale: str = LOCALE) -> str:
    return overrides.get((rule.event_type, rule.audience, rule.template, locale)) or rule.texts[locale]


def _resident_values(data: dict, contact) -> dict:
    code = contact.tracking_code if contact is not None else None
    return {**data, "tracking_code": code or "", "track_url": TRACK_URL.format(tracking_code=code or "")}


def _resident_route(contact, now: datetime) -> tuple[str, list[str], str, datetime | None]:
    """(channel, fallbacks, status, not before) of a resident's message: the messaging group they reported in first,
    then SMS (held through the quiet hours, see ``outbound``)."""
    if contact is None or contact.tracking_code is None:
        return "sms", [], AWAITING_CONTACT, None
    channels = (["group"] if contact.reply_to else []) + (["sms"] if contact.phone_masked else [])
    if not channels:
        return "sms", [], NO_CONTACT, None
    after = quiet_until(now, urgent=contact.urgent) if channels[0] == "sms" else None
    return channels[0], channels[1:], QUEUED, after


def _staff_route(rule: Rule) -> tuple[str, list[str], str, datetime | None]:
    """Staff read their inbox; a message the rules send by e-mail falls back to it."""
    if rule.channel == "inbox":
        return "inbox", [], DELIVERED, None
    return rule.channel, ["inbox"], QUEUED, None


def _recipient(rule: Rule, data: dict, contact) -> str | None:
    match rule.audience:
        case "resident":
            return resident_recipient(data["case_id"])
        case "unit":
            return f"unit:{data['unit_id']}" if data.get("unit_id") else None
        case "supervisor":
            supervisor = data.get("supervisor_id") or (contact.supervisor_id if contact is not None else None)
            return f"supervisor:{supervisor}" if supervisor else None
        case "leader":
            place = None if contact is None else (contact.street_id if data.get("level") == "street_leader"
                                                  else contact.district_id)
            return f"leader:{place}" if place else None
    return None


async def contact_of(uow: UnitOfWork, case_id: UUID):
    """What notification knows of the case (None: nothing yet). Read once for every case of the consumer's batch:
    one query for the batch rather than one per event; the handlers that change a case keep the memo current."""
    contacts = uow.memo.setdefault("contacts", {})
    if case_id not in contacts:
        wanted = {case_id} | {UUID(k) for k in uow.batch_keys if len(k) == 36} - contacts.keys()
        contacts.update(dict.fromkeys(wanted))
        for row in (await uow.session.execute(_RECIPIENTS_OF, dict(cases=sorted(wanted)))).all():
            contacts[row.case_id] = row
    return contacts[case_id]


def _known(contact, **changes) -> SimpleNamespace:
    """What the case's row holds once a deferred write of ``changes`` is made (columns absent so far are None)."""
    current = {} if contact is None else dict(contact._mapping) if hasattr(contact, "_mapping") else vars(contact)
    return SimpleNamespace(**{**dict.fromkeys(tables.recipients.c.keys()), **current, **changes})


def _remember(uow: UnitOfWork, contact) -> None:
    uow.memo.setdefault("contacts", {})[contact.case_id] = contact


async def notify(event: Event, uow: UnitOfWork) -> None:
    """One delivery per recipient each rule of the event's type names (the inbox delivered at once, SMS queued,
    or waiting for the resident's contact if the report has not reached notification yet); partners told of the
    steps they may see."""
    contact = await contact_of(uow, event.case_id)
    waits = await _notify(event, uow, contact)
    if event.partner and not await tell_partners(event, uow, contact):
        waits = True
    if waits:
        _mark_waiting(uow, contact, event.case_id)


def _mark_waiting(uow: UnitOfWork, contact, case_id: UUID) -> None:
    """Messages or partner notices wait for the case's report: the report will look for them."""
    if not (contact is not None and contact.waiting):
        uow.defer(_MARK_WAITING, [dict(case_id=case_id, waiting=True)])
        _remember(uow, _known(contact, case_id=case_id, waiting=True))


async def _notify(event: Event, uow: UnitOfWork, contact) -> bool:
    """Write the deliveries the rules name; True if some wait for the case's report."""
    now = datetime.now(UTC)
    data = event.model_dump(mode="json")
    overrides = await overrides_cache.get(uow.session)
    locales = await locales_cache.get(uow.session)
    rows = []
    for rule in catalogue().get(event.type, ()):
        recipient = _recipient(rule, data, contact) if rule.applies(data) else None
        if recipient is None:
            continue
        # Residents read simplified Chinese (intake does not ask their language); staff what their contact point says.
        locale = LOCALE if rule.audience == "resident" else locales.get(recipient, LOCALE)
        source = source_of(rule, overrides, locale)
        if rule.audience == "resident":
            channel, fallbacks, status, after = _resident_route(contact, now)
            body = "" if status == AWAITING_CONTACT else render(source, _resident_values(data, contact))
        else:
            channel, fallbacks, status, after = _staff_route(rule)
            body = render(source, data)
        rows.append(dict(event_id=uow.causation_id, event_type=event.type, case_id=event.case_id,
                         audience=rule.audience, recipient=recipient, channel=channel, fallbacks=fallbacks,
                         template=rule.template, body=body, status=status, not_before=after, locale=locale,
                         data=data))
    if rows:
        uow.defer(_LOG_DELIVERIES, rows)
    return any(r["status"] == AWAITING_CONTACT for r in rows)


async def on_case_reported(event: CaseReported, uow: UnitOfWork) -> None:
    """The resident's masked contact and the case's place; then the receipt, and any message that arrived before
    the report (the topics are consumed independently) can be written and sent now."""
    area = event.location.area
    phone = None if event.reporter.anonymous else event.reporter.phone_masked
    before = await contact_of(uow, event.case_id)
    known = dict(case_id=event.case_id, reporter_ref=event.reporter.ref, phone_masked=phone,
                 tracking_code=event.tracking_code, district_id=area.district_id, street_id=area.street_id,
                 urgent=event.urgent, category_code=event.category_code, reply_to=event.reply_to, waiting=False)
    # Written with the batch's other reports at flush; what the row will hold is known now.
    uow.defer(_KEEP_RECIPIENT, [known])
    contact = _known(before, **known)
    _remember(uow, contact)
    await _notify(event, uow, contact)
    await tell_partners(event, uow, contact)
    if before is not None and before.waiting:
        uow.memo.setdefault("reported", {})[event.case_id] = contact
        uow.at_flush("release_waiting", _release_waiting)


async def _release_waiting(uow: UnitOfWork) -> None:
    """The messages and partner notices that waited for the reports of this transaction's cases: rendered, routed
    and told now, for all of them at once (after the batch's deliveries are written: some may have waited within
    it)."""
    reported = uow.memo.pop("reported", {})
    overrides = await overrides_cache.get(uow.session)
    now = datetime.now(UTC)
    releases = []
    for row in (await uow.session.execute(_AWAITING, dict(cases=sorted(reported)))).all():
        rule = next((r for r in catalogue().get(row.event_type, ()) if r.template == row.template
                     and r.audience == row.audience), None)
        if rule is None or row.data is None:
            continue
        contact = reported[row.case_id]
        channel, fallbacks, status, after = _resident_route(contact, now)
        releases.append(dict(row_id=row.id, text=render(source_of(rule, overrides), _resident_values(row.data, contact)),
                             new_status=status, after=after, first=channel, rest=fallbacks, now=now))
    if releases:
        uow.defer(_RELEASE, releases)
    await release_held(uow, reported)


async def on_case_supervisor_assigned(event: CaseSupervisorAssigned, uow: UnitOfWork) -> None:
    """Who supervises the case: breaches and extension requests go to them."""
    uow.defer(_SET_SUPERVISOR, [dict(case_id=event.case_id, supervisor_id=event.supervisor_id)])
    _remember(uow, _known(await contact_of(uow, event.case_id), case_id=event.case_id,
                          supervisor_id=event.supervisor_id))


async def on_case_reclassified(event: CaseReclassified, uow: UnitOfWork) -> None:
    """The case's sub-item changed: partners' later notices carry the new one."""
    uow.defer(_SET_CATEGORY, [dict(case_id=event.case_id, category_code=event.category_code)])
    contact = _known(await contact_of(uow, event.case_id), case_id=event.case_id, category_code=event.category_code)
    _remember(uow, contact)
    if not await tell_partners(event, uow, contact):
        _mark_waiting(uow, contact, event.case_id)


#: Every event notification reacts to, and its handler: the catalogue's events are told by its rules, the steps
#: partners may see (declared with ``partner=True``) go to them.
HANDLERS = {
    **{cls: notify for event_type, cls in REGISTRY.items() if event_type in REGISTERED_TYPES or cls.partner},
    CaseReported: on_case_reported,
    CaseReclassified: on_case_reclassified,
    CaseSupervisorAssigned: on_case_supervisor_assigned,
}
