"""Dispatch's commands and handler table on the fake store: routing a reported case, acting on it, supervision's
word, the watch. Milliseconds each; the same paths run on PostgreSQL in the integration and end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.dispatch.adapters.store import DispatchStore
from services.dispatch.commands import cases, directory
from services.dispatch.domain import lifecycle
from services.dispatch.domain.lifecycle import State
from services.dispatch.domain.routing import Directory, Rule, Unit
from services.dispatch.handlers import HANDLERS
from shared.events import (
    CaseCheckInMissed,
    CaseDeadlineSet,
    CaseDispatched,
    CaseEscalated,
    CaseObserved,
    CaseReclassified,
    CaseRedispatched,
    CaseReopened,
    CaseSigned,
    DeadlineKind,
    EscalationLevel,
)
from shared.messaging.consumer import PermanentFailure
from shared.photos import CleanPhoto
from shared.refusals import Refused
from tests.fakes import FakeUnitOfWork, public_methods
from tests.fakes.dispatch import FakeDispatchStore, Photo
from tests.samples import case_reported

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _directory() -> Directory:
    units = [Unit("cn-construction", "district_department", "区建设和管理委员会", frozenset({"cn-changning"}),
                  frozenset({"drainage"})),
             Unit("st-huayang-office", "street_department", "华阳路街道办事处", frozenset({"st-huayang"}))]
    return Directory(units, [Rule("drainage-district", category="drainage", lead="cn-construction")])


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(FakeDispatchStore(_directory()))


async def _dispatched(uow) -> object:
    event = case_reported()
    async with uow:
        await HANDLERS[type(event)](event, uow)
    return event


def test_the_fake_store_offers_exactly_what_the_real_one_does():
    assert public_methods(FakeDispatchStore).keys() - {"notes"} == public_methods(DispatchStore).keys()
    for name, signature in public_methods(DispatchStore).items():
        assert list(public_methods(FakeDispatchStore)[name].parameters) == list(signature.parameters), name


async def test_a_reported_case_is_routed_by_its_rule_and_dispatched_once(uow):
    event = await _dispatched(uow)
    case = uow.store.cases[event.case_id]
    assert (case.status, case.lead_unit_id, case.rule_id, case.version) == ("dispatched", "cn-construction",
                                                                            "drainage-district", 1)
    [dispatched] = uow.of_type(CaseDispatched)
    assert (dispatched.unit_id, dispatched.unit_name, dispatched.rule_id) == ("cn-construction", "区建设和管理委员会",
                                                                              "drainage-district")
    assert uow.store.notes(event.case_id) == [("dispatched", "按派单规则派发至区建设和管理委员会")]
    async with uow:  # the same report again (another event id): nothing more
        await HANDLERS[type(event)](event.model_copy(), uow)
    assert len(uow.of_type(CaseDispatched)) == 1 and len(uow.store.history) == 1


async def test_a_case_no_rule_places_waits_in_triage_and_an_unsure_one_waits_for_a_person(uow):
    unplaced, unsure = case_reported(category_code="noise"), case_reported(needs_triage=True)
    async with uow:
        await HANDLERS[type(unplaced)](unplaced, uow)
        await HANDLERS[type(unsure)](unsure, uow)
    assert uow.store.cases[unplaced.case_id].status == State.TRIAGE
    assert uow.store.cases[unsure.case_id].status == State.AWAITING_CLASSIFICATION
    assert [a for a, _ in uow.store.notes(unplaced.case_id)] == ["triaged"]
    assert uow.store.notes(unsure.case_id) == [("held", "waiting for intake to confirm the sub-item")]
    assert uow.events == []


async def test_a_person_placing_a_held_case_routes_it_and_an_unroutable_one_stays_in_triage(uow):
    held = case_reported(needs_triage=True, category_code="noise")
    async with uow:
        await HANDLERS[type(held)](held, uow)
    reclassified = CaseReclassified(case_id=held.case_id, category_code="drainage", category_class="livelihood",
                                    previous_category_code="noise", time_limit_class="help", category_version=1,
                                    was_triage=True, reason="居民补充", reclassified_at=NOW)
    async with uow:
        await HANDLERS[CaseReclassified](reclassified, uow)
    assert uow.store.cases[held.case_id].lead_unit_id == "cn-construction"
    assert [e.unit_id for e in uow.of_type(CaseDispatched)] == ["cn-construction"]
    other = case_reported(needs_triage=True)
    async with uow:
        await HANDLERS[type(other)](other, uow)
        await HANDLERS[CaseReclassified](reclassified.model_copy(update={"case_id": other.case_id,
                                                                          "category_code": "noise"}), uow)
    assert uow.store.cases[other.case_id].status == State.TRIAGE
    assert uow.store.notes(other.case_id)[-1][0] == "triaged"


async def test_a_step_is_taken_under_the_version_the_unit_saw_and_another_unit_learns_nothing(uow):
    event = await _dispatched(uow)
    async with uow:
        await cases.act(uow, event.case_id, unit_id="cn-construction", expected_version=1,
                           take=lambda case: lifecycle.sign(case, "cn-construction"))
    assert uow.store.cases[event.case_id].status == State.SIGNED
    assert uow.of_type(CaseSigned)[0].unit_name == "区建设和管理委员会"
    with pytest.raises(Refused) as stale:
        async with uow:
            await cases.act(uow, event.case_id, unit_id="cn-construction", expected_version=1,
                               take=lambda case: lifecycle.sign(case, "cn-construction"))
    assert (stale.value.code, stale.value.status) == ("stale_version", 409)
    with pytest.raises(Refused) as hidden:
        async with uow:
            await cases.act(uow, event.case_id, unit_id="st-huayang-office", expected_version=None,
                               take=lambda case: lifecycle.sign(case, "st-huayang-office"))
    assert (hidden.value.code, hidden.value.status) == ("not_found", 404)
    for elsewhere in (("cn-xuhui",), ("cn-changning", "st-jiangsu")):  # another district; a neighbouring street
        with pytest.raises(Refused) as outside:
            async with uow:
                await cases.act(uow, event.case_id, unit_id=None, expected_version=None, scope=elsewhere,
                                take=lifecycle.put_on_board)
        assert outside.value.status == 404
    with pytest.raises(Refused) as illegal:
        async with uow:
            await cases.act(uow, event.case_id, unit_id="cn-construction", expected_version=2,
                               take=lambda case: lifecycle.sign(case, "cn-construction"))
    assert (illegal.value.code, illegal.value.status) == ("illegal_transition", 409)
    assert uow.store.cases[event.case_id].version == 2  # refused steps changed nothing


async def test_a_unit_attaches_only_its_own_unattached_photos(uow):
    event = await _dispatched(uow)
    photo = CleanPhoto(content=b"x", content_type="image/png", width=1, height=1, sha256="s")
    async with uow:
        own = await cases.keep_photo(uow, photo, unit_id="cn-construction")
        other = await cases.keep_photo(uow, photo, unit_id="st-huayang-office")
        await cases.attach_photos(uow, event.case_id, "cn-construction", [own])
    assert uow.store.photos[own].case_id == event.case_id
    with pytest.raises(Refused) as refused:
        async with uow:
            await cases.attach_photos(uow, event.case_id, "cn-construction", [other])
    assert (refused.value.code, refused.value.field) == ("unknown_photo", "photos")


async def test_a_failing_step_leaves_nothing_half_applied(uow):
    event = await _dispatched(uow)
    with pytest.raises(Refused):
        async with uow:
            await cases.act(uow, event.case_id, unit_id="cn-construction", expected_version=1,
                               take=lambda case: lifecycle.sign(case, "cn-construction"))
            await cases.attach_photos(uow, event.case_id, "cn-construction", [uuid4()])  # not its upload
    assert uow.store.cases[event.case_id].status == State.DISPATCHED and len(uow.store.history) == 1


async def test_a_reopening_sends_the_case_back_once_per_round(uow):
    event = await _dispatched(uow)
    async with uow:
        for take in (lambda c: lifecycle.sign(c, "cn-construction"),
                     lambda c: lifecycle.complete(c, "cn-construction", "已疏通")):
            await cases.act(uow, event.case_id, unit_id="cn-construction", expected_version=None, take=take)
    reopened = CaseReopened(case_id=event.case_id, round=1, reason="居民不满意", reopened_at=NOW)
    async with uow:
        await HANDLERS[CaseReopened](reopened, uow)
        await HANDLERS[CaseReopened](reopened, uow)  # a second resident's verdict on the same round
    case = uow.store.cases[event.case_id]
    assert (case.status, case.redo_count) == (State.DISPATCHED, 1)
    assert len(uow.of_type(CaseRedispatched)) == 1
    with pytest.raises(PermanentFailure):
        async with uow:
            await HANDLERS[CaseReopened](reopened.model_copy(update={"round": 2}), uow)  # not completed again


async def test_supervisions_clocks_escalations_and_observations_are_kept_on_the_case(uow):
    event = await _dispatched(uow)
    due = NOW + timedelta(hours=4)
    async with uow:
        await HANDLERS[CaseDeadlineSet](CaseDeadlineSet(
            case_id=event.case_id, unit_id="cn-construction", kind=DeadlineKind.SIGN_FOR, due_at=due,
            policy="help", set_at=NOW), uow)
        await HANDLERS[CaseDeadlineSet](CaseDeadlineSet(  # a clock for a unit that no longer leads it: stale
            case_id=event.case_id, unit_id="st-huayang-office", kind=DeadlineKind.COMPLETION, due_at=due,
            policy="help", set_at=NOW), uow)
        await HANDLERS[CaseEscalated](CaseEscalated(
            case_id=event.case_id, unit_id="cn-construction", level=EscalationLevel.SUPERVISION_ORDER,
            reason="签收超时 13812345678", reply_by=due, escalated_at=NOW), uow)
        await HANDLERS[CaseObserved](CaseObserved(
            case_id=event.case_id, certificate_number="DB-0001", text="现场仍有积水", observed_at=NOW), uow)
    case = uow.store.cases[event.case_id]
    assert (case.sign_due_at, case.due_at, case.escalation_level) == (due, None, "supervision_order")
    actions = dict(uow.store.notes(event.case_id))
    assert "13812345678" not in actions["escalated:supervision_order"]
    assert actions["observed"] == "居民监督员（证号DB-0001）：现场仍有积水"
    with pytest.raises(PermanentFailure):
        async with uow:
            await HANDLERS[CaseObserved](CaseObserved(case_id=uuid4(), certificate_number="DB-0001", text="?",
                                                      observed_at=NOW), uow)


async def test_the_watch_names_missed_check_ins_once_and_drops_photos_never_attached(uow):
    event = case_reported(category_code="noise")
    async with uow:
        await HANDLERS[type(event)](event, uow)
        await cases.act(uow, event.case_id, unit_id=None, expected_version=None,
                           take=lambda c: lifecycle.summon(c, ["cn-construction", "st-huayang-office"], now=NOW,
                                                           check_in_within=timedelta(minutes=30)))
        await cases.act(uow, event.case_id, unit_id="cn-construction", expected_version=None,
                           take=lambda c: lifecycle.check_in(c, "cn-construction", now=NOW))
    async with uow:
        assert await cases.flag_missed_check_ins(uow, now=NOW + timedelta(minutes=10)) == 0
        assert await cases.flag_missed_check_ins(uow, now=NOW + timedelta(minutes=31)) == 1
        assert await cases.flag_missed_check_ins(uow, now=NOW + timedelta(hours=2)) == 0
    [missed] = uow.of_type(CaseCheckInMissed)
    assert missed.unit_ids == ("st-huayang-office",)
    old, fresh, used = uuid4(), uuid4(), uuid4()
    uow.store.photos = {old: Photo(old, "cn-construction", NOW - timedelta(days=2)),
                        fresh: Photo(fresh, "cn-construction", NOW - timedelta(hours=1)),
                        used: Photo(used, "cn-construction", NOW - timedelta(days=2), case_id=event.case_id)}
    async with uow:
        assert await cases.drop_orphan_photos(uow, now=NOW) == 1
    assert set(uow.store.photos) == {fresh, used}


async def test_the_directory_takes_only_units_and_rules_that_name_known_units(uow):
    unit = {"id": "st-huayang-greening", "kind": "street_department", "parent_id": "st-huayang-office",
            "name_zh": "华阳路街道绿化所", "name_en": "Greening", "areas": ["st-huayang"], "categories": [],
            "contact": None, "hours": None}
    async with uow:
        await directory.add_unit(uow, unit)
    with pytest.raises(Refused) as twice:
        async with uow:
            await directory.add_unit(uow, unit)
    assert (twice.value.code, twice.value.status) == ("unit_exists", 409)
    for bad, code in (({**unit, "id": "x-1", "parent_id": "x-1"}, "invalid_parent"),
                      ({**unit, "id": "x-2", "parent_id": "nobody"}, "unknown_unit")):
        with pytest.raises(Refused) as refused:
            async with uow:
                await directory.add_unit(uow, bad)
        assert refused.value.code == code
    rule = {"id": "greening", "category": "greening", "area": None, "lead_unit_id": "st-huayang-greening",
            "lead_kind": None, "assisting": ["no-such-unit"], "assisting_kind": None, "local_only": False}
    with pytest.raises(Refused) as unknown:
        async with uow:
            await directory.add_rule(uow, rule)
    assert (unknown.value.code, unknown.value.field) == ("unknown_unit", "assisting")
    async with uow:
        await directory.add_rule(uow, {**rule, "assisting": []})
        await directory.remove_rule(uow, "greening")
    with pytest.raises(Refused):
        async with uow:
            await directory.remove_rule(uow, "greening")
    assert uow.store.directory_changes == 3


async def test_an_import_applies_the_good_rows_together_and_refuses_a_row_whose_parent_is_nowhere(uow):
    row = {"kind": "community_committee", "name_zh": "秀水居委", "name_en": "Xiushui", "areas": ["cm-xiushui"],
           "categories": [], "contact": None, "hours": None}
    units = {"cm-a": (2, {**row, "id": "cm-a", "parent_id": "st-huayang-office"}),
             "cm-b": (3, {**row, "id": "cm-b", "parent_id": "cm-a"}),
             "cm-c": (4, {**row, "id": "cm-c", "parent_id": "nowhere"}),
             "cm-d": (5, {**row, "id": "cm-d", "parent_id": "cm-c"}),
             "st-huayang-office": (6, {**row, "id": "st-huayang-office", "parent_id": None})}
    async with uow:
        created, updated, orphans = await directory.import_units(uow, units, dry_run=True)
    assert (created, updated, orphans) == (["cm-a", "cm-b"], ["st-huayang-office"], [4, 5])
    assert "cm-a" not in uow.store.units  # a dry run changes nothing
    async with uow:
        await directory.import_units(uow, units, dry_run=False)
    assert {"cm-a", "cm-b"} <= set(uow.store.units) and "cm-c" not in uow.store.units
