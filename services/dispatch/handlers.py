"""Dispatch's handler table: the events it reacts to, each handed to its command (what units and dispatchers do
is in ``api/cases.py``'s ACTIONS)."""

from services.dispatch import commands
from shared.events import (
    CaseDeadlineSet,
    CaseEscalated,
    CaseExtensionDecided,
    CaseObserved,
    CaseReclassified,
    CaseReopened,
    CaseReported,
)

#: Every event dispatch reacts to, and the command it runs (with the consumer's unit of work).
HANDLERS = {
    CaseReported: commands.open_reported_case,
    CaseReclassified: commands.reclassify,
    CaseDeadlineSet: commands.keep_clock,
    CaseReopened: commands.reopen,
    CaseExtensionDecided: commands.decide_extension,
    CaseEscalated: commands.note_escalation,
    CaseObserved: commands.note_observation,
}
