"""What admins set for notification: a rule's template in a language (checked against the event's fields before it is
saved, so an error shows when saving and not when someone should have been told), and how staff are reached (a work
e-mail address, else the inbox, and their language)."""

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
