"""The words supervision keeps things in: a case's status as supervision follows it, a clock's state and how it
ended, an extension request's and an explanation meeting's state."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    REPORTED = "reported"
    TRIAGE = "triage"                # given back: no unit has it
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    EXPLAINED = "explained"          # cannot be solved soon: answered, tracked by its planned date
    COMPLETED = "completed"
    REOPENED = "reopened"            # a dissatisfied verdict sent it back to dispatch
    EXPLANATION_MEETING = "explanation_meeting"


class ClockStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"                # the unit waits on something the policy says stops the clock
    CLOSED = "closed"


class ClockOutcome(StrEnum):
    MET = "met"
    LATE = "late"
    ANSWERED = "answered"            # a step of the ladder got its reply
    UNANSWERED = "unanswered"        # the ladder's top step passed without one
    HANDED_OVER = "handed_over"      # another unit has the case
    RETURNED = "returned"
    EXPLAINED = "explained"
    CALLBACK_REQUESTED = "callback_requested"  # no verdict in time: the operators call back


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class MeetingStatus(StrEnum):
    CALLED = "called"
    SCHEDULED = "scheduled"
    HELD = "held"
