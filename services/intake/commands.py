"""What intake does when asked, whatever the channel: take a report, link or unlink a duplicate, reclassify, take a
verdict, reveal a number. Each runs inside the caller's unit of work and records the events it causes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import structlog
from sqlalchemy import bindparam, exists, func, insert, select, text, update
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.adapters import tables
from services.intake.adapters.reference import CategoryTree, category_tree, ground
from services.intake.domain.cases import CaseStatus, new_tracking_code
from services.intake.domain.categories import Category, InvalidAttribute, UnknownCategory, check_attributes
from services.intake.domain.classification import words
from services.intake.domain.duplicates import DuplicatePolicy, OpenCase, find_duplicate
from services.intake.domain.location import AddressNotFound, AddressNotPrecise, OutsideJurisdiction
from shared.events import (
    AreaPath,
    CaseDuplicateLinked,
    CaseDuplicateUnlinked,
    CaseReclassified,
    CaseReported,
    Channel,
    ClassifiedBy,
    EvaluationSubmitted,
    ReportedLocation,
    Reporter,
    Verdict,
)
from shared.masking import mask_numbers_in_text, mask_phone
from shared.messaging.unit_of_work import UnitOfWork
from shared.photos import MAX_PHOTOS_PER_REPORT
from shared.refusals import Refused

MAX_DESCRIPTION = 4000

# The hot path's statements are built once; each call only binds its values.
INSERT_CASE = insert(tables.cases)
INSERT_REPORT = insert(tables.reports)
INSERT_CLASSIFICATION = insert(tables.classifications)
INSERT_TIMELINE = pg_insert(tables.timeline).on_conflict_do_nothing()
_c = tables.cases.c
# The open cases in a box around a point, newest first: the candidates a new report may duplicate.
OPEN_CASES_NEAR = (
    select(_c.id, _c.tracking_code, _c.category_code, _c.lat, _c.lon, _c.reported_at, _c.words,
           # the text only where its words were never kept
           sql_case((_c.words.is_(None), _c.description)).label("description"))
    .where(_c.status != CaseStatus.COMPLETED, _c.reported_at >= bindparam("since"),
           _c.lat.between(bindparam("south"), bindparam("north")), _c.lon.between(bindparam("west"), bindparam("east")))
    .order_by(_c.reported_at.desc()).limit(50))


@dataclass(frozen=True)
class IntakePolicy:
    """The tunable rules, from settings."""

    triage_confidence: float = 0.5
    duplicates: DuplicatePolicy = field(default_factory=DuplicatePolicy)
    fallback_category: str = "consultation"


@dataclass(frozen=True)
class ReportDraft:
    """A report as any channel hands it over, before intake has understood it."""

    channel: Channel
    description: str
    category_code: str | None = None
    picked_by: ClassifiedBy = ClassifiedBy.RESIDENT
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    address_id: str | None = None
    name: str | None = None
    phone: str | None = None
    anonymous: bool = False
    urgent: bool = False
    photo_ids: Sequence[UUID] = ()
    attributes: Mapping[str, str | list[str]] = field(default_factory=dict)
    external_ref: str | None = None
    channel_detail: str | None = None
    submitted_by: str | None = None
    media_url: str | None = None


@dataclass(frozen=True)
class ReportOutcome:
    report_id: UUID
    case_id: UUID
    tracking_code: str
    linked: bool
    replayed: bool
    category_code: str
    confidence: float
    needs_triage: bool


def reporter_ref(reporter_id: UUID | None, case_id: UUID) -> str:
    """The reference other services know a resident by: stable per resident, meaningless outside intake."""
    return f"rp-{reporter_id}" if reporter_id else f"anon-{case_id}"


async def submit_report(uow: UnitOfWork, draft: ReportDraft, policy: IntakePolicy) -> ReportOutcome:
    """Accept a report: a new case (``case.reported``) or a co-report of an open one (``case.duplicate_linked``)."""
    session = uow.session
    if draft.external_ref:
        seen = await _report_by_ref(session, draft.channel, draft.external_ref)
        if seen is not None:
            return seen
    description = draft.description.strip()
    if not description:
        raise Refused("missing_field", "a description is required", "description")
    if len(description) > MAX_DESCRIPTION:
        raise Refused("too_long", f"the description may be at most {MAX_DESCRIPTION} characters", "description")
    tree = await category_tree.get(session)
    report_words = words(description)
    category, confidence, classified_by, needs_triage, suggested = _classify(tree, draft, report_words, policy)
    try:
        attributes = check_attributes(category.attributes, draft.attributes)
    except InvalidAttribute as exc:
        raise Refused(exc.code, exc.message, exc.field) from None
    lat, lon, address_id = await _locate(session, draft)
    try:
        area = (await ground.get(session)).map.place(lat, lon)
    except OutsideJurisdiction:
        raise Refused("outside_jurisdiction", "the location is outside every grid of the jurisdiction",
                      "location") from None
    await _check_photos(session, draft.photo_ids)
    now = datetime.now(UTC)
    reporter_id = await _reporter(session, draft)
    # Reports of one sub-item in one grid are taken one at a time, so two residents reporting the same blocked drain
    # in the same second still end up on one case.
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{category.code}|{area.grid_id}"))))
    finding = find_duplicate(category_code=category.code, lat=lat, lon=lon, at=now, words=report_words,
                             open_cases=await _open_cases_near(session, lat, lon, now, policy.duplicates),
                             policy=policy.duplicates)
    report_id = uuid4()
    structlog.contextvars.bind_contextvars(report_id=str(report_id))
    if finding.link is not None and not needs_triage:
        case_id, code = finding.link.case_id, finding.link.tracking_code
        await _insert_report(session, report_id, case_id, "co_report", draft, description, reporter_id, lat, lon, now,
                             finding.similarity)
        affected = await _add_co_reporter(uow, case_id, report_id, reporter_id, now)
        uow.record(CaseDuplicateLinked(
            case_id=case_id, report_id=report_id, tracking_code=code, channel=draft.channel,
            reporter=_reporter_view(reporter_id, case_id, draft), similarity=finding.similarity,
            residents_affected=affected, linked_at=now))
        await _attach_photos(session, draft.photo_ids, report_id)
        return ReportOutcome(report_id, case_id, code, linked=True, replayed=False, category_code=category.code,
                             confidence=confidence, needs_triage=False)
    case_id, code = uuid4(), new_tracking_code()
    structlog.contextvars.bind_contextvars(case_id=str(case_id))
    await session.execute(INSERT_CASE, dict(
        id=case_id, tracking_code=code, category_code=category.code, category_version=category.version,
        description=description, channel=draft.channel, urgent=draft.urgent, lat=lat, lon=lon, address=draft.address,
        address_id=address_id, grid_id=area.grid_id, reporter_id=reporter_id, anonymous=draft.anonymous,
        status=CaseStatus.RECEIVED, reported_at=now, updated_at=now, category_confidence=confidence,
        classified_by=classified_by, needs_triage=needs_triage, attributes=attributes, words=" ".join(report_words),
        suspected_duplicate_of=finding.suspected.case_id if finding.suspected else None))
    await _insert_report(session, report_id, case_id, "primary", draft, description, reporter_id, lat, lon, now, None)
    await session.execute(INSERT_CLASSIFICATION, dict(
        case_id=case_id, category_code=category.code, category_version=category.version, confidence=confidence,
        classified_by=classified_by, suggested_code=suggested, actor=draft.submitted_by, at=now))
    await add_timeline(session, case_id, now, "received", f"已受理，查询码 {code}", f"Received, tracking code {code}")
    await _attach_photos(session, draft.photo_ids, report_id)
    uow.record(_case_reported(case_id, code, category, draft, description, lat, lon, area, reporter_id, now,
                              confidence=confidence, classified_by=classified_by, needs_triage=needs_triage,
                              suspected=finding.suspected.case_id if finding.suspected else None))
    return ReportOutcome(report_id, case_id, code, linked=False, replayed=False, category_code=category.code,
                         confidence=confidence, needs_triage=needs_triage)


def _classify(tree: CategoryTree, draft: ReportDraft, report_words: list[str], policy: IntakePolicy):
    suggestion = tree.classifier.classify_words(report_words)
    if draft.category_code:
        try:
            category = tree.current(draft.category_code)
        except UnknownCategory:
            raise Refused("unknown_category", "no such category", "category") from None
        return category, 1.0, draft.picked_by, False, suggestion.category_code
    code = suggestion.category_code or policy.fallback_category
    needs_triage = suggestion.category_code is None or suggestion.confidence < policy.triage_confidence
    return tree.current(code), suggestion.confidence, ClassifiedBy.CLASSIFIER, needs_triage, suggestion.category_code


async def _locate(session: AsyncSession, draft: ReportDraft) -> tuple[float, float, str | None]:
    if draft.lat is not None and draft.lon is not None:
        return draft.lat, draft.lon, draft.address_id
    gazetteer = (await ground.get(session)).gazetteer
    if draft.address_id:
        point = gazetteer.point_of(draft.address_id)
        if point is None:
            raise Refused("unknown_address_id", "no address has this id", "address_id")
        return point[0], point[1], draft.address_id
    if draft.address:
        try:
            matched = gazetteer.match(draft.address)
        except AddressNotPrecise:
            raise Refused("address_not_precise", "the road is known; give the house number or a point",
                          "address") from None
        except AddressNotFound:
            raise Refused("address_not_found", "no road or residential compound of the jurisdiction matches; give a "
                          "point", "address") from None
        return matched.lat, matched.lon, matched.gazetteer_id
    raise Refused("missing_location", "give a point (lat and lon) or an address", "location")


async def _check_photos(session: AsyncSession, photo_ids: Sequence[UUID]) -> None:
    if len(photo_ids) > MAX_PHOTOS_PER_REPORT:
        raise Refused("too_many_photos", f"at most {MAX_PHOTOS_PER_REPORT} photos per report", "photos")
    if len(set(photo_ids)) != len(photo_ids):
        raise Refused("duplicate_photo", "the same photo is listed twice", "photos")
    if photo_ids:
        free = (await session.execute(select(tables.photos.c.id).where(
            tables.photos.c.id.in_(photo_ids), tables.photos.c.report_id.is_(None)).with_for_update())).scalars().all()
        if len(free) != len(photo_ids):
            raise Refused("unknown_photo", "a photo is unknown or already belongs to a report", "photos")


async def _attach_photos(session: AsyncSession, photo_ids: Sequence[UUID], report_id: UUID) -> None:
    if photo_ids:
        await session.execute(update(tables.photos).where(tables.photos.c.id.in_(photo_ids)).values(report_id=report_id))


async def _reporter(session: AsyncSession, draft: ReportDraft) -> UUID | None:
    """The resident's record, found by number so that one resident keeps one reference across reports."""
    if draft.anonymous or not draft.phone:
        return None
    r = tables.reporters.c
    found = (await session.execute(select(r.id, r.name).where(r.phone == draft.phone).order_by(r.created_at)
                                   .limit(1))).first()
    if found is not None:
        if draft.name and draft.name != found.name:
            await session.execute(update(tables.reporters).where(r.id == found.id).values(name=draft.name))
        return found.id
    reporter_id = uuid4()
    await session.execute(insert(tables.reporters).values(id=reporter_id, name=draft.name, phone=draft.phone))
    return reporter_id


