"""Intake's commands and handler table on the fake store: taking reports (new cases, co-reports, replays, refusals),
unlinking, reclassifying, verdicts and call-backs, reveals, imports, and the resident's timeline as the units act.
The same paths run on PostgreSQL in the end-to-end tests."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from services.intake.adapters.store import IntakeStore
from services.intake.commands import categories, contacts, imports, reports, upkeep
from services.intake.commands.cases import reclassify
from services.intake.commands.verdicts import submit_verdict
from services.intake.domain.reports import IntakePolicy, ReportDraft
from services.intake.domain.reveals import RevealCaller
from services.intake.domain.timeline import wordings
from services.intake.handlers import HANDLERS
from shared.events import (
    CaseCallbackRequested,
    CaseCompleted,
    CaseDispatched,
    CaseDuplicateLinked,
    CaseDuplicateUnlinked,
    CaseExplained,
    CaseExtensionDecided,
    CaseReclassified,
    CaseReopened,
    CaseReported,
    Channel,
    EvaluationSubmitted,
    Verdict,
)
from shared.messaging.consumer import PermanentFailure
from shared.refusals import RateLimited, Refused
from tests.fakes import FakeUnitOfWork, public_methods
from tests.fakes.intake import FakeIntakeStore, demo_reference
from tests.samples import HUAYANG_AREA

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = IntakePolicy()
OPERATOR = RevealCaller("op-1", "operator", None, ("cn-changning", "st-huayang"))
DRAIN = ReportDraft(channel=Channel.SELF_SERVICE, description="小区门口下水道堵塞，雨后积水严重", lat=31.22, lon=121.43,
                    name="张三", phone="13812341234", category_code="drainage")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(FakeIntakeStore(*demo_reference()))


async def _report(uow, draft=DRAIN):
    async with uow:
        return await reports.submit_report(uow, draft, POLICY)


def test_the_fake_store_offers_exactly_what_the_real_one_does():
    assert public_methods(FakeIntakeStore).keys() - {"lines"} == public_methods(IntakeStore).keys()
    for name, signature in public_methods(IntakeStore).items():
        assert list(public_methods(FakeIntakeStore)[name].parameters) == list(signature.parameters), name


async def test_a_report_opens_a_case_with_a_tracking_code_and_publishes_it_masked(uow):
    outcome = await _report(uow, DRAIN.__class__(**{**DRAIN.__dict__, "description": "下水道堵塞 请回电13812341234"}))
    case = uow.store.cases[outcome.case_id]
    assert (case.category_code, case.grid_id, case.status) == ("drainage", "cm-xiushui-g1", "received")
    [reported] = uow.of_type(CaseReported)
    assert reported.tracking_code == outcome.tracking_code and "13812341234" not in reported.description
    assert reported.reporter.phone_masked == "138****1234" and reported.location.area == HUAYANG_AREA
    assert [line.text_zh for line in uow.store.lines(outcome.case_id)] == [f"已受理，查询码 {outcome.tracking_code}"]
    assert uow.store.locked_cells == [("drainage", "cm-xiushui-g1")]


async def test_the_same_problem_nearby_joins_the_open_case_and_one_resident_counts_once(uow):
    first = await _report(uow)
    neighbour = ReportDraft(channel=Channel.HOTLINE, description="下水道堵塞，积水严重", lat=31.2201, lon=121.4301,
                            phone="13900001111", category_code="drainage")
    second = await _report(uow, neighbour)
    assert second.linked and second.case_id == first.case_id and second.tracking_code == first.tracking_code
    again = await _report(uow, ReportDraft(**{**neighbour.__dict__, "description": "下水道还是堵塞积水"}))
    assert again.linked and uow.store.cases[first.case_id].residents_affected == 2
    assert [e.residents_affected for e in uow.of_type(CaseDuplicateLinked)] == [2, 2]
    assert len(uow.of_type(CaseReported)) == 1


async def test_a_channel_sending_the_same_message_twice_gets_the_first_answer(uow):
    draft = ReportDraft(**{**DRAIN.__dict__, "channel": Channel.MESSAGING_GROUP, "external_ref": "group-1/msg-9"})
    first, replay = await _report(uow, draft), await _report(uow, draft)
    assert replay.replayed and replay.case_id == first.case_id and len(uow.store.cases) == 1
    assert uow.of_type(CaseReported)[0].reply_to == "group-1/msg-9"


@pytest.mark.parametrize(("change", "code"), [
    ({"description": "  "}, "missing_field"),
    ({"description": "长" * 4001}, "too_long"),
    ({"category_code": "no-such-thing"}, "unknown_category"),
    ({"lat": 31.3, "lon": 121.5}, "outside_jurisdiction"),
    ({"lat": None, "lon": None, "address": "火星路1号"}, "address_not_found"),
    ({"lat": None, "lon": None}, "missing_location"),
    ({"photo_ids": (uuid4(),)}, "unknown_photo"),
])
async def test_a_report_intake_cannot_take_is_refused_naming_the_field_and_leaves_nothing(uow, change, code):
    with pytest.raises(Refused) as refused:
        await _report(uow, ReportDraft(**{**DRAIN.__dict__, **change}))
    assert refused.value.code == code and refused.value.field
    assert uow.store.cases == {} and uow.store.reporters == {} and uow.events == []


async def test_an_address_is_placed_through_the_gazetteer_and_photos_join_the_report(uow):
    photo = uuid4()
    uow.store.photos[photo] = None
    outcome = await _report(uow, ReportDraft(**{**DRAIN.__dict__, "lat": None, "lon": None, "address": "华阳花园",
                                                "photo_ids": (photo,)}))
    assert uow.store.cases[outcome.case_id].address_id == "gz-huayang-garden"
    assert uow.store.photos[photo] == outcome.report_id


async def test_an_unsure_classification_waits_for_a_person_who_places_it(uow):
    unsure = await _report(uow, ReportDraft(channel=Channel.SELF_SERVICE, description="你好", lat=31.22,
                                            lon=121.43, anonymous=True))
    assert unsure.needs_triage and uow.of_type(CaseReported)[0].needs_triage
    async with uow:
        await reclassify(uow, unsure.case_id, "noise", actor="op-1", reason="居民电话补充 13812341234")
    [moved] = uow.of_type(CaseReclassified)
    assert moved.was_triage and moved.category_code == "noise" and "13812341234" not in moved.reason
    assert not uow.store.cases[unsure.case_id].needs_triage
    with pytest.raises(Refused) as same:
        async with uow:
            await reclassify(uow, unsure.case_id, "noise", actor="op-1", reason=None)
    assert same.value.code == "no_change"


async def test_unlinking_a_co_report_makes_it_a_case_of_its_own(uow):
    first = await _report(uow)
    linked = await _report(uow, ReportDraft(channel=Channel.HOTLINE, description="下水道堵塞，积水严重", lat=31.2201,
                                            lon=121.4301, phone="13900001111", category_code="drainage"))
    async with uow:
        outcome = await reports.unlink(uow, linked.report_id, actor="op-1", policy=POLICY)
    assert outcome.case_id != first.case_id and uow.store.cases[first.case_id].residents_affected == 1
    [unlinked] = uow.of_type(CaseDuplicateUnlinked)
    assert unlinked.new_case_id == outcome.case_id
    assert uow.of_type(CaseReported)[-1].suspected_duplicate_of == first.case_id
    with pytest.raises(Refused) as twice:
        async with uow:
            await reports.unlink(uow, linked.report_id, actor="op-1", policy=POLICY)
    assert twice.value.code == "not_linked"


async def test_the_units_steps_reach_the_residents_timeline_in_words_and_status_only_rises(uow):
    case_id = (await _report(uow)).case_id
    dispatched = CaseDispatched(case_id=case_id, unit_id="cn-construction", unit_name="区建设和管理委员会",
                                category_code="drainage", time_limit_class="urgent", area=HUAYANG_AREA,
                                dispatched_at=NOW)
    completed = CaseCompleted(case_id=case_id, unit_id="cn-construction", unit_name="区建设和管理委员会",
                              result="已疏通，电话13812341234", completed_at=NOW)
    async with uow:
        await HANDLERS[CaseCompleted](completed, uow)
        await HANDLERS[CaseDispatched](dispatched, uow)  # late: the status stays completed
        await HANDLERS[CaseExplained](CaseExplained(case_id=case_id, unit_id="cn-construction", explanation="需改造管网",
                                                    planned_date=date(2027, 3, 1), explained_at=NOW), uow)
        await HANDLERS[CaseExtensionDecided](CaseExtensionDecided(
            case_id=case_id, unit_id="cn-construction", approved=True, reason="ok", due_at=datetime(
                2026, 12, 31, 20, tzinfo=UTC), decided_at=NOW), uow)
    case = uow.store.cases[case_id]
    assert (case.status, case.completion_round, case.unit_name) == ("completed", 1, "区建设和管理委员会")
    texts = [line.text_zh for line in uow.store.lines(case_id)]
    assert "区建设和管理委员会已办结：已疏通，电话138****1234" in texts and "已派发至区建设和管理委员会办理" in texts
    assert "承办单位说明：需改造管网；计划于2027-03-01前解决" in texts
    assert "经督办部门批准，办理期限延长至2027-01-01" in texts  # 20:00 UTC is the next day in Shanghai
    async with uow:
        await HANDLERS[CaseReopened](CaseReopened(case_id=case_id, round=1, reason="不满意", reopened_at=NOW), uow)
        await HANDLERS[CaseReopened](CaseReopened(case_id=case_id, round=1, reason="不满意", reopened_at=NOW), uow)
    assert uow.store.cases[case_id].status == "dispatched"
    assert [line.kind for line in uow.store.lines(case_id)].count("reopened") == 1
    with pytest.raises(PermanentFailure):
        async with uow:
            await HANDLERS[CaseDispatched](dispatched.model_copy(update={"case_id": uuid4()}), uow)


async def test_one_verdict_per_resident_and_round_closes_the_call_back(uow):
    case_id = (await _report(uow)).case_id
    with pytest.raises(Refused) as early:
        async with uow:
            await submit_verdict(uow, case_id, Verdict.SATISFIED, None, via="resident", submitter=None)
    assert early.value.code == "not_completed"
    async with uow:
        await HANDLERS[CaseCompleted](CaseCompleted(case_id=case_id, unit_id="u", unit_name="区建设和管理委员会",
                                                    result="已疏通", completed_at=NOW), uow)
        await HANDLERS[CaseCallbackRequested](CaseCallbackRequested(case_id=case_id, round=1, completed_at=NOW,
                                                                    requested_at=NOW), uow)
        assert await submit_verdict(uow, case_id, Verdict.DISSATISFIED, "还是堵", via="callback", submitter=None) == 1
    assert uow.store.callback_tasks[(case_id, 1)]["done_by"] == "operator"
    [judged] = uow.of_type(EvaluationSubmitted)
    assert judged.verdict is Verdict.DISSATISFIED and judged.resolved is False and judged.reporter_ref.startswith("rp-")
    assert uow.store.lines(case_id)[-1].text_zh == "居民评价：不满意"
    with pytest.raises(Refused) as again:
        async with uow:
            await submit_verdict(uow, case_id, Verdict.SATISFIED, None, via="resident", submitter=None)
    assert again.value.code == "already_evaluated"


async def test_every_number_shown_is_audited_and_anonymous_residents_are_never_shown(uow):
    named = await _report(uow)
    anonymous = await _report(uow, ReportDraft(channel=Channel.SELF_SERVICE, description="路灯不亮", lat=31.224,
                                               lon=121.437, anonymous=True, category_code="street-lighting"))
    async with uow:
        shown = await contacts.reveal_reporters(uow, named.case_id, caller=OPERATOR, reason_code="callback",
                                                note="回访核实", limit_per_hour=20)
        numbers = await contacts.numbers_for_delivery(uow, [named.case_id, anonymous.case_id], actor="notification",
                                                      purpose="sms")
    assert [(s["name"], s["phone"]) for s in shown] == [("张三", "13812341234")]
    assert list(numbers) == [named.case_id] and numbers[named.case_id][0]["phone"] == "13812341234"
    assert [(r["actor"], r["actor_role"]) for r in uow.store.reveals] == [("op-1", "operator"),
                                                                          ("notification", "service")]
    assert (uow.store.reveals[0]["actor_unit"], uow.store.reveals[0]["actor_scope"],
            uow.store.reveals[0]["reason_code"], uow.store.reveals[0]["reason"]) == (
        None, "cn-changning/st-huayang", "callback", "回访核实办理结果")
    with pytest.raises(Refused):
        async with uow:
            await contacts.reveal_reporters(uow, uuid4(), caller=OPERATOR, reason_code="callback", note="回访核实",
                                            limit_per_hour=20)


async def test_of_supervisors_only_the_one_watching_the_case_may_call_its_residents(uow):
    made = await _report(uow)
    others = RevealCaller("sup-other", "supervisor", None, ("cn-changning",))
    own = RevealCaller("sup-huayang", "supervisor", None, ("cn-changning", "st-huayang"))
    for before_assignment in (own, others):
        with pytest.raises(Refused) as refused:
            async with uow:
                await contacts.reveal_reporters(uow, made.case_id, caller=before_assignment, reason_code="clarify",
                                                note="核实地点", limit_per_hour=20)
        assert (refused.value.code, refused.value.status) == ("not_case_supervisor", 403)
    async with uow:
        await uow.store.update_case(made.case_id, supervisor_id="sup-huayang")
        shown = await contacts.reveal_reporters(uow, made.case_id, caller=own, reason_code="clarify", note="核实地点",
                                                limit_per_hour=20)
    assert shown and shown[0]["phone"] == "13812341234"
    with pytest.raises(Refused):
        async with uow:
            await contacts.reveal_reporters(uow, made.case_id, caller=others, reason_code="clarify", note="核实地点",
                                            limit_per_hour=20)


async def test_one_person_reveals_only_so_many_cases_an_hour_and_is_told_when_to_try_again(uow):
    cases = [await _report(uow, ReportDraft(channel=Channel.SELF_SERVICE, description="路灯不亮", lat=31.212 + i * 0.004,
                                            lon=121.43, name="张三", phone="13812341234",
                                            category_code="street-lighting")) for i in range(3)]
    assert len({made.case_id for made in cases}) == 3 and not any(made.linked for made in cases)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for i, made in enumerate(cases[:2]):
        async with uow:
            await contacts.reveal_reporters(uow, made.case_id, caller=OPERATOR, reason_code="callback",
                                            note="回访核实", limit_per_hour=2, now=start + timedelta(minutes=10 * i))
    async with uow:  # the same residents again: not another case
        await contacts.reveal_reporters(uow, cases[1].case_id, caller=OPERATOR, reason_code="callback",
                                        note="再次回访", limit_per_hour=2, now=start + timedelta(minutes=30))
    with pytest.raises(RateLimited) as limited:
        async with uow:
            await contacts.reveal_reporters(uow, cases[2].case_id, caller=OPERATOR, reason_code="callback",
                                            note="回访核实", limit_per_hour=2, now=start + timedelta(minutes=30))
    assert (limited.value.code, limited.value.status, limited.value.retry_after) == ("too_many_reveals", 429, 1800)
    async with uow:  # an hour after the first, one more case
        await contacts.reveal_reporters(uow, cases[2].case_id, caller=OPERATOR, reason_code="callback",
                                        note="回访核实", limit_per_hour=2, now=start + timedelta(minutes=61))


async def test_an_import_takes_each_row_once_and_says_why_a_row_was_refused(uow):
    import_id = uuid4()
    sheet = ("kind,description,lat,lon,phone\n"
             "意见箱,小区门口下水道堵塞,31.22,121.43,13812341234\n"
             "意见箱,,31.22,121.43,\n"
             "问卷,路灯不亮，晚上很黑,31.224,121.437,1234\n").encode()
    async with uow:
        await imports.enqueue(uow, import_id=import_id, filename="slips.csv", sha256="x", content=sheet,
                              created_by="op-1")
        assert await imports.claim_import(uow) == import_id
        assert await imports.claim_import(uow) is None  # running, its heartbeat fresh
    await imports.process(uow, import_id, POLICY, max_rows=100)
    outcomes = {n: (line["outcome"], line["code"]) for (_, n), line in uow.store.import_rows.items()}
    assert outcomes == {2: ("accepted", None), 3: ("refused", "missing_field"), 4: ("refused", "invalid_phone")}
    assert uow.store.imports[import_id].status == "done" and uow.store.imports[import_id].processed_rows == 3
    uow.store.imports[import_id].status = "pending"
    await imports.process(uow, import_id, POLICY, max_rows=100)  # again: the rows done are skipped
    assert len(uow.store.cases) == 1


async def test_upkeep_gives_old_cases_their_words_and_drops_unattached_photos(uow):
    case_id = (await _report(uow)).case_id
    uow.store.cases[case_id] = uow.store.cases[case_id].__class__(**{**uow.store.cases[case_id].__dict__,
                                                                     "words": None})
    uow.store.photos[uuid4()] = None
    async with uow:
        assert await upkeep.fill_case_words(uow) == 1
        assert await upkeep.purge_orphan_photos(uow, timedelta(hours=24)) == 1
    assert "下水道" in uow.store.cases[case_id].words.split()


def test_every_timeline_wording_says_the_same_in_chinese_and_english_and_every_one_used_exists():
    for name, wording in wordings().items():
        assert wording.zh and wording.en, name
        assert {f for f in wording.fields()} == set(re.findall(r"{(\w+)", wording.zh)) == set(
            re.findall(r"{(\w+)", wording.en)), name
    used = set()
    for path in Path("services/intake").rglob("*.py"):
        used |= set(re.findall(r'\bline\("(\w+)"', path.read_text()))
    used |= {f"evaluated_{v.value}" for v in Verdict}
    assert used <= set(wordings()), used - set(wordings())


async def test_every_edit_of_a_sub_item_is_a_new_version_and_a_retired_one_keeps_its_history(uow):
    fields = {k: v for k, v in uow.store.categories["drainage"][0].items()
              if k in ("service_code", "class_code", "name_zh", "name_en", "priority", "time_limit_class",
                       "handle_locally", "keywords", "examples", "attributes")}
    async with uow:
        edited = await categories.edit_category(uow, "drainage", {**fields, "name_en": "Drains"}, by="admin-1")
    assert (edited["version"], edited["name_en"], edited["changed_by"]) == (2, "Drains", "admin-1")
    with pytest.raises(Refused) as taken:
        async with uow:
            await categories.add_category(uow, "drains-2", {**fields, "service_code": "202"}, by="admin-1")
    assert (taken.value.code, taken.value.status) == ("service_code_taken", 409)
    with pytest.raises(Refused) as unknown:
        async with uow:
            await categories.add_category(uow, "drains-2", {**fields, "service_code": "299", "class_code": "x"},
                                          by="admin-1")
    assert unknown.value.code == "unknown_class"
    async with uow:
        await categories.retire_category(uow, "drainage", by="admin-1")
    versions = await uow.store.category_versions("drainage")
    assert [(v["version"], v["current"], v["active"]) for v in versions] == [(3, True, False), (2, False, True),
                                                                              (1, False, True)]
    with pytest.raises(Refused) as gone:
        async with uow:
            await categories.retire_category(uow, "drainage", by="admin-1")
    assert gone.value.status == 404


async def test_an_api_key_is_shown_once_kept_as_a_hash_and_revoked_once(uow):
    async with uow:
        key_id, api_key = await categories.create_api_key(uow, "partner app")
    stored = uow.store.api_keys[key_id]
    assert api_key.startswith("gl") and stored["key_hash"] != api_key and api_key not in str(stored)
    async with uow:
        await categories.revoke_api_key(uow, key_id)
    with pytest.raises(Refused):
        async with uow:
            await categories.revoke_api_key(uow, key_id)


async def test_an_imported_cell_with_a_nul_is_a_refused_row_and_the_import_goes_on(uow):
    import_id = uuid4()
    sheet = "kind,description,lat,lon\n意见箱,下水道堵塞\x00,31.22,121.43\n意见箱,路灯不亮，晚上很黑,31.224,121.437\n".encode()
    async with uow:
        await imports.enqueue(uow, import_id=import_id, filename="slips.csv", sha256="x", content=sheet,
                              created_by="op-1")
    await imports.process(uow, import_id, POLICY, max_rows=100)
    outcomes = {n: (line["outcome"], line["code"], line["field"]) for (_, n), line in uow.store.import_rows.items()}
    assert outcomes == {2: ("refused", "invalid_character", "description"), 3: ("accepted", None, None)}
    assert uow.store.imports[import_id].status == "done"


async def test_a_report_outside_the_jurisdiction_is_refused_naming_where_it_belongs_and_kept_without_its_contact(uow):
    from pathlib import Path

    from services.intake.domain.neighbours import load_neighbours

    policy = IntakePolicy(neighbours=load_neighbours(Path(reports.__file__).parents[1] / "neighbours.yaml"))
    draft = ReportDraft(channel=Channel.SELF_SERVICE, description="联系人王秀英，静安寺门口路灯不亮，回电13812341234",
                        lat=31.25, lon=121.45, name="王秀英", phone="13812341234", category_code="street-lighting")
    with pytest.raises(Refused) as refused:
        async with uow:
            await reports.submit_report(uow, draft, policy)
    assert refused.value.code == "outside_jurisdiction"
    assert refused.value.extra["belongs_to"]["name_zh"] == "静安区" and "021-62536666" in refused.value.extra["message_zh"]
    assert uow.store.refused_reports == []  # the report's own unit of work kept nothing
    await reports.keep_refused(lambda: uow, draft, refused.value)
    [kept] = uow.store.refused_reports
    assert (kept["belongs_to"], kept["lat"], kept["reason"]) == ("cn-jingan", 31.25, "outside_jurisdiction")
    assert "王秀英" not in kept["description"] and "13812341234" not in kept["description"]


async def test_a_problem_that_comes_back_where_a_case_was_completed_is_a_rebound_linked_to_it(uow):
    first = await _report(uow)
    async with uow:
        await HANDLERS[CaseCompleted](CaseCompleted(case_id=first.case_id, unit_id="cn-construction",
                                                    unit_name="区建设和管理委员会", result="已疏通",
                                                    completed_at=datetime.now(UTC)), uow)
    again = await _report(uow, replace(DRAIN, description="下水道又堵了，积水到膝盖", phone="13812349999"))
    assert not again.linked and again.case_id != first.case_id  # a completed case is not joined: a new one opens
    [reported] = [e for e in uow.of_type(CaseReported) if e.case_id == again.case_id]
    assert reported.rebound_of == first.case_id and uow.store.cases[again.case_id].rebound_of == first.case_id
    assert any("现再次出现" in line.text_zh and first.tracking_code in line.text_zh
               for line in uow.store.lines(again.case_id))
    assert any(again.tracking_code in line.text_zh for line in uow.store.lines(first.case_id)
               if line.kind == "rebound")
    elsewhere = await _report(uow, replace(DRAIN, lat=31.2300, lon=121.4400, phone="13812348888"))
    assert [e for e in uow.of_type(CaseReported) if e.case_id == elsewhere.case_id][0].rebound_of is None


async def test_a_resident_adds_their_voice_to_an_open_case_they_name_and_not_to_a_completed_one(uow):
    first = await _report(uow)
    joined = await _report(uow, ReportDraft(channel=Channel.SELF_SERVICE, description="", phone="13812349999",
                                            joins=first.tracking_code.lower()))
    assert (joined.case_id, joined.linked) == (first.case_id, True)
    assert uow.store.cases[first.case_id].residents_affected == 2
    linked = [e for e in uow.events if isinstance(e, CaseDuplicateLinked)]
    assert linked[-1].similarity == 1.0 and linked[-1].report_id == joined.report_id
    assert uow.store.reports[joined.report_id].description == reports.JOINED_WITHOUT_WORDS
    uow.store.cases[first.case_id] = replace(uow.store.cases[first.case_id], status="completed")
    with pytest.raises(Refused) as closed:
        await _report(uow, ReportDraft(channel=Channel.SELF_SERVICE, description="我也是", joins=first.tracking_code))
    assert (closed.value.code, closed.value.status) == ("case_closed", 409)
    with pytest.raises(Refused) as unknown:
        await _report(uow, ReportDraft(channel=Channel.SELF_SERVICE, description="我也是", joins="NOSUCHCODE"))
    assert (unknown.value.code, unknown.value.field) == ("not_found", "co_report_of")


async def test_a_consultation_answered_on_the_spot_is_recorded_once_per_call_with_the_articles_words(uow):
    from services.intake.commands import knowledge

    async with uow:
        article = await knowledge.save_article(uow, None, question="受理中心几点上班？", answer="工作日8:30—17:00",
                                               keywords=["上班时间"], category_code=None, actor="admin-1")
        row = await knowledge.answer_on_the_spot(uow, call_id="call-1", phone="13812341234", name=None,
                                                 question="请问受理中心几点开门，电话13812341234", article_id=article,
                                                 answer=None, operator="op-1")
        again = await knowledge.answer_on_the_spot(uow, call_id="call-1", phone=None, name=None, question="再问",
                                                   article_id=None, answer="别的", operator="op-1")
    assert again == row and len(uow.store.consultations) == 1
    assert row["answer"] == "工作日8:30—17:00" and "13812341234" not in row["question"]
    assert row["reporter_id"] is not None  # the caller's history knows the number asked
    async with uow:
        await knowledge.retire_article(uow, article, actor="admin-1")
        with pytest.raises(Refused) as retired:
            await knowledge.answer_on_the_spot(uow, call_id="call-2", phone=None, name=None, question="几点上班",
                                               article_id=article, answer=None, operator="op-1")
    assert retired.value.code == "not_found"


async def test_a_callers_earlier_cases_are_found_by_number_within_the_scope_and_each_shown_is_audited(uow):
    made = await _report(uow)
    async with uow:
        mine = await contacts.caller_history(uow, "13812341234", caller=OPERATOR,
                                             grids=frozenset({uow.store.cases[made.case_id].grid_id}))
        elsewhere = await contacts.caller_history(uow, "13812341234", caller=OPERATOR, grids=frozenset({"other"}))
    assert [c["tracking_code"] for c in mine] == [made.tracking_code] and elsewhere == []
    assert [(r["case_id"], r["actor"]) for r in uow.store.reveals] == [(made.case_id, "op-1")]
