"""The console's handler table: the events of all four services its read model of cases is folded from
(``commands/read_model.py``), and the names it shows."""

from services.console.commands import read_model as rm
from shared.events import (
    CaseCheckInMissed,
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineBreached,
    CaseDeadlineSet,
    CaseDeadlineWarned,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseEscalated,
    CaseJointHandlingStarted,
    CaseOpenedForClaiming,
    CaseProgressNoted,
    CaseReclassified,
    CaseRedispatched,
    CaseReopened,
    CaseReported,
    CaseReturned,
    CaseSigned,
    CaseTransferred,
    EvaluationSubmitted,
)
from shared.events.reference import AreaChanged
from shared.reference.keeping import NAME_HANDLERS

#: Every event the console reacts to, and the command it runs (with the consumer's unit of work).
HANDLERS = {
    CaseReported: rm.note_reported,
    CaseReclassified: rm.note_reclassified,
    CaseDuplicateLinked: rm.note_co_reporters,
    EvaluationSubmitted: rm.note_verdict,
    CaseDispatched: rm.note_given,
    CaseRedispatched: rm.note_given,
    CaseTransferred: rm.note_given,
    CaseClaimed: rm.note_given,
    CaseOpenedForClaiming: rm.note_on_board,
    CaseReturned: rm.note_returned,
    CaseSigned: rm.note_signed,
    CaseProgressNoted: rm.note_progress,
    CaseCompleted: rm.note_completed,
    CaseReopened: rm.note_reopened,
    CaseDeadlineSet: rm.note_deadline,
    CaseDeadlineWarned: rm.note_warned,
    CaseDeadlineBreached: rm.note_breached,
    CaseEscalated: rm.note_escalated,
    CaseJointHandlingStarted: rm.note_summoned,
    CaseCheckInMissed: rm.note_check_in_missed,
    **NAME_HANDLERS,  # the names of units, sub-items and areas, as their owners publish them
    AreaChanged: rm.note_area,  # and the areas' boundaries, for the map
}
