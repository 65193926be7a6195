"""Intake's store in memory: reporters, cases, reports, timelines, verdicts, photos, reveals and imports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from types import SimpleNamespace
from uuid import UUID, uuid4

from services.intake import demo
from services.intake.adapters.reference import ground_from_rows, tree_from_rows
from services.intake.adapters.store import CaseRecord, ReporterContact, ReportRecord
from services.intake.domain.cases import CaseStatus
from services.intake.domain.classification import words
from services.intake.domain.duplicates import CompletedCase, OpenCase
from services.intake.domain.reference import CategoryTree, Ground
from services.intake.domain.reports import ReportOutcome
from services.intake.domain.timeline import TimelineLine
from shared.events import Channel
from shared.photos import CleanPhoto


@dataclass
class Import:
    filename: str
    content: bytes
    status: str = "pending"
    created_at: datetime = datetime.min.replace(tzinfo=UTC)
    heartbeat_at: datetime | None = None
    total_rows: int = 0
    processed_rows: int = 0
    finished_at: datetime | None = None
    error: str | None = None


class FakeIntakeStore:
    def __init__(self, tree: CategoryTree, ground: Ground):
        self._tree, self._ground = tree, ground
        self.reporters: dict[UUID, dict] = {}
        self.cases: dict[UUID, CaseRecord] = {}
        self.reports: dict[UUID, ReportRecord] = {}
        self.classifications: list[dict] = []
        self.timeline: list[tuple[UUID, datetime, TimelineLine, str | None]] = []
        self.photos: dict[UUID, UUID | None] = {}  # photo -> report
        self.verdicts: dict[tuple[UUID, int, str], dict] = {}
        self.callback_tasks: dict[tuple[UUID, int], dict] = {}
        self.unit_callbacks: dict[UUID, dict] = {}
        self.reveals: list[dict] = []
        self.refused_reports: list[dict] = []
        self.imports: dict[UUID, Import] = {}
        self.import_rows: dict[tuple[UUID, int], dict] = {}
        self.locked_cells: list[tuple[str, str]] = []
        self.categories: dict[str, list[dict]] = {
            row["code"]: [{**row, "active": True, "changed_by": None, "changed_at": None}]
            for row in demo.category_rows()}
        self.classes = {row["code"] for row in demo.class_rows()}
        self.api_keys: dict[UUID, dict] = {}
        self.articles: dict[UUID, dict] = {}
        self.consultations: list[dict] = []

    def lines(self, case_id: UUID) -> list[TimelineLine]:
        return [line for c, _, line, _ in self.timeline if c == case_id]

    async def category_tree(self) -> CategoryTree:
        return self._tree

    async def ground(self) -> Ground:
        return self._ground

    async def category_versions(self, code: str) -> list[dict]:
        return sorted(self.categories.get(code, []), key=lambda v: -v["version"])

    async def class_exists(self, class_code: str) -> bool:
        return class_code in self.classes

    async def service_code_taken(self, service_code: str, *, by_other_than: str) -> bool:
        return any(v["current"] and v["active"] and v["service_code"] == service_code and code != by_other_than
                   for code, versions in self.categories.items() for v in versions)

    async def add_category_version(self, code: str, version: int, fields: dict, *, active: bool, by: str,
                                   at: datetime) -> None:
        for v in self.categories.get(code, []):
            v["current"] = False
        self.categories.setdefault(code, []).append({"code": code, "version": version, **fields, "current": True,
                                                     "active": active, "changed_by": by, "changed_at": at})

    async def add_api_key(self, key_id: UUID, *, name: str, key_hash: str, prefix: str, at: datetime) -> None:
        self.api_keys[key_id] = dict(name=name, key_hash=key_hash, prefix=prefix, created_at=at, revoked_at=None)

    async def revoke_api_key(self, key_id: UUID, *, at: datetime) -> bool:
        key = self.api_keys.get(key_id)
        if key is None or key["revoked_at"] is not None:
            return False
        key["revoked_at"] = at
        return True

    async def report_by_ref(self, channel: Channel, external_ref: str) -> ReportOutcome | None:
        for report in self.reports.values():
            if report.channel == channel and report.external_ref == external_ref:
                case = self.cases[report.case_id]
                return ReportOutcome(report.id, case.id, case.tracking_code, linked=report.role == "co_report",
                                     replayed=True, category_code=case.category_code,
                                     confidence=case.category_confidence, needs_triage=case.needs_triage)
        return None

    async def reporter_for(self, phone: str, name: str | None) -> UUID:
        for reporter_id, reporter in self.reporters.items():
            if reporter["phone"] == phone:
                if name:
                    reporter["name"] = name
                return reporter_id
        reporter_id = uuid4()
        self.reporters[reporter_id] = {"phone": phone, "name": name}
        return reporter_id

    async def lock_cell(self, category_code: str, grid_id: str) -> None:
        self.locked_cells.append((category_code, grid_id))

    async def open_cases_near(self, box: tuple[float, float, float, float], since: datetime) -> list[OpenCase]:
        south, north, west, east = box
        return [OpenCase(c.id, c.tracking_code, c.category_code, c.lat, c.lon, c.reported_at,
                         frozenset(c.words.split() if c.words is not None else words(c.description)))
                for c in sorted(self.cases.values(), key=lambda c: c.reported_at, reverse=True)
                if c.status != CaseStatus.COMPLETED and c.reported_at >= since and south <= c.lat <= north
                and west <= c.lon <= east][:50]

    async def completed_cases_near(self, box: tuple[float, float, float, float], category_code: str,
                                   since: datetime) -> list[CompletedCase]:
        south, north, west, east = box
        return [CompletedCase(c.id, c.tracking_code, c.category_code, c.lat, c.lon, c.updated_at)
                for c in self.cases.values()
                if c.status == CaseStatus.COMPLETED and c.category_code == category_code and c.updated_at >= since
                and south <= c.lat <= north and west <= c.lon <= east]

    async def rename_area(self, area_id: str, *, name_zh: str, name_en: str) -> dict | None:
        area = self._ground.map.area(area_id)
        return None if area is None else dict(id=area_id, level=area.level, parent_id=area.parent_id,
                                              name_zh=name_zh, name_en=name_en)

    async def add_case(self, case: CaseRecord) -> None:
        self.cases[case.id] = case

    async def add_report(self, report: ReportRecord) -> None:
        self.reports[report.id] = report

    async def add_classification(self, case_id: UUID, *, category_code: str, category_version: int,
                                 confidence: float, classified_by: str, at: datetime, suggested_code: str | None = None,
                                 actor: str | None = None, reason: str | None = None) -> None:
        self.classifications.append(dict(case_id=case_id, category_code=category_code, confidence=confidence,
                                         classified_by=classified_by, suggested_code=suggested_code, actor=actor,
                                         reason=reason))

    async def add_timeline(self, case_id: UUID, at: datetime, line: TimelineLine, event_id: str | None = None) -> None:
        if event_id is not None and any(c == case_id and l.kind == line.kind and e == event_id
                                        for c, _, l, e in self.timeline):
            return
        self.timeline.append((case_id, at, line, event_id))

    async def add_co_reporter(self, case_id: UUID, report_id: UUID, reporter_id: UUID | None, now: datetime) -> int:
        already = reporter_id is not None and any(
            r.case_id == case_id and r.reporter_id == reporter_id and r.id != report_id for r in self.reports.values())
        case = self.cases[case_id]
        self.cases[case_id] = replace(case, residents_affected=case.residents_affected + (0 if already else 1),
                                      updated_at=now)
        return self.cases[case_id].residents_affected

    async def lock_case(self, case_id: UUID) -> CaseRecord | None:
        return self.cases.get(case_id)

    async def lock_case_by_code(self, tracking_code: str) -> CaseRecord | None:
        return next((c for c in self.cases.values() if c.tracking_code == tracking_code), None)

    async def case_supervisor(self, case_id: UUID) -> tuple[bool, str | None]:
        case = self.cases.get(case_id)
        return (case is not None, case.supervisor_id if case else None)

    async def cases_revealed_by(self, actor: str, *, since: datetime) -> dict[UUID, datetime]:
        first: dict[UUID, datetime] = {}
        for line in self.reveals:
            if line["actor"] == actor and line["at"] > since:
                first[line["case_id"]] = min(first.get(line["case_id"], line["at"]), line["at"])
        return first

    async def update_case(self, case_id: UUID, **values) -> None:
        if case_id in self.cases:
            self.cases[case_id] = replace(self.cases[case_id], **values)

    async def lock_report(self, report_id: UUID) -> ReportRecord | None:
        return self.reports.get(report_id)

    async def update_report(self, report_id: UUID, **values) -> None:
        self.reports[report_id] = replace(self.reports[report_id], **values)

    async def reported_by(self, case_id: UUID, reporter_id: UUID) -> bool:
        return any(r.case_id == case_id and r.reporter_id == reporter_id for r in self.reports.values())

    async def add_photo(self, photo_id: UUID, photo: CleanPhoto) -> None:
        self.photos[photo_id] = None

    async def unattached_photos(self, photo_ids: list[UUID]) -> int:
        return sum(1 for p in photo_ids if p in self.photos and self.photos[p] is None)

    async def attach_photos(self, photo_ids: list[UUID], report_id: UUID) -> None:
        for photo_id in photo_ids:
            self.photos[photo_id] = report_id

    async def drop_unattached_photos(self, older_than: timedelta) -> int:
        gone = [p for p, report in self.photos.items() if report is None]
        for photo_id in gone:
            del self.photos[photo_id]
        return len(gone)

    async def add_verdict(self, case_id: UUID, *, round: int, submitter: str, verdict: str, comment: str | None,
                          via: str, at: datetime) -> bool:
        if (case_id, round, submitter) in self.verdicts:
            return False
        self.verdicts[(case_id, round, submitter)] = dict(verdict=verdict, comment=comment, via=via, at=at)
        return True

    async def has_verdict(self, case_id: UUID, round: int) -> bool:
        return any(c == case_id and r == round for c, r, _ in self.verdicts)

    async def add_callback_task(self, case_id: UUID, *, round: int, requested_at: datetime,
                                done_at: datetime | None, done_by: str | None) -> None:
        self.callback_tasks.setdefault((case_id, round), dict(requested_at=requested_at, done_at=done_at,
                                                              done_by=done_by))

    async def add_unit_callback(self, request_id: UUID, case_id: UUID, *, unit_id: str, question: str,
                                asked_at: datetime) -> None:
        self.unit_callbacks.setdefault(request_id, dict(case_id=case_id, unit_id=unit_id, question=question,
                                                        asked_at=asked_at, answered_at=None))

    async def answer_unit_callback(self, request_id: UUID, *, reached: bool, answer: str, by: str,
                                   at: datetime) -> dict | None:
        request = self.unit_callbacks.get(request_id)
        if request is None or request["answered_at"] is not None:
            return None
        request.update(reached=reached, answer=answer, answered_by=by, answered_at=at)
        return dict(case_id=request["case_id"], unit_id=request["unit_id"])

    async def close_callback_task(self, case_id: UUID, *, round: int, at: datetime, by: str) -> None:
        task = self.callback_tasks.get((case_id, round))
        if task is not None and task["done_at"] is None:
            task.update(done_at=at, done_by=by)

    async def contacts(self, case_ids: list[UUID], *, with_phone_only: bool = False) -> list[ReporterContact]:
        found = []
        for report in sorted(self.reports.values(), key=lambda r: (str(r.case_id), r.received_at)):
            if report.case_id in case_ids and not report.anonymous and report.reporter_id in self.reporters:
                reporter = self.reporters[report.reporter_id]
                if with_phone_only and not reporter["phone"]:
                    continue
                found.append(ReporterContact(report.reporter_id, report.case_id, report.role, reporter["name"],
                                             reporter["phone"]))
        return found

    async def reporter_phone(self, reporter_id: UUID) -> str | None:
        return self.reporters.get(reporter_id, {}).get("phone")

    async def keep_refused_report(self, row: dict) -> None:
        self.refused_reports.append(row)

    async def audit_reveals(self, reveals: list[dict]) -> None:
        self.reveals.extend(reveals)

    async def cases_reported_by(self, phone: str, grids: frozenset[str], *, limit: int) -> list[dict]:
        reporter_ids = {rid for rid, r in self.reporters.items() if r["phone"] == phone}
        seen = {}
        for report in self.reports.values():
            case = self.cases[report.case_id]
            if report.reporter_id in reporter_ids and case.grid_id in grids:
                seen.setdefault(case.id, {"case_id": case.id, "reporter_id": report.reporter_id,
                                          "tracking_code": case.tracking_code, "category_code": case.category_code,
                                          "status": case.status, "description": case.description,
                                          "reported_at": case.reported_at, "unit_name": case.unit_name})
        return sorted(seen.values(), key=lambda c: c["reported_at"], reverse=True)[:limit]

    async def save_article(self, article_id: UUID, **values) -> bool:
        self.articles[article_id] = {**self.articles.get(article_id, {}), "id": article_id, **values}
        return True

    async def retire_article(self, article_id: UUID, actor: str, now: datetime) -> bool:
        found = self.articles.get(article_id)
        if not found or not found["active"]:
            return False
        found.update(active=False, changed_by=actor, changed_at=now)
        return True

    async def article(self, article_id: UUID) -> dict | None:
        return self.articles.get(article_id)

    async def consultation_by_call(self, call_id: str) -> dict | None:
        return next((c for c in self.consultations if c["call_id"] == call_id), None)

    async def add_consultation(self, **values) -> None:
        self.consultations.append(values)

    async def cases_without_words(self, *, limit: int) -> list[tuple[UUID, str]]:
        return [(c.id, c.description) for c in self.cases.values() if c.words is None][:limit]

    async def add_import(self, import_id: UUID, *, filename: str, sha256: str, content: bytes, created_by: str,
                         at: datetime) -> None:
        self.imports[import_id] = Import(filename, content, created_at=at)

    async def claim_import(self, now: datetime, *, heartbeat_timeout: timedelta) -> UUID | None:
        waiting = [(i.created_at, import_id) for import_id, i in self.imports.items()
                   if i.status == "pending" or (i.status == "running" and i.heartbeat_at < now - heartbeat_timeout)]
        if not waiting:
            return None
        import_id = min(waiting)[1]
        await self.update_import(import_id, status="running", heartbeat_at=now)
        return import_id

    async def import_file(self, import_id: UUID) -> tuple[str, bytes]:
        return self.imports[import_id].filename, self.imports[import_id].content

    async def import_rows_done(self, import_id: UUID) -> set[int]:
        return {number for i, number in self.import_rows if i == import_id}

    async def add_import_rows(self, lines: list[dict]) -> int:
        for line in lines:
            self.import_rows.setdefault((line["import_id"], line["row_number"]), line)
        return len(await self.import_rows_done(lines[0]["import_id"]))

    async def update_import(self, import_id: UUID, **values) -> None:
        self.imports[import_id] = replace(self.imports[import_id], **values)




@cache
def demo_reference() -> tuple[CategoryTree, Ground]:
    """The demo category tree (with its trained classifier) and the demo map, as the loaders build them from rows."""
    def rows(dicts, **defaults):
        return [SimpleNamespace(**{**defaults, **d}) for d in dicts]

    tree = tree_from_rows(rows(demo.category_rows(), active=True), rows(demo.class_rows()))
    return tree, ground_from_rows(rows(demo.area_rows()), rows(demo.gazetteer_rows()))
