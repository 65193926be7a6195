"""Intake's store: every read and write its commands make, over one unit of work's session (the storage seam; unit
tests put an in-memory one in its place)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import bindparam, exists, func, insert, or_, select, text, update
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree, ground
from services.intake.domain.cases import CaseStatus
from services.intake.domain.classification import words
from services.intake.domain.duplicates import CompletedCase, OpenCase
from services.intake.domain.reference import CategoryTree, Ground
from services.intake.domain.reports import ReportOutcome
from services.intake.domain.slips import ImportStatus
from services.intake.domain.timeline import TimelineLine
from shared.events import Channel
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.records import record_of
from shared.photos import CleanPhoto


@dataclass(frozen=True)
class CaseRecord:
    """One row of ``cases``: what a resident reported, where, and the state they read."""

    id: UUID
    tracking_code: str
    category_code: str
    category_version: int
    description: str
    channel: str
    urgent: bool
    lat: float
    lon: float
    grid_id: str
    anonymous: bool
    status: str
    reported_at: datetime
    updated_at: datetime
    address: str | None = None
    reporter_id: UUID | None = None
    unit_name: str | None = None
    unit_ids: list = ()
    expected_at: datetime | None = None
    category_confidence: float = 1.0
    classified_by: str = "resident"
    needs_triage: bool = False
    attributes: dict = field(default_factory=dict)
    residents_affected: int = 1
    suspected_duplicate_of: UUID | None = None
    address_id: str | None = None
    completion_round: int = 0
    answer: str | None = None
    answer_photo_ids: list = field(default_factory=list)
    words: str | None = None
    supervisor_id: str | None = None
    #: What the classifier suggested where a person picked the sub-item (the operator's pick shown beside it).
    suggested_category_code: str | None = None
    #: A slip's kind (suggestion box, questionnaire …) and the day the resident handed it in.
    source_kind: str | None = None
    handed_in_on: date | None = None
    #: The completed case whose problem came back here (a rebound).
    rebound_of: UUID | None = None


@dataclass(frozen=True)
class ReportRecord:
    """One row of ``reports``: one resident's report, the case's first (primary) or a co-report."""

    id: UUID
    case_id: UUID
    role: str
    channel: str
    description: str
    anonymous: bool
    lat: float
    lon: float
    received_at: datetime
    channel_detail: str | None = None
    external_ref: str | None = None
    reporter_id: UUID | None = None
    submitted_by: str | None = None
    address: str | None = None
    similarity: float | None = None
    media_url: str | None = None


@dataclass(frozen=True)
class ReporterContact:
    reporter_id: UUID
    case_id: UUID
    role: str
    name: str | None
    phone: str | None


# The hot path's statements are built once; each call only binds its values.
_INSERT_CASE = insert(tables.cases)
_INSERT_REPORT = insert(tables.reports)
_INSERT_CLASSIFICATION = insert(tables.classifications)
_INSERT_TIMELINE = pg_insert(tables.timeline).on_conflict_do_nothing()
_c = tables.cases.c
# The open cases in a box around a point, newest first: the candidates a new report may duplicate.
_OPEN_CASES_NEAR = (
    select(_c.id, _c.tracking_code, _c.category_code, _c.lat, _c.lon, _c.reported_at, _c.words,
           # the text only where its words were never kept
           sql_case((_c.words.is_(None), _c.description)).label("description"))
    .where(_c.status != CaseStatus.COMPLETED, _c.reported_at >= bindparam("since"),
           _c.lat.between(bindparam("south"), bindparam("north")), _c.lon.between(bindparam("west"), bindparam("east")))
    .order_by(_c.reported_at.desc()).limit(50))


_COMPLETED_NEAR = (
    select(_c.id, _c.tracking_code, _c.category_code, _c.lat, _c.lon, _c.updated_at)
    .where(_c.status == CaseStatus.COMPLETED, _c.category_code == bindparam("category"),
           _c.updated_at >= bindparam("since"),
           _c.lat.between(bindparam("south"), bindparam("north")), _c.lon.between(bindparam("west"), bindparam("east")))
    .order_by(_c.updated_at.desc()).limit(20))


class IntakeStore:
    """Reporters, reports, cases and what hangs off them, as intake's commands see them."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow
        self._session = uow.session

    # --- reference data ---------------------------------------------------------------------------------------------

    async def category_tree(self) -> CategoryTree:
        return await category_tree.get(self._session)

    async def ground(self) -> Ground:
        return await ground.get(self._session)

    # --- the category tree and API keys -------------------------------------------------------------------------

    async def category_versions(self, code: str) -> list[dict]:
        """Every version of a sub-item, newest first (none: no such sub-item)."""
        c = tables.categories.c
        return [dict(r._mapping) for r in (await self._session.execute(
            select(tables.categories).where(c.code == code).order_by(c.version.desc()))).all()]

    async def class_exists(self, class_code: str) -> bool:
        cc = tables.category_classes.c
        return await self._session.scalar(select(cc.code).where(cc.code == class_code)) is not None

    async def service_code_taken(self, service_code: str, *, by_other_than: str) -> bool:
        """Whether another active sub-item has this Open311 service code."""
        c = tables.categories.c
        return await self._session.scalar(select(c.code).where(
            c.current, c.active, c.service_code == service_code, c.code != by_other_than)) is not None

    async def add_category_version(self, code: str, version: int, fields: dict, *, active: bool, by: str,
                                   at: datetime) -> None:
        """The sub-item's new current version (the previous one stays, no longer current); every process retrains
        its classifier."""
        c = tables.categories.c
        await self._session.execute(update(tables.categories).where(c.code == code, c.current).values(current=False))
        await self._session.execute(insert(tables.categories).values(
            code=code, version=version, **{k: fields[k] for k in CATEGORY_FIELDS}, current=True, active=active,
            changed_by=by, changed_at=at))
        await category_tree.changed(self._uow)

    async def add_api_key(self, key_id: UUID, *, name: str, key_hash: str, prefix: str, at: datetime) -> None:
        await self._session.execute(insert(tables.api_keys).values(
            id=key_id, name=name, key_hash=key_hash, prefix=prefix, created_at=at))

    async def revoke_api_key(self, key_id: UUID, *, at: datetime) -> bool:
        """False when there is no such key not yet revoked."""
        k = tables.api_keys.c
        done = await self._session.execute(update(tables.api_keys).where(k.id == key_id, k.revoked_at.is_(None))
                                           .values(revoked_at=at))
        return done.rowcount > 0

    # --- reports and cases ------------------------------------------------------------------------------------------

    async def report_by_ref(self, channel: Channel, external_ref: str) -> ReportOutcome | None:
        """The answer given to the report this channel already sent under ``external_ref``, if any."""
        rp, c = tables.reports.c, tables.cases.c
        row = (await self._session.execute(
            select(rp.id, rp.role, c.id.label("case_id"), c.tracking_code, c.category_code, c.category_confidence,
                   c.needs_triage)
            .join(tables.cases, c.id == rp.case_id).where(rp.channel == channel, rp.external_ref == external_ref))
        ).first()
        if row is None:
            return None
        return ReportOutcome(row.id, row.case_id, row.tracking_code, linked=row.role == "co_report", replayed=True,
                             category_code=row.category_code, confidence=row.category_confidence,
                             needs_triage=row.needs_triage)

    async def reporter_for(self, phone: str, name: str | None) -> UUID:
        """The resident's record, found by number so that one resident keeps one reference across reports (the name
        given last is kept)."""
        r = tables.reporters.c
        found = (await self._session.execute(select(r.id, r.name).where(r.phone == phone).order_by(r.created_at)
                                             .limit(1))).first()
        if found is not None:
            if name and name != found.name:
                await self._session.execute(update(tables.reporters).where(r.id == found.id).values(name=name))
            return found.id
        reporter_id = uuid4()
        await self._session.execute(insert(tables.reporters).values(id=reporter_id, name=name, phone=phone))
        return reporter_id

    async def lock_cell(self, category_code: str, grid_id: str) -> None:
        """Reports of one sub-item in one grid are taken one at a time (until the transaction ends)."""
        await self._session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{category_code}|{grid_id}"))))

    async def open_cases_near(self, box: tuple[float, float, float, float], since: datetime) -> list[OpenCase]:
        south, north, west, east = box
        rows = (await self._session.execute(_OPEN_CASES_NEAR, dict(since=since, south=south, north=north, west=west,
                                                                   east=east))).all()
        return [OpenCase(r.id, r.tracking_code, r.category_code, r.lat, r.lon, r.reported_at,
                         frozenset(r.words.split() if r.words is not None else words(r.description))) for r in rows]

    async def completed_cases_near(self, box: tuple[float, float, float, float], category_code: str,
                                   since: datetime) -> list[CompletedCase]:
        """Cases of the sub-item completed in the box since then (the last change of a completed case: its
        completion, or a verdict on it)."""
        south, north, west, east = box
        rows = (await self._session.execute(_COMPLETED_NEAR, dict(category=category_code, since=since, south=south,
                                                                  north=north, west=west, east=east))).all()
        return [CompletedCase(r.id, r.tracking_code, r.category_code, r.lat, r.lon, r.updated_at) for r in rows]

    async def rename_area(self, area_id: str, *, name_zh: str, name_en: str) -> dict | None:
        """The area renamed (its names only), or None; the map reloads and the new names are published."""
        a = tables.areas.c
        row = (await self._session.execute(update(tables.areas).where(a.id == area_id)
                                           .values(name_zh=name_zh, name_en=name_en)
                                           .returning(a.id, a.level, a.parent_id, a.name_zh, a.name_en))).first()
        if row is None:
            return None
        await ground.changed(self._uow)
        return dict(row._mapping)

    async def add_case(self, case: CaseRecord) -> None:
        await self._session.execute(_INSERT_CASE, {f.name: getattr(case, f.name) for f in fields(case)
                                                   if f.name not in _CASE_LATER})

    async def add_report(self, report: ReportRecord) -> None:
        await self._session.execute(_INSERT_REPORT, {f.name: getattr(report, f.name) for f in fields(report)})

    async def add_classification(self, case_id: UUID, *, category_code: str, category_version: int,
                                 confidence: float, classified_by: str, at: datetime, suggested_code: str | None = None,
                                 actor: str | None = None, reason: str | None = None) -> None:
        await self._session.execute(_INSERT_CLASSIFICATION, dict(
            case_id=case_id, category_code=category_code, category_version=category_version, confidence=confidence,
            classified_by=classified_by, suggested_code=suggested_code, actor=actor, reason=reason, at=at))

    async def add_timeline(self, case_id: UUID, at: datetime, line: TimelineLine, event_id: str | None = None) -> None:
        """One line of the resident's timeline; the same event's line twice is one."""
        await self._session.execute(_INSERT_TIMELINE, dict(case_id=case_id, at=at, kind=line.kind,
                                                           text_zh=line.text_zh, text_en=line.text_en,
                                                           event_id=event_id))

    async def add_co_reporter(self, case_id: UUID, report_id: UUID, reporter_id: UUID | None, now: datetime) -> int:
        """One more resident affected, unless this resident had already reported the case (one statement: the row
        lock of the update serialises co-reports of one case); the residents affected now."""
        c, rp = tables.cases.c, tables.reports.c
        increment = 1
        if reporter_id is not None:  # an anonymous resident is always one more
            already = exists().where(rp.case_id == case_id, rp.reporter_id == reporter_id, rp.id != report_id)
            increment = sql_case((already, 0), else_=1)
        return await self._session.scalar(
            update(tables.cases).where(c.id == case_id)
            .values(residents_affected=c.residents_affected + increment, updated_at=now)
            .returning(c.residents_affected))

    async def lock_case(self, case_id: UUID) -> CaseRecord | None:
        row = (await self._session.execute(select(tables.cases).where(tables.cases.c.id == case_id)
                                           .with_for_update())).first()
        return record_of(CaseRecord, row)

    async def lock_case_by_code(self, tracking_code: str) -> CaseRecord | None:
        row = (await self._session.execute(select(tables.cases).where(tables.cases.c.tracking_code == tracking_code)
                                           .with_for_update())).first()
        return record_of(CaseRecord, row)

    async def update_case(self, case_id: UUID, **values) -> None:
        await self._session.execute(update(tables.cases).where(tables.cases.c.id == case_id).values(**values))

    async def lock_report(self, report_id: UUID) -> ReportRecord | None:
        row = (await self._session.execute(select(tables.reports).where(tables.reports.c.id == report_id)
                                           .with_for_update())).first()
        return record_of(ReportRecord, row)

    async def update_report(self, report_id: UUID, **values) -> None:
        await self._session.execute(update(tables.reports).where(tables.reports.c.id == report_id).values(**values))

    async def reported_by(self, case_id: UUID, reporter_id: UUID) -> bool:
        """Whether the resident has a report on the case."""
        rp = tables.reports.c
        return await self._session.scalar(select(func.count()).select_from(tables.reports).where(
            rp.case_id == case_id, rp.reporter_id == reporter_id)) > 0

    # --- photos -----------------------------------------------------------------------------------------------------

    async def add_photo(self, photo_id: UUID, photo: CleanPhoto) -> None:
        await self._session.execute(insert(tables.photos).values(
            id=photo_id, content_type=photo.content_type, width=photo.width, height=photo.height, sha256=photo.sha256,
            content=photo.content))

    async def unattached_photos(self, photo_ids: list[UUID]) -> int:
        """How many of the photos exist and belong to no report yet (locked until the transaction ends)."""
        p = tables.photos.c
        return len((await self._session.execute(select(p.id).where(p.id.in_(photo_ids), p.report_id.is_(None))
                                                .with_for_update())).scalars().all())

    async def attach_photos(self, photo_ids: list[UUID], report_id: UUID) -> None:
        await self._session.execute(update(tables.photos).where(tables.photos.c.id.in_(photo_ids))
                                    .values(report_id=report_id))

    async def drop_unattached_photos(self, older_than: timedelta) -> int:
        result = await self._session.execute(text(
            "DELETE FROM photos WHERE report_id IS NULL AND uploaded_at < now() - :age").bindparams(age=older_than))
        return result.rowcount or 0

    # --- verdicts and call-backs ------------------------------------------------------------------------------------

    async def add_verdict(self, case_id: UUID, *, round: int, submitter: str, verdict: str, comment: str | None,
                          via: str, at: datetime) -> bool:
        """False when this submitter already judged this round."""
        inserted = await self._session.execute(pg_insert(tables.verdicts).values(
            case_id=case_id, round=round, submitter=submitter, verdict=verdict, comment=comment, via=via,
            submitted_at=at).on_conflict_do_nothing().returning(tables.verdicts.c.id))
        return inserted.first() is not None

    async def has_verdict(self, case_id: UUID, round: int) -> bool:
        v = tables.verdicts.c
        return await self._session.scalar(select(v.id).where(v.case_id == case_id, v.round == round).limit(1)) \
            is not None

    async def add_callback_task(self, case_id: UUID, *, round: int, requested_at: datetime,
                                done_at: datetime | None, done_by: str | None) -> None:
        """The operators' call-back of one completion round, once."""
        await self._session.execute(pg_insert(tables.callback_tasks).values(
            case_id=case_id, round=round, requested_at=requested_at, done_at=done_at, done_by=done_by,
        ).on_conflict_do_nothing())

    async def add_unit_callback(self, request_id: UUID, case_id: UUID, *, unit_id: str, question: str,
                                asked_at: datetime) -> None:
        """A unit's question for the resident, once (a redelivered request is the same one)."""
        await self._session.execute(pg_insert(tables.unit_callbacks).values(
            id=request_id, case_id=case_id, unit_id=unit_id, question=question, asked_at=asked_at,
        ).on_conflict_do_nothing())

    async def answer_unit_callback(self, request_id: UUID, *, reached: bool, answer: str, by: str,
                                   at: datetime) -> dict | None:
        """Record the resident's answer; None unless the request exists and is still open."""
        u = tables.unit_callbacks.c
        row = (await self._session.execute(
            update(tables.unit_callbacks).where(u.id == request_id, u.answered_at.is_(None))
            .values(reached=reached, answer=answer, answered_by=by, answered_at=at)
            .returning(u.case_id, u.unit_id))).first()
        return dict(row._mapping) if row else None

    async def close_callback_task(self, case_id: UUID, *, round: int, at: datetime, by: str) -> None:
        t = tables.callback_tasks.c
        await self._session.execute(update(tables.callback_tasks).where(
            t.case_id == case_id, t.round == round, t.done_at.is_(None)).values(done_at=at, done_by=by))

    # --- personal data ----------------------------------------------------------------------------------------------

    async def contacts(self, case_ids: list[UUID], *, with_phone_only: bool = False) -> list[ReporterContact]:
        """The named reporters of the cases (anonymous ones never), oldest report first."""
        rp, r = tables.reports.c, tables.reporters.c
        query = (select(rp.case_id, rp.role, r.id, r.name, r.phone).join(tables.reporters, rp.reporter_id == r.id)
                 .where(rp.case_id.in_(case_ids), rp.anonymous.is_(False)).order_by(rp.case_id, rp.received_at))
        if with_phone_only:
            query = query.where(r.phone.is_not(None))
        return [ReporterContact(row.id, row.case_id, row.role, row.name, row.phone)
                for row in (await self._session.execute(query)).all()]

    async def reporter_phone(self, reporter_id: UUID) -> str | None:
        return await self._session.scalar(select(tables.reporters.c.phone).where(tables.reporters.c.id == reporter_id))

    async def case_supervisor(self, case_id: UUID) -> tuple[bool, str | None]:
        """Whether the case exists, and the supervisor watching it (None until supervision assigns one)."""
        row = (await self._session.execute(select(tables.cases.c.supervisor_id)
                                           .where(tables.cases.c.id == case_id))).first()
        return (row is not None, row.supervisor_id if row else None)

    async def cases_revealed_by(self, actor: str, *, since: datetime) -> dict[UUID, datetime]:
        """The cases whose contacts ``actor`` saw since then, each with the first time."""
        v = tables.reveals.c
        rows = (await self._session.execute(select(v.case_id, func.min(v.at).label("first")).where(
            v.actor == actor, v.at > since).group_by(v.case_id))).all()
        return {row.case_id: row.first for row in rows}

    async def keep_refused_report(self, row: dict) -> None:
        """A report refused as outside the jurisdiction: id, channel, description, lat, lon, address, reason,
        belongs_to, received_at."""
        await self._session.execute(insert(tables.refused_reports).values(**row))

    async def cases_reported_by(self, phone: str, grids: frozenset[str], *, limit: int) -> list[dict]:
        """The cases the number reported (each once, with the reporter's reference), newest first, in the grids."""
        c, rp, r = tables.cases.c, tables.reports.c, tables.reporters.c
        rows = (await self._session.execute(
            select(c.id.label("case_id"), r.id.label("reporter_id"), c.tracking_code, c.category_code, c.status,
                   c.description, c.reported_at, c.unit_name)
            .select_from(tables.reporters).join(tables.reports, rp.reporter_id == r.id)
            .join(tables.cases, c.id == rp.case_id)
            .where(r.phone == phone, c.grid_id.in_(grids)).distinct()
            .order_by(c.reported_at.desc()).limit(limit))).all()
        return [dict(row._mapping) for row in rows]

    async def audit_reveals(self, reveals: list[dict]) -> None:
        """One audit line per reporter shown: case_id, reporter_id, actor, actor_role, reason, at (and, for a person,
        actor_unit, actor_scope, reason_code, purpose_note)."""
        if reveals:
            await self._session.execute(insert(tables.reveals), reveals)

    # --- the hotline's knowledge base and what it answered -----------------------------------------------------------

    async def save_article(self, article_id: UUID, **values) -> bool:
        """An article written anew or edited (``active`` again if it was retired)."""
        k = tables.knowledge_articles.c
        row = pg_insert(tables.knowledge_articles).values(id=article_id, **values)
        return (await self._session.execute(row.on_conflict_do_update(index_elements=[k.id], set_=values)
                                            .returning(k.id))).first() is not None

    async def retire_article(self, article_id: UUID, actor: str, now: datetime) -> bool:
        k = tables.knowledge_articles.c
        return (await self._session.execute(update(tables.knowledge_articles).where(k.id == article_id, k.active)
                                            .values(active=False, changed_by=actor, changed_at=now).returning(k.id))
                ).first() is not None

    async def article(self, article_id: UUID) -> dict | None:
        k = tables.knowledge_articles.c
        row = (await self._session.execute(select(tables.knowledge_articles).where(k.id == article_id))).first()
        return dict(row._mapping) if row else None

    async def consultation_by_call(self, call_id: str) -> dict | None:
        c = tables.consultations.c
        row = (await self._session.execute(select(tables.consultations).where(c.call_id == call_id))).first()
        return dict(row._mapping) if row else None

    async def add_consultation(self, **values) -> None:
        await self._session.execute(insert(tables.consultations).values(**values))

    # --- upkeep -----------------------------------------------------------------------------------------------------

    async def cases_without_words(self, *, limit: int) -> list[tuple[UUID, str]]:
        """Cases filed before their words were kept, open ones first (duplicate finding reads those), locked."""
        c = tables.cases.c
        return [(r.id, r.description) for r in (await self._session.execute(
            select(c.id, c.description).where(c.words.is_(None))
            .order_by((c.status == CaseStatus.COMPLETED).asc(), c.reported_at.desc())
            .limit(limit).with_for_update(skip_locked=True))).all()]

    # --- batch imports ----------------------------------------------------------------------------------------------

    async def add_import(self, import_id: UUID, *, filename: str, sha256: str, content: bytes, created_by: str,
                         at: datetime) -> None:
        await self._session.execute(insert(tables.imports).values(
            id=import_id, filename=filename, sha256=sha256, content=content, status=ImportStatus.PENDING,
            created_by=created_by, created_at=at))

    async def claim_import(self, now: datetime, *, heartbeat_timeout: timedelta) -> UUID | None:
        """The oldest import waiting, or one whose worker stopped beating, marked running."""
        i = tables.imports.c
        row = (await self._session.execute(
            select(i.id).where(or_(i.status == ImportStatus.PENDING,
                                   (i.status == ImportStatus.RUNNING) & (i.heartbeat_at < now - heartbeat_timeout)))
            .order_by(i.created_at).limit(1).with_for_update(skip_locked=True))).first()
        if row is None:
            return None
        await self.update_import(row.id, status=ImportStatus.RUNNING, heartbeat_at=now)
        return row.id

    async def import_file(self, import_id: UUID) -> tuple[str, bytes]:
        i = tables.imports.c
        row = (await self._session.execute(select(i.filename, i.content).where(i.id == import_id))).one()
        return row.filename, row.content

    async def import_rows_done(self, import_id: UUID) -> set[int]:
        r = tables.import_rows.c
        return set((await self._session.execute(select(r.row_number).where(r.import_id == import_id))).scalars())

    async def add_import_rows(self, lines: list[dict]) -> int:
        """Keep each row's outcome (once); the rows of the import done so far."""
        await self._session.execute(pg_insert(tables.import_rows).values(lines).on_conflict_do_nothing())
        r = tables.import_rows.c
        return await self._session.scalar(select(func.count()).select_from(tables.import_rows)
                                          .where(r.import_id == lines[0]["import_id"]))

    async def update_import(self, import_id: UUID, **values) -> None:
        await self._session.execute(update(tables.imports).where(tables.imports.c.id == import_id).values(**values))


# The columns of one version of a sub-item that an edit sets (the version, currency and audit columns aside).
CATEGORY_FIELDS = ("service_code", "class_code", "name_zh", "name_en", "priority", "time_limit_class",
                   "handle_locally", "keywords", "examples", "attributes")

# Columns a new case leaves to their server defaults.
_CASE_LATER = frozenset({"unit_name", "expected_at", "residents_affected", "completion_round"})
