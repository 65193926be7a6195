"""Supervision's handler table: the events it reacts to, each handed to its command (``commands/handling.py``). Each
unit given a case gets its clocks; each step a unit takes stops or answers them; a dissatisfied verdict reopens the
case."""

from services.supervision.commands.handling import (
    answer_with_progress,
    give_clocks_on_dispatch,
    give_clocks_to_new_unit,
    in_turn,
    journal,
    judge_verdict,
    know_reported,
    note_co_reporters,
    note_rebound,
    note_reclassified,
    pause_for_wait,
    resume_after_wait,
    stop_on_completion,
    stop_on_return,
    stop_sign_for,
    take_extension_request,
    track_explanation,
)
from shared.events import (
    CaseClaimed,
    CaseCompleted,
    CaseDeadlineBreached,
    CaseDeadlineSet,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseExplained,
    CaseExtensionRequested,
    CasePanelRated,
    CaseProgressNoted,
    CaseReclassified,
    CaseRedispatched,
    CaseReopened,
    CaseReported,
    CaseResumed,
    CaseReturned,
    CaseSigned,
    CaseSuspended,
    CaseTransferred,
    EvaluationSubmitted,
)
from shared.reference.keeping import NAME_HANDLERS

#: Every event supervision reacts to, and the command it runs (with the consumer's unit of work). The events the
#: rates are made of are also journaled for the rates' read model (supervision's own deadline events too, as it reads
#: them back from its topic).
HANDLERS = {
    CaseReported: in_turn(know_reported, note_rebound),
    CaseReclassified: note_reclassified,
    CaseDispatched: in_turn(give_clocks_on_dispatch, journal),
    CaseRedispatched: in_turn(give_clocks_to_new_unit, journal),
    CaseTransferred: in_turn(give_clocks_to_new_unit, journal),
    CaseClaimed: in_turn(give_clocks_to_new_unit, journal),
    CaseSigned: in_turn(stop_sign_for, journal),
    CaseProgressNoted: answer_with_progress,
    CaseExplained: track_explanation,
    CaseCompleted: in_turn(stop_on_completion, journal),
    CaseReturned: in_turn(stop_on_return, journal),
    CaseSuspended: pause_for_wait,
    CaseResumed: resume_after_wait,
    EvaluationSubmitted: in_turn(judge_verdict, journal),
    CaseExtensionRequested: take_extension_request,
    CaseDuplicateLinked: note_co_reporters,
    CaseDeadlineSet: journal,
    CaseDeadlineBreached: journal,
    CaseReopened: journal,
    CasePanelRated: journal,  # a panel's rating of the unit feeds the standings
    **NAME_HANDLERS,  # the names of units, sub-items and areas, as their owners publish them
}
