"""The events dispatch produces: who was given a case and what each unit did with it."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from shared.events.contract import DISPATCH_CASES, Event, event_type
from shared.events.values import AreaPath, SuspensionReason


class CaseDispatched(Event, type=event_type("case.dispatched"), topic=DISPATCH_CASES, partner=True):
    """Dispatch assigned a case to a lead unit (and perhaps assisting units)."""

    case_id: UUID
    unit_id: str
    unit_name: str
    assisting_unit_ids: tuple[str, ...] = ()
    rule_id: str | None = None
    category_code: str
    time_limit_class: str
    urgent: bool = False
    area: AreaPath
    dispatched_at: AwareDatetime


class CaseSigned(Event, type=event_type("case.signed"), topic=DISPATCH_CASES, partner=True):
    """The lead unit signed for the case: it is now theirs to handle."""

    case_id: UUID
    unit_id: str
    unit_name: str
    signed_at: AwareDatetime


class CaseProgressNoted(Event, type=event_type("case.progress_noted"), topic=DISPATCH_CASES):
    """The lead unit noted progress (numbers in the text masked)."""

    case_id: UUID
    unit_id: str
    text: str
    photo_count: int = 0
    noted_at: AwareDatetime


class CaseReturned(Event, type=event_type("case.returned"), topic=DISPATCH_CASES, partner=True):
    """The lead unit gave the case back; it waits in triage and the unit is not chosen again automatically."""

    case_id: UUID
    unit_id: str
    reason: Literal["not_our_duty", "wrong_area", "duplicate", "missing_information"]
    text: str
    returned_at: AwareDatetime


class CaseTransferred(Event, type=event_type("case.transferred"), topic=DISPATCH_CASES, partner=True):
    """A dispatcher approved a unit's request to hand the case to another unit."""

    case_id: UUID
    from_unit_id: str
    unit_id: str
    unit_name: str
    transferred_at: AwareDatetime


class CaseOpenedForClaiming(Event, type=event_type("case.opened_for_claiming"), topic=DISPATCH_CASES, partner=True):
    """The linkage centre put the case on the claiming board: any unit may claim it, and the units working where it
    lies (``unit_ids``) are told."""

    case_id: UUID
    category_code: str
    urgent: bool = False
    area: AreaPath
    unit_ids: tuple[str, ...] = ()
    opened_at: AwareDatetime


class CaseClaimed(Event, type=event_type("case.claimed"), topic=DISPATCH_CASES, partner=True):
    """A partner unit took the case from the claiming board (one claim wins); the other units told of the board
    (``board_unit_ids``) hear who took it."""

    case_id: UUID
    unit_id: str
    unit_name: str
    board_unit_ids: tuple[str, ...] = ()
    claimed_at: AwareDatetime


class CaseJointHandlingStarted(Event, type=event_type("case.joint_handling_started"), topic=DISPATCH_CASES,
                               partner=True):
    """A dispatcher summoned several units to one case (the "whistle"); each must check in by ``check_in_by``."""

    case_id: UUID
    unit_ids: tuple[str, ...]
    check_in_by: AwareDatetime
    started_at: AwareDatetime


class CaseExtensionRequested(Event, type=event_type("case.extension_requested"), topic=DISPATCH_CASES):
    """The lead unit asks for more time; supervision decides."""

    case_id: UUID
    unit_id: str
    reason: str
    proposed_date: date
    requested_at: AwareDatetime
    # Where the case lies, so the supervisor of that jurisdiction decides (absent in events before it was added).
    area: AreaPath | None = None


class CaseCheckInMissed(Event, type=event_type("case.check_in_missed"), topic=DISPATCH_CASES):
    """The check-in limit of joint handling passed and these summoned units had not checked in."""

    case_id: UUID
    unit_ids: tuple[str, ...]
    check_in_by: AwareDatetime
    flagged_at: AwareDatetime


class CaseExplained(Event, type=event_type("case.explained"), topic=DISPATCH_CASES):
    """A unit cannot solve the case in the short term: it explained why and named a planned date. It counts as
    answered and stays tracked until completed."""

    case_id: UUID
    unit_id: str
    explanation: str
    planned_date: date
    explained_at: AwareDatetime


class CaseSuspended(Event, type=event_type("case.suspended"), topic=DISPATCH_CASES, partner=True):
    """The unit waits on something outside its hands; whether its clocks stop is the jurisdiction's policy."""

    case_id: UUID
    unit_id: str
    reason: SuspensionReason
    text: str
    suspended_at: AwareDatetime


class CaseResumed(Event, type=event_type("case.resumed"), topic=DISPATCH_CASES, partner=True):
    """The wait is over; stopped clocks run again from here."""

    case_id: UUID
    unit_id: str
    resumed_at: AwareDatetime


class CaseRedispatched(Event, type=event_type("case.redispatched"), topic=DISPATCH_CASES, partner=True):
    """The case goes to a unit again: a dispatcher's override or a reopened case (``redo_count`` kept)."""

    case_id: UUID
    unit_id: str
    unit_name: str
    previous_unit_id: str | None = None
    redo_count: int = 0
    reason: str
    redispatched_at: AwareDatetime


class CaseCompleted(Event, type=event_type("case.completed"), topic=DISPATCH_CASES, partner=True):
    """The lead unit reported the case done: the resident can now give a verdict."""

    case_id: UUID
    unit_id: str
    unit_name: str
    result: str
    photo_ids: list[UUID] = Field(default_factory=list, description="The photos it completed the case with (dispatch "
                                  "serves them to the residents who raised it)")
    completed_at: AwareDatetime


class CaseResidentCallbackAsked(Event, type=event_type("case.resident_callback_asked"), topic=DISPATCH_CASES):
    """A unit needs something from the resident: the operators call them back and ask (the unit never reads the
    number); ``question`` is masked."""

    case_id: UUID
    request_id: UUID
    unit_id: str
    question: str
    asked_at: AwareDatetime