def _reporter_view(reporter_id: UUID | None, case_id: UUID, draft: ReportDraft) -> Reporter:
    return Reporter(ref=reporter_ref(reporter_id, case_id), phone_masked=None if draft.anonymous else
                    mask_phone(draft.phone), anonymous=draft.anonymous or reporter_id is None)


async def _open_cases_near(session: AsyncSession, lat: float, lon: float, now: datetime,
                           policy: DuplicatePolicy) -> list[OpenCase]:
    south, north, west, east = policy.bounding_box(lat, lon)
    rows = (await session.execute(OPEN_CASES_NEAR, dict(since=now - policy.window, south=south, north=north,
                                                        west=west, east=east))).all()
    return [OpenCase(r.id, r.tracking_code, r.category_code, r.lat, r.lon, r.reported_at,
                     frozenset(r.words.split() if r.words is not None else words(r.description))) for r in rows]


async def _insert_report(session, report_id, case_id, role, draft: ReportDraft, description, reporter_id, lat, lon,
                         now, similarity) -> None:
    await session.execute(INSERT_REPORT, dict(
        id=report_id, case_id=case_id, role=role, channel=draft.channel, channel_detail=draft.channel_detail,
        external_ref=draft.external_ref,
        description=description, reporter_id=reporter_id, anonymous=draft.anonymous, submitted_by=draft.submitted_by,
        lat=lat, lon=lon, address=draft.address, similarity=similarity, received_at=now, media_url=draft.media_url))


