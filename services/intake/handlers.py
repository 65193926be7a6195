"""Intake's handler table: the events it reacts to, each handed to the command that changes the resident's view of
the case (``commands/cases.py``, ``commands/verdicts.py``)."""

from services.intake.commands import cases, verdicts
from shared.events import (
    CaseCallbackRequested,
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineSet,
    CaseDispatched,
    CaseExplained,
    CaseExplanationMeetingCalled,
    CaseExplanationMeetingHeld,
    CaseExplanationMeetingScheduled,
    CaseExtensionDecided,
    CaseJointHandlingStarted,
    CaseProgressNoted,
    CaseRedispatched,
    CaseReopened,
    CaseResidentCallbackAsked,
    CaseReturned,
    CaseSigned,
    CaseSupervisorAssigned,
    CaseTransferred,
)
from shared.reference.keeping import NAME_HANDLERS

#: Every event intake reacts to, and the command it runs (with the consumer's unit of work).
HANDLERS = {
    CaseDispatched: cases.note_dispatched,
    CaseDeadlineSet: cases.note_expected_completion,
    CaseCompleted: cases.note_completed,
    CaseSigned: cases.note_signed,
    CaseSupervisorAssigned: cases.note_supervisor,
    CaseProgressNoted: cases.note_progress,
    CaseReturned: cases.note_returned,
    CaseClaimed: cases.note_claimed,
    CaseTransferred: cases.note_transferred,
    CaseJointHandlingStarted: cases.note_summoned,
    CaseRedispatched: cases.note_redispatched,
    CaseReopened: cases.note_reopened,
    CaseExplained: cases.note_explained,
    CaseExtensionDecided: cases.note_extension,
    CaseCallbackRequested: verdicts.open_callback_task,
    CaseResidentCallbackAsked: verdicts.take_unit_question,
    CaseExplanationMeetingCalled: cases.note_meeting_called,
    CaseExplanationMeetingScheduled: cases.note_meeting_scheduled,
    CaseExplanationMeetingHeld: cases.note_meeting_held,
    **NAME_HANDLERS,  # the names of units, sub-items and areas, as their owners publish them
}
