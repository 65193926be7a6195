"""Supervision's store in memory: cases, clocks, the timeline, reopenings, meetings, extension requests, the journal;
time rules and supervisors built from the demo ground."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from itertools import count
from types import SimpleNamespace
from uuid import UUID

from services.supervision import demo
from services.supervision.adapters.store import (
    CaseRecord,
    CertificateRecord,
    ClockChange,
    ClosedClock,
    DeadlineRecord,
    DueClock,
    ExtensionRequest,
    Meeting,
    NewClock,
    Panel,
    TimelineLine,
    stored_columns,
)
from services.supervision.adapters.time_rules import JurisdictionRules, rules_from_rows
from services.supervision.domain.assignment import SupervisorScope
from services.supervision.domain.calendar import CalendarDay, statutory_days, statutory_years
from services.supervision.domain.statuses import ClockStatus
from shared.demo import demo_names
from shared.events import AreaPath, DeadlineKind
from shared.reference.names import Names


@cache
def demo_rules() -> dict[str, JurisdictionRules]:
    """The demo district's working hours, policies and the statutory calendar of every year the package knows."""
    jurisdiction = demo.jurisdiction_row()
    years = sorted(statutory_years())
    days = [SimpleNamespace(jurisdiction_id=jurisdiction["id"], day=d.day, workday=d.workday, name=d.name)
            for year in years for d in statutory_days(year)]
    return rules_from_rows([SimpleNamespace(**jurisdiction)],
                           [SimpleNamespace(jurisdiction_id=jurisdiction["id"], year=y) for y in years], days,
                           [SimpleNamespace(**p) for p in demo.policy_rows()])