async def _add_co_reporter(uow: UnitOfWork, case_id: UUID, report_id: UUID, reporter_id: UUID | None,
                           now: datetime) -> int:
    """One more resident affected, unless this resident had already reported the case (one statement: the row lock
    of the update serialises co-reports of one case)."""
    c, rp = tables.cases.c, tables.reports.c
    increment = 1
    if reporter_id is not None:  # an anonymous resident is always one more
        already = exists().where(rp.case_id == case_id, rp.reporter_id == reporter_id, rp.id != report_id)
        increment = sql_case((already, 0), else_=1)
    affected = await uow.session.scalar(
        update(tables.cases).where(c.id == case_id)
        .values(residents_affected=c.residents_affected + increment, updated_at=now)
        .returning(c.residents_affected))
    await add_timeline(uow.session, case_id, now, "co_reported", f"又有居民反映了同一问题（共 {affected} 位）",
                       f"Another resident reported the same problem ({affected} in all)")
    return affected


def _case_reported(case_id, code, category: Category, draft: ReportDraft, description, lat, lon, area: AreaPath,
                   reporter_id, now, *, confidence, classified_by, needs_triage, suspected) -> CaseReported:
    return CaseReported(
        case_id=case_id, tracking_code=code, category_code=category.code, category_class=category.class_code,
        category_version=category.version, time_limit_class="urgent" if draft.urgent else category.time_limit_class,
        handle_locally=category.handle_locally, urgent=draft.urgent,
        # Residents write their numbers into the text too: what leaves intake carries them masked.
        description=mask_numbers_in_text(description), channel=draft.channel,
        location=ReportedLocation(lat=lat, lon=lon, address=mask_numbers_in_text(draft.address or "") or None,
                                  area=area),
        reply_to=draft.external_ref if draft.channel is Channel.MESSAGING_GROUP else None,
        reporter=_reporter_view(reporter_id, case_id, draft), reported_at=now, category_confidence=confidence,
        classified_by=classified_by, needs_triage=needs_triage, suspected_duplicate_of=suspected,
        photo_count=len(draft.photo_ids))


