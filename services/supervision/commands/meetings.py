"""Explanation meetings (情况说明会) once the reopenings are used up: scheduled with a date and place, recorded as
accepted (the matter closes) or not (the case is reopened once more)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.supervision.adapters.store import Meeting, SupervisionStore
from services.supervision.commands import deadlines
from services.supervision.commands.handling import reopen
from services.supervision.domain.statuses import CaseStatus, MeetingStatus
from shared.events import CaseExplanationMeetingHeld, CaseExplanationMeetingScheduled
from shared.local_time import LOCAL_ZONE
from shared.masking import mask_personal_text
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused
from shared.scopes import within


async def _open_meeting(store: SupervisionStore, meeting_id: int, scope: tuple[str, ...]) -> Meeting:
    meeting = await store.lock_meeting(meeting_id)
    case = meeting and await store.case(meeting.case_id)
    if meeting is None or case is None or not within(scope, case.area_ids):
        raise Refused("not_found", "no such meeting", "meeting_id", status=404)
    if meeting.status == MeetingStatus.HELD:
        raise Refused("already_held", "this meeting was held already", "meeting_id", status=409)
    return meeting


async def schedule_meeting(uow: UnitOfWork, meeting_id: int, *, scheduled_for: datetime, place: str,
                           scope: tuple[str, ...], by: str) -> Meeting:
    if scheduled_for.tzinfo is None:
        raise Refused("invalid_format", "give the time with its offset, e.g. 2026-12-01T19:00:00+08:00",
                      "scheduled_for")
    await _open_meeting(uow.store, meeting_id, scope)
    meeting = await uow.store.update_meeting(meeting_id, status=MeetingStatus.SCHEDULED, scheduled_for=scheduled_for,
                                             place=mask_personal_text(place))
    now = datetime.now(UTC)
    await deadlines.log(uow, meeting.case_id, now, "meeting_scheduled", None,
                        f"{scheduled_for.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M}，{meeting.place}", actor=by)
    case = await uow.store.case(meeting.case_id)
    # The residents and the unit are told the date and place (notification's catalogue).
    uow.record(CaseExplanationMeetingScheduled(
        case_id=meeting.case_id, meeting_id=meeting.id, round=meeting.round, scheduled_for=scheduled_for,
        place=meeting.place, unit_id=case.unit_id if case else None, scheduled_at=now))
    return meeting


async def record_meeting(uow: UnitOfWork, meeting_id: int, *, summary: str, accepted: bool,
                         scope: tuple[str, ...], by: str, now: datetime | None = None) -> Meeting:
    """Accepted closes the matter; not accepted reopens the case once more. Only a meeting that was held: one
    scheduled, whose time has come."""
    now = now or datetime.now(UTC)
    summary = mask_personal_text(summary)
    planned = await _open_meeting(uow.store, meeting_id, scope)
    if planned.scheduled_for is None or planned.scheduled_for > now:
        raise Refused("not_held_yet", "a meeting is recorded once it has been held: schedule it, then record it "
                      "after its time", "meeting_id", status=409)
    meeting = await uow.store.update_meeting(meeting_id, status=MeetingStatus.HELD, held_at=now, summary=summary,
                                             accepted=accepted, recorded_by=by)
    uow.record(CaseExplanationMeetingHeld(case_id=meeting.case_id, round=meeting.round, accepted=accepted,
                                          summary=summary, held_at=now))
    await deadlines.log(uow, meeting.case_id, now, "meeting_held", None,
                        ("居民认可：" if accepted else "居民未认可：") + summary, actor=by)
    if accepted:
        await uow.store.update_case(meeting.case_id, status=CaseStatus.COMPLETED, updated_at=now)
    else:
        await reopen(uow, meeting.case_id, meeting.round, f"说明会未获居民认可：{summary[:200]}", now)
    return meeting
