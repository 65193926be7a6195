"""Dispatch's handler table: the events it reacts to, each handed to its command (what units and dispatchers do
is in ``api/cases.py``'s ACTIONS)."""

from services.dispatch.commands import cases
from shared.events import (
    CaseDeadlineSet,
    CaseDuplicateLinked,
    CaseEscalated,
    CaseExplanationMeetingHeld,
    CaseExtensionDecided,
    CaseObserved,
    CaseReclassified,
    CaseReopened,
    CaseReported,
    CaseResidentCallbackAnswered,
)
from shared.reference.keeping import NAME_HANDLERS

#: Every event dispatch reacts to, and the command it runs (with the consumer's unit of work).
HANDLERS = {
    CaseReported: cases.open_reported_case,
    CaseReclassified: cases.reclassify,
    CaseDeadlineSet: cases.keep_clock,
    CaseReopened: cases.reopen,
    CaseExtensionDecided: cases.decide_extension,
    CaseEscalated: cases.note_escalation,
    CaseObserved: cases.note_observation,
    CaseDuplicateLinked: cases.note_co_reporters,
    CaseExplanationMeetingHeld: cases.note_meeting_held,
    CaseResidentCallbackAnswered: cases.note_callback_answer,
    **NAME_HANDLERS,  # the names of units, sub-items and areas, as their owners publish them
}