class FakeSupervisionStore:
    def __init__(self, rules: dict[str, JurisdictionRules] | None = None):
        self.officials: dict[UUID, dict] = {}
        self.commitments: dict[UUID, dict] = {}
        self.commitment_scores: dict[tuple[UUID, UUID], dict] = {}
        self._rules = rules if rules is not None else demo_rules()
        self._ids = count(1)
        self.supervisor_scopes: dict[str, list[SupervisorScope]] = {}
        for r in demo.supervisor_rows():
            self.supervisor_scopes.setdefault(r["jurisdiction_id"], []).append(
                SupervisorScope(r["id"], frozenset(r["areas"]), frozenset(r["categories"]), r["name"]))
        self.cases: dict[UUID, CaseRecord] = {}
        self.unit_names: dict[str, str] = {}
        self.deadlines: dict[int, DeadlineRecord] = {}
        self.outcomes: dict[int, str] = {}
        self.timeline: list[TimelineLine] = []
        self.reopenings: set[tuple[UUID, int]] = set()
        self.meetings: dict[int, Meeting] = {}
        self.extension_requests: dict[int, ExtensionRequest] = {}
        self.panels: dict[UUID, Panel] = {}
        self.policies: dict[tuple[str, str, str], dict] = {}
        self.calendar_entries: dict[tuple[str, int], tuple[list, str]] = {}
        self.supervisor_rows: dict[str, dict] = {r["id"]: r for r in demo.supervisor_rows()}
        self.certificates: dict[UUID, CertificateRecord] = {}
        self.ratings: dict[tuple[UUID, UUID], dict] = {}
        self.journaled: dict[str, tuple[UUID, str]] = {}
        self.stale: set[UUID] = set()

    def kinds(self, case_id: UUID) -> list[str]:
        return [line.kind for line in self.timeline if line.case_id == case_id]

    def clocks(self, case_id: UUID, *, running: bool = True) -> list[DeadlineRecord]:
        return [d for d in self.deadlines.values() if d.case_id == case_id and (d.status != ClockStatus.CLOSED or not running)]

    async def rules(self, jurisdiction_id: str) -> JurisdictionRules | None:
        return self._rules.get(jurisdiction_id)

    async def all_rules(self) -> dict[str, JurisdictionRules]:
        return self._rules

    async def calendar_years(self) -> dict[str, set[int]]:
        return {j: set(r.days.years) for j, r in self._rules.items()}

    async def jurisdiction_exists(self, jurisdiction_id: str) -> bool:
        return jurisdiction_id in self._rules

    async def save_policy(self, jurisdiction_id: str, time_limit_class: str, category_code: str | None,
                          values: dict) -> None:
        self.policies[(jurisdiction_id, time_limit_class, category_code or "")] = values

    async def save_calendar_year(self, jurisdiction_id: str, year: int, days: list[CalendarDay], *,
                                 source: str) -> None:
        self.calendar_entries[(jurisdiction_id, year)] = (days, source)

    async def load_statutory_year(self, jurisdiction_id: str, year: int) -> bool:
        days = statutory_days(year)
        if days is None:
            return False
        await self.save_calendar_year(jurisdiction_id, year, days, source="statutory")
        return True

    async def supervisor_jurisdiction(self, supervisor_id: str) -> str | None:
        row = self.supervisor_rows.get(supervisor_id)
        return row["jurisdiction_id"] if row else None

    async def save_supervisor(self, supervisor_id: str, jurisdiction_id: str, remit: dict) -> None:
        self.supervisor_rows[supervisor_id] = {"id": supervisor_id, "jurisdiction_id": jurisdiction_id, **remit}

    async def supervisors(self, jurisdiction_id: str) -> list[SupervisorScope]:
        return self.supervisor_scopes.get(jurisdiction_id, [])

    async def open_cases_watched(self, supervisor_ids: list[str]) -> dict[str, int]:
        watched: dict[str, int] = {}
        for case in self.cases.values():
            if case.supervisor_id in supervisor_ids and case.status != "completed":
                watched[case.supervisor_id] = watched.get(case.supervisor_id, 0) + 1
        return watched

    async def names(self) -> Names:
        return demo_names()

    async def add_official(self, official: dict) -> None:
        self.officials[official["id"]] = dict(official)

    async def official(self, official_id: UUID) -> dict | None:
        return self.officials.get(official_id)

    async def add_commitment(self, commitment: dict) -> None:
        self.commitments[commitment["id"]] = dict(commitment)

    async def commitment(self, commitment_id: UUID) -> dict | None:
        found = self.commitments.get(commitment_id)
        if found is None:
            return None
        official = self.officials[found["official_id"]]
        return {**found, "jurisdiction_id": official["jurisdiction_id"], "area_id": official["area_id"]}

    async def keep_commitment(self, commitment_id: UUID, *, kept_on: date, note: str) -> dict:
        self.commitments[commitment_id].update(kept_on=kept_on, kept_note=note)
        return dict(self.commitments[commitment_id])

    async def score_commitment(self, commitment_id: UUID, certificate_id: UUID, *, score: int, comment: str | None,
                               at: datetime) -> None:
        self.commitment_scores[(commitment_id, certificate_id)] = dict(score=score, comment=comment, scored_at=at)

    async def know_case(self, case_id: UUID, area: AreaPath, *, category_code: str, time_limit_class: str,
                        reported_at: datetime, now: datetime, tracking_code: str | None = None) -> None:
        if case_id in self.cases:
            self.cases[case_id] = replace(self.cases[case_id], category_code=category_code,
                                          time_limit_class=time_limit_class, reported_at=reported_at, updated_at=now)
        else:
            self.cases[case_id] = CaseRecord(
                id=case_id, district_id=area.district_id, street_id=area.street_id, grid_id=area.grid_id,
                community_id=area.community_id, category_code=category_code, time_limit_class=time_limit_class,
                status="reported", reported_at=reported_at, updated_at=now, tracking_code=tracking_code)

    async def follow_dispatched(self, case_id: UUID, area: AreaPath, *, category_code: str, time_limit_class: str,
                                unit_id: str, now: datetime) -> CaseRecord:
        if case_id not in self.cases:
            await self.know_case(case_id, area, category_code=category_code, time_limit_class=time_limit_class,
                                 reported_at=None, now=now)
        self.cases[case_id] = replace(self.cases[case_id], unit_id=unit_id, status="dispatched",
                                      category_code=category_code, time_limit_class=time_limit_class, updated_at=now)
        return self.cases[case_id]

    async def follow(self, case_id: UUID, *, unit_id: str | None, status: str, now: datetime) -> CaseRecord | None:
        return await self.update_case(case_id, unit_id=unit_id, status=status, updated_at=now)

    async def case(self, case_id: UUID) -> CaseRecord | None:
        return self.cases.get(case_id)

    async def update_case(self, case_id: UUID, **values) -> CaseRecord | None:
        if case_id not in self.cases:
            return None
        self.cases[case_id] = replace(self.cases[case_id], **values)
        return self.cases[case_id]

    async def complete_case(self, case_id: UUID, *, unit_id: str, at: datetime, response: str,
                            now: datetime) -> CaseRecord | None:
        case = self.cases.get(case_id)
        if case is None:
            return None
        return await self.update_case(case_id, unit_id=unit_id, status="completed", completed_at=at,
                                      response=response, completion_round=case.completion_round + 1, updated_at=now)

    async def note_residents(self, case_id: UUID, residents_affected: int, *, wide_from: int) -> None:
        case = self.cases.get(case_id)
        if case is not None:
            await self.update_case(case_id, residents_affected=max(case.residents_affected, residents_affected),
                                   wide_impact=case.wide_impact or residents_affected >= wide_from)

    async def district_of(self, case_id: UUID) -> str | None:
        return self.cases[case_id].district_id if case_id in self.cases else None

    async def name_unit(self, unit_id: str, name: str) -> None:
        self.unit_names[unit_id] = name

    async def mark_escalated(self, levels: list[tuple[UUID, str]]) -> None:
        for case_id, level in levels:
            await self.update_case(case_id, escalation_level=level)

    async def running(self, case_id: UUID, kinds: Iterable[DeadlineKind] | None = None) -> list[DeadlineRecord]:
        wanted = None if kinds is None else {k.value for k in kinds}
        return [d for d in self.clocks(case_id) if wanted is None or d.kind in wanted]

    async def add_clocks(self, new: list[NewClock]) -> list[NewClock]:
        opened = {(d.opened_by_event, d.kind) for d in self.deadlines.values()}
        fresh = []
        for n in new:
            if (n.opened_by, n.clock.kind) in opened:
                continue
            row_id = next(self._ids)
            self.deadlines[row_id] = DeadlineRecord(id=row_id, case_id=n.case_id, unit_id=n.clock.unit_id,
                                                    kind=n.clock.kind.value, policy=n.policy,
                                                    opened_by_event=n.opened_by, **stored_columns(n.clock))
            opened.add((n.opened_by, n.clock.kind))
            fresh.append(n)
        return fresh

    async def save_clocks(self, changes: list[ClockChange]) -> None:
        for change in changes:
            stored = stored_columns(change.clock)
            stored["next_fire_at"] = change.next_fire_at or stored["next_fire_at"]
            self.deadlines[change.row_id] = replace(self.deadlines[change.row_id], **stored,
                                                    breached_at=change.breached_at)

    async def close_clocks(self, closing: list[ClosedClock], *, at: datetime) -> None:
        for c in closing:
            self.deadlines[c.row.id] = replace(self.deadlines[c.row.id], status=ClockStatus.CLOSED, next_fire_at=None)
            self.outcomes[c.row.id] = c.outcome

    async def due_clocks(self, now: datetime, *, limit: int) -> list[DueClock]:
        due = sorted((d for d in self.deadlines.values() if d.status == ClockStatus.OPEN and d.next_fire_at
                      and d.next_fire_at <= now), key=lambda d: d.next_fire_at)[:limit]
        found = []
        for d in due:
            case = self.cases.get(d.case_id)
            found.append(DueClock(d, *((case.district_id, case.category_code, case.time_limit_class,
                                        case.supervisor_id, case.completion_round) if case else (None,) * 5)))
        return found

    async def ladders_under_way(self, case_ids: list[UUID]) -> set[UUID]:
        return {d.case_id for d in self.deadlines.values() if d.case_id in case_ids and d.kind == DeadlineKind.REPLY
                and (d.status != ClockStatus.CLOSED or self.outcomes.get(d.id) == "unanswered")}

    async def log(self, lines: list[TimelineLine]) -> None:
        self.timeline.extend(lines)

    async def add_reopening(self, case_id: UUID, round: int, at: datetime) -> bool:
        if (case_id, round) in self.reopenings:
            return False
        self.reopenings.add((case_id, round))
        return True

    async def call_meeting(self, case_id: UUID, *, district_id: str, round: int, reason: str, at: datetime) -> None:
        if not any(m.case_id == case_id and m.round == round for m in self.meetings.values()):
            meeting_id = next(self._ids)
            self.meetings[meeting_id] = Meeting(id=meeting_id, case_id=case_id, district_id=district_id, round=round,
                                                reason=reason, called_at=at, status="called")

    async def lock_meeting(self, meeting_id: int) -> Meeting | None:
        return self.meetings.get(meeting_id)

    async def update_meeting(self, meeting_id: int, **values) -> Meeting:
        self.meetings[meeting_id] = replace(self.meetings[meeting_id], **values)
        return self.meetings[meeting_id]

    async def add_extension_request(self, case_id: UUID, *, unit_id: str, district_id: str, reason: str,
                                    proposed_date: date, requested_at: datetime, event_id: str) -> None:
        if not any(r.requested_by_event == event_id for r in self.extension_requests.values()):
            request_id = next(self._ids)
            self.extension_requests[request_id] = ExtensionRequest(
                id=request_id, case_id=case_id, unit_id=unit_id, district_id=district_id, reason=reason,
                proposed_date=proposed_date, requested_at=requested_at, status="pending",
                requested_by_event=event_id)

    async def lock_extension_request(self, request_id: int) -> ExtensionRequest | None:
        return self.extension_requests.get(request_id)

    async def extensions_granted(self, case_id: UUID, unit_id: str) -> int:
        return sum(1 for r in self.extension_requests.values()
                   if r.case_id == case_id and r.unit_id == unit_id and r.status == "approved")

    async def decide_extension_request(self, request_id: int, **values) -> ExtensionRequest:
        self.extension_requests[request_id] = replace(self.extension_requests[request_id], **values)
        return self.extension_requests[request_id]

    async def add_panel(self, panel: Panel) -> None:
        self.panels[panel.id] = panel

    async def certificates_issued(self, jurisdiction_id: str) -> int:
        return sum(1 for c in self.certificates.values() if c.jurisdiction_id == jurisdiction_id)

    async def add_certificate(self, certificate: CertificateRecord) -> None:
        self.certificates[certificate.id] = certificate

    async def lock_certificate(self, certificate_id: UUID) -> CertificateRecord | None:
        return self.certificates.get(certificate_id)

    async def revoke_certificate(self, certificate_id: UUID, *, by: str, reason: str,
                                 at: datetime) -> CertificateRecord:
        self.certificates[certificate_id] = replace(self.certificates[certificate_id], revoked_at=at, revoked_by=by,
                                                    revocation_reason=reason)
        return self.certificates[certificate_id]

    async def panel(self, panel_id: UUID) -> Panel | None:
        return self.panels.get(panel_id)

    async def add_rating(self, panel_id: UUID, case_id: UUID, *, unit_id: str, scores: dict[str, int],
                         comment: str | None, at: datetime) -> bool:
        if (panel_id, case_id) in self.ratings:
            return False
        self.ratings[(panel_id, case_id)] = dict(unit_id=unit_id, comment=comment, **scores)
        return True

    async def journal(self, event_id: str, case_id: UUID, event_type: str, data: dict) -> None:
        self.journaled.setdefault(event_id, (case_id, event_type))
        self.stale.add(case_id)
