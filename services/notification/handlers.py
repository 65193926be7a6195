"""Notification's handler table: the catalogue's events are told by its rules, the steps partners may see (declared
with ``partner=True``) go to them; what notification learns of a case changes who is told
(``commands/notices.py``)."""

from services.notification.commands.notices import note_reclassified, note_reported, note_supervisor, notify
from services.notification.domain.templates import REGISTERED_TYPES
from shared.events import REGISTRY, CaseReclassified, CaseReported, CaseSupervisorAssigned
from shared.reference.keeping import NAME_HANDLERS

#: Every event notification reacts to, and the command it runs (with the consumer's unit of work).
HANDLERS = {
    **{cls: notify for event_type, cls in REGISTRY.items() if event_type in REGISTERED_TYPES or cls.partner},
    CaseReported: note_reported,
    CaseReclassified: note_reclassified,
    CaseSupervisorAssigned: note_supervisor,
    **NAME_HANDLERS,  # the names of units, sub-items and areas, as their owners publish them
}
