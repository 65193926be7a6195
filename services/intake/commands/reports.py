"""Taking a report, whatever the channel: a new case (``case.reported``) or a co-report of an open one
(``case.duplicate_linked``); and undoing a link an operator judges wrong."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

import structlog

from services.intake.adapters.store import CaseRecord, IntakeStore, ReportRecord
from services.intake.domain.cases import CaseStatus, new_tracking_code, normalise_tracking_code
from services.intake.domain.categories import Category, InvalidAttribute, check_attributes
from services.intake.domain.classification import words
from services.intake.domain.duplicates import find_duplicate, find_rebound
from services.intake.domain.location import AddressNotFound, AddressNotPrecise, OutsideJurisdiction
from services.intake.domain.neighbours import where_it_belongs
from services.intake.domain.reports import (
    MAX_DESCRIPTION,
    IntakePolicy,
    ReportDraft,
    ReportOutcome,
    UnknownPick,
    classify,
    reporter_ref,
)
from services.intake.domain.timeline import line
from shared.events import (
    AreaPath,
    CaseDuplicateLinked,
    CaseDuplicateUnlinked,
    CaseReported,
    Channel,
    ClassifiedBy,
    ReportedLocation,
    Reporter,
)
from shared.local_time import LOCAL_ZONE
from shared.masking import mask_personal_text, mask_phone
from shared.messaging.unit_of_work import UnitOfWork, UnitOfWorkFactory
from shared.photos import MAX_PHOTOS_PER_REPORT, CleanPhoto
from shared.refusals import Refused

#: What a co-report that adds only the resident's voice says (its reporter wrote nothing more).
JOINED_WITHOUT_WORDS = "附议：我也反映这个问题。"


async def keep_refused(uow_factory: UnitOfWorkFactory, draft: ReportDraft, refusal: Refused) -> None:
    """A report refused as outside the jurisdiction is kept, in its own unit of work (the report's rolled back):
    what was said and where, and where it belongs; never who said it."""
    if refusal.code != "outside_jurisdiction":
        return
    async with uow_factory() as uow:
        await uow.store.keep_refused_report(dict(
            id=uuid4(), channel=draft.channel, description=mask_personal_text(draft.description.strip())[:4000],
            lat=draft.lat, lon=draft.lon, address=mask_personal_text(draft.address) if draft.address else None,
            reason=refusal.code, belongs_to=(refusal.extra.get("belongs_to") or {}).get("id"),
            received_at=datetime.now(UTC)))


async def submit_report(uow: UnitOfWork, draft: ReportDraft, policy: IntakePolicy) -> ReportOutcome:
    """Accept a report: a new case (``case.reported``) or a co-report of an open one (``case.duplicate_linked``)."""
    store: IntakeStore = uow.store
    if draft.external_ref:
        seen = await store.report_by_ref(draft.channel, draft.external_ref)
        if seen is not None:
            return seen
    if draft.joins is not None:
        return await _join(uow, draft)
    description = draft.description.strip()
    if not description:
        raise Refused("missing_field", "a description is required", "description")
    if len(description) > MAX_DESCRIPTION:
        raise Refused("too_long", f"the description may be at most {MAX_DESCRIPTION} characters", "description")
    report_words = words(description)
    try:
        classified = classify(await store.category_tree(), draft, report_words, policy)
    except UnknownPick:
        raise Refused("unknown_category", "no such category", "category") from None
    category = classified.category
    try:
        attributes = check_attributes(category.attributes, draft.attributes)
    except InvalidAttribute as exc:
        raise Refused(exc.code, exc.message, exc.field) from None
    lat, lon, address_id = await _locate(store, draft)
    try:
        area = (await store.ground()).map.place(lat, lon)
    except OutsideJurisdiction:
        belongs = where_it_belongs(policy.neighbours, lat, lon)
        told = {} if belongs is None else {
            "belongs_to": belongs.as_answer(),
            "message_zh": f"该地点不在本辖区内，请向{belongs.name_zh}反映（电话 {belongs.hotline}）"}
        raise Refused("outside_jurisdiction", "the location is outside every grid of the jurisdiction" + (
            f"; it belongs to {belongs.name_en} (call {belongs.hotline})" if belongs else ""), "location",
            **told) from None
    await _check_photos(store, draft.photo_ids)
    now = datetime.now(UTC)
    reporter_id = None if draft.anonymous or not draft.phone else await store.reporter_for(draft.phone, draft.name)
    # Reports of one sub-item in one grid are taken one at a time, so two residents reporting the same blocked drain
    # in the same second still end up on one case.
    await store.lock_cell(category.code, area.grid_id)
    duplicates = policy.duplicates
    finding = find_duplicate(category_code=category.code, lat=lat, lon=lon, at=now, words=report_words,
                             open_cases=await store.open_cases_near(duplicates.bounding_box(lat, lon),
                                                                    now - duplicates.window),
                             policy=duplicates)
    report_id = uuid4()
    structlog.contextvars.bind_contextvars(report_id=str(report_id))
    if finding.link is not None and not classified.needs_triage:
        await _co_report(uow, finding.link.case_id, finding.link.tracking_code, report_id, draft, description,
                         reporter_id, lat, lon, now, finding.similarity)
        return ReportOutcome(report_id, finding.link.case_id, finding.link.tracking_code, linked=True, replayed=False,
                             category_code=category.code, confidence=classified.confidence, needs_triage=False)
    case_id, code = uuid4(), new_tracking_code()
    structlog.contextvars.bind_contextvars(case_id=str(case_id))
    suspected = finding.suspected.case_id if finding.suspected else None
    rebound = find_rebound(category_code=category.code, lat=lat, lon=lon, at=now, policy=duplicates,
                           completed=await store.completed_cases_near(duplicates.bounding_box(lat, lon), category.code,
                                                                      now - duplicates.rebound_window))
    await store.add_case(CaseRecord(
        id=case_id, tracking_code=code, category_code=category.code, category_version=category.version,
        description=description, channel=draft.channel, urgent=draft.urgent, lat=lat, lon=lon, address=draft.address,
        address_id=address_id, grid_id=area.grid_id, reporter_id=reporter_id, anonymous=draft.anonymous,
        status=CaseStatus.RECEIVED, reported_at=now, updated_at=now, category_confidence=classified.confidence,
        classified_by=classified.by, needs_triage=classified.needs_triage, attributes=attributes,
        words=" ".join(report_words), suspected_duplicate_of=suspected,
        suggested_category_code=classified.suggested_code, source_kind=draft.source_kind,
        handed_in_on=draft.handed_in_on, rebound_of=rebound.case_id if rebound else None))
    await store.add_report(_report(report_id, case_id, "primary", draft, description, reporter_id, lat, lon, now,
                                   None))
    await store.add_classification(case_id, category_code=category.code, category_version=category.version,
                                   confidence=classified.confidence, classified_by=classified.by,
                                   suggested_code=classified.suggested_code, actor=draft.submitted_by, at=now)
    await store.add_timeline(case_id, now, line("received", code=code))
    if rebound is not None:  # both residents' timelines say the problem came back
        await store.add_timeline(case_id, now, line("rebound", code=rebound.tracking_code,
                                                    date=rebound.completed_at.astimezone(LOCAL_ZONE)))
        await store.add_timeline(rebound.case_id, now, line("came_back", code=code))
    if draft.photo_ids:
        await store.attach_photos(list(draft.photo_ids), report_id)
    uow.record(_case_reported(case_id, code, category, draft, description, lat, lon, area, reporter_id, now,
                              confidence=classified.confidence, classified_by=classified.by,
                              needs_triage=classified.needs_triage, suspected=suspected,
                              suggested=classified.suggested_code, rebound_of=rebound.case_id if rebound else None))
    return ReportOutcome(report_id, case_id, code, linked=False, replayed=False, category_code=category.code,
                         confidence=classified.confidence, needs_triage=classified.needs_triage)


async def _co_report(uow: UnitOfWork, case_id: UUID, code: str, report_id: UUID, draft: ReportDraft, description: str,
                     reporter_id: UUID | None, lat: float, lon: float, now: datetime, similarity: float) -> None:
    """The report joins the open case: its reporter is one more resident affected and hears every update."""
    store: IntakeStore = uow.store
    await store.add_report(_report(report_id, case_id, "co_report", draft, description, reporter_id, lat, lon, now,
                                   similarity))
    affected = await store.add_co_reporter(case_id, report_id, reporter_id, now)
    await store.add_timeline(case_id, now, line("co_reported", affected=affected))
    uow.record(CaseDuplicateLinked(
        case_id=case_id, report_id=report_id, tracking_code=code, channel=draft.channel,
        reporter=_reporter_view(reporter_id, case_id, draft), similarity=similarity, residents_affected=affected,
        linked_at=now))
    if draft.photo_ids:
        await store.attach_photos(list(draft.photo_ids), report_id)


async def _join(uow: UnitOfWork, draft: ReportDraft) -> ReportOutcome:
    """"Already reported? Add your voice": the resident names an open case (shown to them nearby) as theirs too; it
    is linked as they say, with no similarity to reach, and they may say nothing more."""
    store: IntakeStore = uow.store
    code = normalise_tracking_code(draft.joins)
    case = await store.lock_case_by_code(code) if code else None
    if case is None:
        raise Refused("not_found", "no case has this tracking code", "co_report_of", status=404)
    if not CaseStatus(case.status).is_open:
        raise Refused("case_closed", "this case is completed: report the problem anew", "co_report_of", status=409)
    description = draft.description.strip() or JOINED_WITHOUT_WORDS
    if len(description) > MAX_DESCRIPTION:
        raise Refused("too_long", f"the description may be at most {MAX_DESCRIPTION} characters", "description")
    await _check_photos(store, draft.photo_ids)
    lat, lon = (draft.lat, draft.lon) if draft.lat is not None and draft.lon is not None else (case.lat, case.lon)
    reporter_id = None if draft.anonymous or not draft.phone else await store.reporter_for(draft.phone, draft.name)
    report_id, now = uuid4(), datetime.now(UTC)
    structlog.contextvars.bind_contextvars(report_id=str(report_id), case_id=str(case.id))
    await _co_report(uow, case.id, case.tracking_code, report_id, draft, description, reporter_id, lat, lon, now, 1.0)
    return ReportOutcome(report_id, case.id, case.tracking_code, linked=True, replayed=False,
                         category_code=case.category_code, confidence=1.0, needs_triage=False)


async def keep_photo(uow: UnitOfWork, photo: CleanPhoto) -> UUID:
    """A resident's photo (checked and stripped already), to list in a report within a day."""
    photo_id = uuid4()
    await uow.store.add_photo(photo_id, photo)
    return photo_id


async def unlink(uow: UnitOfWork, report_id: UUID, *, actor: str, policy: IntakePolicy) -> ReportOutcome:
    """An operator judges a linked report to be its own problem: it becomes a new case, reported anew."""
    store: IntakeStore = uow.store
    report = await store.lock_report(report_id)
    if report is None:
        raise Refused("not_found", "no such report", "report_id", status=404)
    if report.role != "co_report":
        raise Refused("not_linked", "this report is not linked to another case", "report_id", status=409)
    original = await store.lock_case(report.case_id)
    now = datetime.now(UTC)
    tree = await store.category_tree()
    category = tree.categories.get(original.category_code)
    if category is None or category.code not in tree.active:
        category = tree.current(policy.fallback_category)
    area = (await store.ground()).map.place(report.lat, report.lon)
    case_id, code = uuid4(), new_tracking_code()
    await store.add_case(CaseRecord(
        id=case_id, tracking_code=code, category_code=category.code, category_version=category.version,
        description=report.description, channel=report.channel, urgent=original.urgent, lat=report.lat,
        lon=report.lon, address=report.address, grid_id=area.grid_id, reporter_id=report.reporter_id,
        anonymous=report.anonymous, status=CaseStatus.RECEIVED, reported_at=now, updated_at=now,
        category_confidence=1.0, classified_by=ClassifiedBy.OPERATOR, words=" ".join(words(report.description))))
    await store.update_report(report_id, case_id=case_id, role="primary", similarity=None)
    await store.add_classification(case_id, category_code=category.code, category_version=category.version,
                                   confidence=1.0, classified_by=ClassifiedBy.OPERATOR, actor=actor,
                                   reason="unlinked from a duplicate", at=now)
    still_there = report.reporter_id is not None and await store.reported_by(original.id, report.reporter_id)
    affected = original.residents_affected if still_there else max(1, original.residents_affected - 1)
    await store.update_case(original.id, residents_affected=affected, updated_at=now)
    await store.add_timeline(case_id, now, line("received", code=code))
    uow.record(CaseDuplicateUnlinked(case_id=original.id, report_id=report_id, new_case_id=case_id,
                                     residents_affected=affected, unlinked_at=now))
    phone = await store.reporter_phone(report.reporter_id) if report.reporter_id is not None else None
    draft = ReportDraft(channel=Channel(report.channel), description=report.description, anonymous=report.anonymous,
                        phone=phone, urgent=original.urgent, address=report.address)
    uow.record(_case_reported(case_id, code, category, draft, report.description, report.lat, report.lon, area,
                              report.reporter_id, now, confidence=1.0, classified_by=ClassifiedBy.OPERATOR,
                              needs_triage=False, suspected=original.id))
    return ReportOutcome(report_id, case_id, code, linked=False, replayed=False, category_code=category.code,
                         confidence=1.0, needs_triage=False)


async def _locate(store: IntakeStore, draft: ReportDraft) -> tuple[float, float, str | None]:
    if draft.lat is not None and draft.lon is not None:
        return draft.lat, draft.lon, draft.address_id
    gazetteer = (await store.ground()).gazetteer
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


async def _check_photos(store: IntakeStore, photo_ids: Sequence[UUID]) -> None:
    if len(photo_ids) > MAX_PHOTOS_PER_REPORT:
        raise Refused("too_many_photos", f"at most {MAX_PHOTOS_PER_REPORT} photos per report", "photos")
    if len(set(photo_ids)) != len(photo_ids):
        raise Refused("duplicate_photo", "the same photo is listed twice", "photos")
    if photo_ids and await store.unattached_photos(list(photo_ids)) != len(photo_ids):
        raise Refused("unknown_photo", "a photo is unknown or already belongs to a report", "photos")


def _reporter_view(reporter_id: UUID | None, case_id: UUID, draft: ReportDraft) -> Reporter:
    return Reporter(ref=reporter_ref(reporter_id, case_id), phone_masked=None if draft.anonymous else
                    mask_phone(draft.phone), anonymous=draft.anonymous or reporter_id is None)


def _report(report_id, case_id, role, draft: ReportDraft, description, reporter_id, lat, lon, now,
            similarity) -> ReportRecord:
    return ReportRecord(
        id=report_id, case_id=case_id, role=role, channel=draft.channel, channel_detail=draft.channel_detail,
        external_ref=draft.external_ref, description=description, reporter_id=reporter_id, anonymous=draft.anonymous,
        submitted_by=draft.submitted_by, lat=lat, lon=lon, address=draft.address, similarity=similarity,
        received_at=now, media_url=draft.media_url)


def _case_reported(case_id, code, category: Category, draft: ReportDraft, description, lat, lon, area: AreaPath,
                   reporter_id, now, *, confidence, classified_by, needs_triage, suspected,
                   suggested=None, rebound_of=None) -> CaseReported:
    return CaseReported(
        case_id=case_id, tracking_code=code, category_code=category.code, category_class=category.class_code,
        category_version=category.version, time_limit_class="urgent" if draft.urgent else category.time_limit_class,
        handle_locally=category.handle_locally, urgent=draft.urgent,
        # Residents write their numbers into the text too: what leaves intake carries them masked.
        description=mask_personal_text(description), channel=draft.channel,
        location=ReportedLocation(lat=lat, lon=lon, address=mask_personal_text(draft.address or "") or None,
                                  area=area),
        reply_to=draft.external_ref if draft.channel is Channel.MESSAGING_GROUP else None,
        reporter=_reporter_view(reporter_id, case_id, draft), reported_at=now, category_confidence=confidence,
        classified_by=classified_by, needs_triage=needs_triage, suspected_duplicate_of=suspected,
        photo_count=len(draft.photo_ids), photo_ids=tuple(draft.photo_ids), suggested_category_code=suggested,
        source_kind=draft.source_kind, handed_in_on=draft.handed_in_on, rebound_of=rebound_of)