async def _report_by_ref(session: AsyncSession, channel: Channel, external_ref: str) -> ReportOutcome | None:
    rp, c = tables.reports.c, tables.cases.c
    row = (await session.execute(
        select(rp.id, rp.role, c.id.label("case_id"), c.tracking_code, c.category_code, c.category_confidence,
               c.needs_triage)
        .join(tables.cases, c.id == rp.case_id).where(rp.channel == channel, rp.external_ref == external_ref))).first()
    if row is None:
        return None
    return ReportOutcome(row.id, row.case_id, row.tracking_code, linked=row.role == "co_report", replayed=True,
                         category_code=row.category_code, confidence=row.category_confidence,
                         needs_triage=row.needs_triage)


async def add_timeline(session: AsyncSession, case_id: UUID, at: datetime, kind: str, text_zh: str, text_en: str,
                       event_id: str | None = None) -> None:
    await session.execute(INSERT_TIMELINE, dict(
        case_id=case_id, at=at, kind=kind, text_zh=text_zh, text_en=text_en, event_id=event_id))


async def locked_case(session: AsyncSession, case_id: UUID):
    return (await session.execute(select(tables.cases).where(tables.cases.c.id == case_id).with_for_update())).first()


async def reclassify(uow: UnitOfWork, case_id: UUID, category_code: str, *, actor: str, reason: str | None) -> None:
    """An operator confirms a triaged case's sub-item or moves a case to another; the override is kept."""
    session = uow.session
    case = await locked_case(session, case_id)
    if case is None:
        raise Refused("not_found", "no such case", "case_id", status=404)
    tree = await category_tree.get(session)
    try:
        category = tree.current(category_code)
    except UnknownCategory:
        raise Refused("unknown_category", "no such category", "category") from None
    if category.code == case.category_code and not case.needs_triage:
        raise Refused("no_change", "the case already has this category", "category", status=409)
    now = datetime.now(UTC)
    await session.execute(update(tables.cases).where(tables.cases.c.id == case_id).values(
        category_code=category.code, category_version=category.version, category_confidence=1.0,
        classified_by=ClassifiedBy.OPERATOR, needs_triage=False, updated_at=now))
    await session.execute(insert(tables.classifications).values(
        case_id=case_id, category_code=category.code, category_version=category.version, confidence=1.0,
        classified_by=ClassifiedBy.OPERATOR, suggested_code=case.category_code, actor=actor, reason=reason, at=now))
    uow.record(CaseReclassified(
        case_id=case_id, category_code=category.code, category_class=category.class_code,
        category_version=category.version,
        time_limit_class="urgent" if case.urgent else category.time_limit_class,
        handle_locally=category.handle_locally, previous_category_code=case.category_code,
        was_triage=case.needs_triage, reason=mask_numbers_in_text(reason) if reason else None, reclassified_at=now))


