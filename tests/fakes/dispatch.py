"""Dispatch's store in memory: cases, their history, the directory and photos in dicts and lists."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from services.dispatch.adapters.store import CaseRecord, columns_of
from services.dispatch.domain.lifecycle import CaseFile
from services.dispatch.domain.routing import Directory
from shared.demo import demo_names
from shared.events import DeadlineKind
from shared.photos import CleanPhoto
from shared.reference.names import Names


@dataclass
class HistoryLine:
    case_id: UUID
    at: datetime
    action: str
    note: str
    unit_id: str | None = None
    rule_id: str | None = None


@dataclass
class Photo:
    id: UUID
    unit_id: str
    uploaded_at: datetime
    case_id: UUID | None = None
    shown_to_residents: bool = False


class FakeDispatchStore:
    def __init__(self, directory: Directory, *, unit_names: dict[str, str] | None = None):
        self._directory = directory
        self.unit_names = unit_names or {u.id: u.name_zh for u in directory.units.values()}
        self.cases: dict[UUID, CaseRecord] = {}
        self.history: list[HistoryLine] = []
        self.photos: dict[UUID, Photo] = {}
        self.units: dict[str, dict] = {u.id: {"id": u.id, "kind": u.kind, "name_zh": u.name_zh,
                                              "areas": sorted(u.areas), "categories": sorted(u.categories)}
                                       for u in directory.units.values()}
        self.rules: dict[str, dict] = {}
        self.directory_changes = 0

    def notes(self, case_id: UUID) -> list[tuple[str, str]]:
        return [(h.action, h.note) for h in self.history if h.case_id == case_id]

    async def note_residents(self, case_id: UUID, residents_affected: int) -> None:
        case = self.cases.get(case_id)
        if case is not None and case.residents_affected < residents_affected:
            self.cases[case_id] = replace(case, residents_affected=residents_affected)

    async def names(self) -> Names:
        return demo_names()

    async def directory(self) -> Directory:
        return self._directory

    async def open_case(self, case: CaseRecord) -> bool:
        if case.id in self.cases:
            return False
        self.cases[case.id] = case
        return True

    async def lock_case(self, case_id: UUID) -> CaseRecord | None:
        return self.cases.get(case_id)

    async def save_case(self, case_id: UUID, case: CaseFile, *, now: datetime, **more) -> CaseRecord:
        self.cases[case_id] = replace(self.cases[case_id], **columns_of(case), **more, updated_at=now)
        return self.cases[case_id]

    async def update_case(self, case_id: UUID, **values) -> CaseRecord | None:
        if case_id not in self.cases:
            return None
        self.cases[case_id] = replace(self.cases[case_id], **values)
        return self.cases[case_id]

    async def has_case(self, case_id: UUID) -> bool:
        return case_id in self.cases

    async def add_history(self, case_id: UUID, *, at: datetime, action: str, note: str, unit_id: str | None = None,
                          rule_id: str | None = None) -> None:
        self.history.append(HistoryLine(case_id, at, str(action), note, unit_id, rule_id))

    async def set_clock(self, kind: DeadlineKind, case_id: UUID, unit_id: str, due_at: datetime) -> None:
        case = self.cases.get(case_id)
        if case is not None and case.lead_unit_id == unit_id:
            column = {DeadlineKind.SIGN_FOR: "sign_due_at", DeadlineKind.COMPLETION: "due_at"}.get(kind)
            if column:
                self.cases[case_id] = replace(case, **{column: due_at})

    async def unit_name(self, unit_id: str) -> str:
        return self.unit_names.get(unit_id, unit_id)

    async def known_units(self, unit_ids: set[str]) -> set[str]:
        return set(unit_ids) & set(self.unit_names)

    async def unit_ids(self) -> set[str]:
        return set(self.units)

    async def add_unit(self, unit: dict) -> bool:
        if unit["id"] in self.units:
            return False
        self.units[unit["id"]] = unit
        self.unit_names[unit["id"]] = unit["name_zh"]
        self.directory_changes += 1
        return True

    async def edit_unit(self, unit_id: str, unit: dict) -> bool:
        if unit_id not in self.units:
            return False
        self.units[unit_id] = {"id": unit_id, **unit}
        self.directory_changes += 1
        return True

    async def save_units(self, units: list[dict]) -> None:
        for unit in units:
            self.units[unit["id"]] = unit
            self.unit_names[unit["id"]] = unit["name_zh"]
        self.directory_changes += 1

    async def add_rule(self, rule: dict) -> bool:
        if rule["id"] in self.rules:
            return False
        self.rules[rule["id"]] = rule
        self.directory_changes += 1
        return True

    async def edit_rule(self, rule_id: str, rule: dict) -> bool:
        if rule_id not in self.rules:
            return False
        self.rules[rule_id] = {"id": rule_id, **rule}
        self.directory_changes += 1
        return True

    async def remove_rule(self, rule_id: str) -> bool:
        self.directory_changes += 1 if rule_id in self.rules else 0
        return self.rules.pop(rule_id, None) is not None

    async def add_photo(self, photo_id: UUID, photo: CleanPhoto, *, unit_id: str) -> None:
        self.photos[photo_id] = Photo(photo_id, unit_id, datetime.now(UTC))

    async def attach_photos(self, case_id: UUID, unit_id: str, photo_ids: set[UUID], *,
                            shown_to_residents: bool) -> set[UUID]:
        attached = set()
        for photo_id in photo_ids:
            photo = self.photos.get(photo_id)
            if photo and photo.unit_id == unit_id and photo.case_id in (None, case_id):
                photo.case_id, photo.shown_to_residents = case_id, shown_to_residents
                attached.add(photo_id)
        return attached

    async def cases_past_check_in(self, now: datetime, *, limit: int) -> list[UUID]:
        return [c.id for c in self.cases.values() if c.summons and "alerted" not in c.summons
                and datetime.fromisoformat(c.summons["check_in_by"]) < now][:limit]

    async def drop_unattached_photos(self, uploaded_before: datetime) -> int:
        gone = [p.id for p in self.photos.values() if p.case_id is None and p.uploaded_at < uploaded_before]
        for photo_id in gone:
            del self.photos[photo_id]
        return len(gone)
