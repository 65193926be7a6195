"""What admins and readers do with notification's messages: a rule's template in a language (checked against the
event's fields before it is saved, so an error shows when saving and not when someone should have been told), how
staff are reached (a work e-mail address, else the inbox, and their language), a message read in the inbox, a dead
letter queued again."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notification.domain.templates import LOCALES, Rule, TemplateProblem, catalogue, check
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused


async def override_template(uow: UnitOfWork, event_type: str, audience: str, template: str, locale: str,
                            source: str, *, by: str) -> Rule:
    """The rule whose template is now ``source`` in ``locale``."""
    rule = next((r for r in catalogue().get(event_type, ()) if r.audience == audience and r.template == template),
                None)
    if rule is None:
        raise Refused("not_found", "no such rule in the catalogue", "template", status=404)
    if locale not in LOCALES:
        raise Refused("unknown_locale", f"locales are {', '.join(LOCALES)}", "locale")
    try:
        check(source, event_type=event_type, audience=audience)
    except TemplateProblem as exc:
        raise Refused("invalid_template", str(exc), "source") from None
    await uow.store.save_template((event_type, audience, template, locale), source, by=by, at=datetime.now(UTC))
    return rule


async def set_contact_point(uow: UnitOfWork, recipient: str, *, email: str | None, locale: str, by: str) -> datetime:
    """When it was set."""
    at = datetime.now(UTC)
    await uow.store.save_contact_point(recipient, email=email, locale=locale, by=by, at=at)
    return at


async def remove_contact_point(uow: UnitOfWork, recipient: str) -> None:
    """The recipient is reached in the inbox only, in the default language."""
    if not await uow.store.remove_contact_point(recipient):
        raise Refused("not_found", "no contact point for this recipient", "recipient", status=404)


async def mark_read(uow: UnitOfWork, delivery_id: int, *, recipient: str) -> dict:
    delivery = await uow.store.mark_read(delivery_id, recipient, at=datetime.now(UTC))
    if delivery is None:
        raise Refused("not_found", "no such message in your inbox", "delivery_id", status=404)
    return delivery


async def retry_dead_letter(uow: UnitOfWork, delivery_id: int) -> dict:
    """Tried again on its last channel (after the cause was fixed)."""
    delivery = await uow.store.queue_again(delivery_id, at=datetime.now(UTC))
    if delivery is None:
        raise Refused("not_found", "no such dead letter", "delivery_id", status=404)
    return delivery