async def unlink(uow: UnitOfWork, report_id: UUID, *, actor: str, policy: IntakePolicy) -> ReportOutcome:
    """An operator judges a linked report to be its own problem: it becomes a new case, reported anew."""
    session = uow.session
    rp = tables.reports.c
    report = (await session.execute(select(tables.reports).where(rp.id == report_id).with_for_update())).first()
    if report is None:
        raise Refused("not_found", "no such report", "report_id", status=404)
    if report.role != "co_report":
        raise Refused("not_linked", "this report is not linked to another case", "report_id", status=409)
    original = await locked_case(session, report.case_id)
    now = datetime.now(UTC)
    tree = await category_tree.get(session)
    category = tree.categories.get(original.category_code)
    if category is None or category.code not in tree.active:
        category = tree.current(policy.fallback_category)
    area = (await ground.get(session)).map.place(report.lat, report.lon)
    case_id, code = uuid4(), new_tracking_code()
    await session.execute(insert(tables.cases).values(
        id=case_id, tracking_code=code, category_code=category.code, category_version=category.version,
        description=report.description, channel=report.channel, urgent=original.urgent, lat=report.lat,
        lon=report.lon, address=report.address, grid_id=area.grid_id, reporter_id=report.reporter_id,
        anonymous=report.anonymous, status=CaseStatus.RECEIVED, reported_at=now, updated_at=now,
        category_confidence=1.0, classified_by=ClassifiedBy.OPERATOR, words=" ".join(words(report.description))))
    await session.execute(update(tables.reports).where(rp.id == report_id).values(
        case_id=case_id, role="primary", similarity=None))
    await session.execute(insert(tables.classifications).values(
        case_id=case_id, category_code=category.code, category_version=category.version, confidence=1.0,
        classified_by=ClassifiedBy.OPERATOR, actor=actor, reason="unlinked from a duplicate", at=now))
    still_there = report.reporter_id is not None and (await session.scalar(
        select(func.count()).select_from(tables.reports).where(rp.case_id == original.id,
                                                               rp.reporter_id == report.reporter_id))) > 0
    affected = original.residents_affected if still_there else max(1, original.residents_affected - 1)
    await session.execute(update(tables.cases).where(tables.cases.c.id == original.id)
                          .values(residents_affected=affected, updated_at=now))
    await add_timeline(session, case_id, now, "received", f"已受理，查询码 {code}", f"Received, tracking code {code}")
    uow.record(CaseDuplicateUnlinked(case_id=original.id, report_id=report_id, new_case_id=case_id,
                                     residents_affected=affected, unlinked_at=now))
    phone = None
    if report.reporter_id is not None:
        phone = await session.scalar(select(tables.reporters.c.phone).where(tables.reporters.c.id == report.reporter_id))
    draft = ReportDraft(channel=Channel(report.channel), description=report.description, anonymous=report.anonymous,
                        phone=phone, urgent=original.urgent, address=report.address)
    uow.record(_case_reported(case_id, code, category, draft, report.description, report.lat, report.lon, area,
                              report.reporter_id, now, confidence=1.0, classified_by=ClassifiedBy.OPERATOR,
                              needs_triage=False, suspected=original.id))
    return ReportOutcome(report_id, case_id, code, linked=False, replayed=False, category_code=category.code,
                         confidence=1.0, needs_triage=False)


async def submit_verdict(uow: UnitOfWork, case_id: UUID, verdict: Verdict, comment: str | None, *, via: str,
                         submitter: str | None, resolved: bool | None = None) -> int:
    """A verdict on the case's latest completion; one per resident and round, whether the resident gave it online or
    an operator took it on a call-back (``submitter`` None: for the case's first reporter). Returns the round."""
    session = uow.session
    case = await locked_case(session, case_id)
    if case is None:
        raise Refused("not_found", "no such case", "case_id", status=404)
    if case.status != CaseStatus.COMPLETED or case.completion_round == 0:
        raise Refused("not_completed", "a verdict can be given once the case is completed", "verdict", status=409)
    submitter = submitter or reporter_ref(case.reporter_id, case.id)
    now = datetime.now(UTC)
    inserted = await session.execute(pg_insert(tables.verdicts).values(
        case_id=case_id, round=case.completion_round, submitter=submitter, verdict=verdict, comment=comment, via=via,
        submitted_at=now).on_conflict_do_nothing().returning(tables.verdicts.c.id))
    if inserted.first() is None:
        raise Refused("already_evaluated", "a verdict was already given for this completion", "verdict", status=409)
    t = tables.callback_tasks.c
    await session.execute(update(tables.callback_tasks).where(
        t.case_id == case_id, t.round == case.completion_round, t.done_at.is_(None)).values(
        done_at=now, done_by="resident" if via == "resident" else "operator"))
    labels = {Verdict.SATISFIED: ("满意", "satisfied"), Verdict.BASICALLY_SATISFIED: ("基本满意", "basically satisfied"),
              Verdict.DISSATISFIED: ("不满意", "dissatisfied")}
    await add_timeline(session, case_id, now, "evaluated", f"居民评价：{labels[verdict][0]}",
                       f"Resident's verdict: {labels[verdict][1]}", f"verdict-{case.completion_round}-{submitter}")
    uow.record(EvaluationSubmitted(
        case_id=case_id, round=case.completion_round, verdict=verdict,
        resolved=resolved if resolved is not None else verdict is not Verdict.DISSATISFIED,
        comment=mask_numbers_in_text(comment) if comment else None, via=via,
        reporter_ref=submitter if submitter.startswith(("rp-", "anon-")) else None, submitted_at=now))
    return case.completion_round


async def reveal_reporters(uow: UnitOfWork, case_id: UUID, *, actor: str, actor_role: str, reason: str) -> list[dict]:
    """The full names and numbers of a case's reporters, for a person who must call them; every reveal is audited."""
    session = uow.session
    if await session.scalar(select(tables.cases.c.id).where(tables.cases.c.id == case_id)) is None:
        raise Refused("not_found", "no such case", "case_id", status=404)
    rp, r = tables.reports.c, tables.reporters.c
    rows = (await session.execute(
        select(r.id, r.name, r.phone, rp.role).join(tables.reports, rp.reporter_id == r.id)
        .where(rp.case_id == case_id, rp.anonymous.is_(False)).order_by(rp.received_at))).all()
    now = datetime.now(UTC)
    seen: dict[UUID, dict] = {}
    for row in rows:
        if row.id not in seen:
            seen[row.id] = {"reporter_ref": reporter_ref(row.id, case_id), "name": row.name, "phone": row.phone,
                            "role": row.role}
    if seen:
        await session.execute(insert(tables.reveals), [
            {"case_id": case_id, "reporter_id": rid, "actor": actor, "actor_role": actor_role, "reason": reason,
             "at": now} for rid in seen])
    return list(seen.values())


async def numbers_for_delivery(uow: UnitOfWork, case_ids: Sequence[UUID], *, actor: str,
                               purpose: str) -> dict[UUID, list[dict]]:
    """The numbers of the cases' reporters (not their names), for a service that texts them; audited like a reveal."""
    rp, r = tables.reports.c, tables.reporters.c
    rows = (await uow.session.execute(
        select(rp.case_id, r.id, r.phone).join(tables.reporters, rp.reporter_id == r.id)
        .where(rp.case_id.in_(case_ids), rp.anonymous.is_(False), r.phone.is_not(None))
        .order_by(rp.case_id, rp.received_at))).all()
    found: dict[UUID, dict[UUID, str]] = {}
    for row in rows:
        found.setdefault(row.case_id, {}).setdefault(row.id, row.phone)
    now = datetime.now(UTC)
    if found:
        await uow.session.execute(insert(tables.reveals), [
            {"case_id": case_id, "reporter_id": rid, "actor": actor, "actor_role": "service", "reason": purpose,
             "at": now} for case_id, reporters in found.items() for rid in reporters])
    return {case_id: [{"reporter_ref": reporter_ref(rid, case_id), "phone": phone} for rid, phone in reporters.items()]
            for case_id, reporters in found.items()}


async def purge_orphan_photos(session: AsyncSession, older_than: timedelta) -> int:
    """Photos uploaded but never attached to a report are dropped after a while."""
    result = await session.execute(text("DELETE FROM photos WHERE report_id IS NULL AND uploaded_at < now() - :age")
                                   .bindparams(age=older_than))
    return result.rowcount or 0


async def fill_case_words(session: AsyncSession, *, batch: int = 500) -> int:
    """Cases filed before their words were kept get them, open ones first (duplicate finding reads those)."""
    c = tables.cases.c
    rows = (await session.execute(select(c.id, c.description).where(c.words.is_(None))
                                  .order_by((c.status == CaseStatus.COMPLETED).asc(), c.reported_at.desc())
                                  .limit(batch).with_for_update(skip_locked=True))).all()
    for row in rows:
        await session.execute(update(tables.cases).where(c.id == row.id)
                              .values(words=" ".join(words(row.description))))
    return len(rows)
