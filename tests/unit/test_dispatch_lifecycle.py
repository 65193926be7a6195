"""Every transition of dispatch's handling life cycle, and every refusal, on plain case files."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.dispatch.domain import lifecycle as lc
from services.dispatch.domain.lifecycle import ALLOWED, Action, CaseFile, IllegalTransition, NotYourCase, Refusal, State

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def at(state: State, **kw) -> CaseFile:
    defaults = {"lead": "unit-a"} if state in (State.DISPATCHED, State.SIGNED, State.IN_PROGRESS, State.EXPLAINED,
                                               State.COMPLETED, State.TRANSFER_REQUESTED) else {}
    return CaseFile(case_id="c1", state=state, **{**defaults, **kw})


def test_the_main_path_dispatched_signed_in_progress_completed_moves_the_version_each_step():
    case = lc.dispatch(at(State.TRIAGE), "unit-a", reason="by hand: the rule names a closed office").case
    assert (case.state, case.lead, case.version) == (State.DISPATCHED, "unit-a", 2)
    case = lc.sign(case, "unit-a").case
    assert case.state == State.SIGNED
    step = lc.note_progress(case, "unit-a", "已到现场查看", photos=["p1"])
    assert step.case.state == State.IN_PROGRESS and step.detail["photos"] == ("p1",)
    done = lc.complete(step.case, "unit-a", "已疏通")
    assert done.case.state == State.COMPLETED and done.case.version == 5 and done.action == Action.COMPLETE


def test_a_dispatch_by_hand_needs_a_reason_and_a_rule_dispatch_names_its_rule():
    with pytest.raises(Refusal) as refused:
        lc.dispatch(at(State.TRIAGE), "unit-a")
    assert (refused.value.code, refused.value.field) == ("missing_field", "reason")
    step = lc.dispatch(at(State.AWAITING_CLASSIFICATION), "unit-a", ["unit-b", "unit-a"], rule_id="r-7")
    assert step.detail["rule_id"] == "r-7" and step.case.assisting == ("unit-b",)


def test_a_return_goes_back_to_triage_and_excludes_the_returning_unit():
    step = lc.return_case(at(State.SIGNED), "unit-a", lc.ReturnReason.WRONG_AREA, "不在本街道")
    assert step.case.state == State.TRIAGE and step.case.lead is None and "unit-a" in step.case.excluded
    assert step.detail["reason"] == lc.ReturnReason.WRONG_AREA
    with pytest.raises(Refusal) as refused:
        lc.return_case(at(State.DISPATCHED), "unit-a", lc.ReturnReason.DUPLICATE, "  ")
    assert refused.value.field == "text"


def test_a_transfer_waits_for_a_dispatcher_who_approves_or_refuses_it():
    asked = lc.request_transfer(at(State.IN_PROGRESS), "unit-a", "unit-b", "属于物业职责")
    assert asked.case.state == State.TRANSFER_REQUESTED and asked.case.transfer_to == "unit-b"
    approved = lc.approve_transfer(asked.case)
    assert (approved.case.state, approved.case.lead) == (State.DISPATCHED, "unit-b")
    assert "unit-a" in approved.case.excluded
    refused = lc.refuse_transfer(asked.case, reason="职责清单写明由本单位办理")
    assert (refused.case.state, refused.case.lead) == (State.IN_PROGRESS, "unit-a")
    with pytest.raises(Refusal):
        lc.request_transfer(at(State.SIGNED), "unit-a", "unit-a", "x")
    with pytest.raises(IllegalTransition):
        lc.sign(asked.case, "unit-a")  # nothing but the decision while a transfer waits


def test_co_handling_the_lead_completes_only_after_every_assisting_unit_reported_its_part():
    case = at(State.SIGNED, assisting=("unit-b", "unit-c"))
    with pytest.raises(Refusal) as missing:
        lc.complete(case, "unit-a", "已处理")
    assert missing.value.code == "parts_missing" and "unit-b" in missing.value.message
    case = lc.report_part(case, "unit-b", "已清运垃圾").case
    case = lc.report_part(case, "unit-c", "已修复护栏").case
    assert lc.complete(case, "unit-a", "已处理").case.state == State.COMPLETED
    with pytest.raises(Refusal) as lead_only:
        lc.complete(at(State.SIGNED, assisting=("unit-b",)), "unit-b", "我来办结")
    assert lead_only.value.code == "lead_only"
    with pytest.raises(Refusal) as assisting_only:
        lc.report_part(case_at := at(State.SIGNED, assisting=("unit-b",)), "unit-a", "x")
    assert assisting_only.value.code == "assisting_only" and case_at.lead == "unit-a"


def test_open_claiming_one_claim_wins_and_the_second_finds_it_taken():
    board = lc.put_on_board(at(State.TRIAGE)).case
    assert board.state == State.ON_CLAIMING_BOARD
    won = lc.claim(board, "partner-1")
    assert (won.case.state, won.case.lead) == (State.DISPATCHED, "partner-1")
    with pytest.raises(Refusal) as second:
        lc.claim(won.case, "partner-2")
    assert second.value.code == "already_claimed"
    with pytest.raises(Refusal) as excluded:
        lc.claim(CaseFile(case_id="c2", state=State.ON_CLAIMING_BOARD, excluded=frozenset({"partner-3"})),
                 "partner-3")
    assert excluded.value.code == "excluded"


def test_joint_handling_summoned_units_check_in_within_the_limit_and_the_late_ones_are_named():
    step = lc.summon(at(State.TRIAGE), ["unit-a", "unit-b", "unit-c"], now=NOW, check_in_within=timedelta(hours=2))
    case = step.case
    assert case.summons.check_in_by == NOW + timedelta(hours=2)
    checked = lc.check_in(case, "unit-b", now=NOW + timedelta(minutes=30))
    assert checked.detail["late"] is False
    late = lc.check_in(checked.case, "unit-c", now=NOW + timedelta(hours=3))
    assert late.detail["late"] is True
    assert checked.case.summons.missing(NOW + timedelta(hours=3)) == ["unit-a", "unit-c"]
    with pytest.raises(Refusal) as twice:
        lc.check_in(checked.case, "unit-b", now=NOW)
    assert twice.value.code == "already_checked_in"
    with pytest.raises(NotYourCase):
        lc.check_in(case, "unit-z", now=NOW)
    with pytest.raises(Refusal) as too_few:
        lc.summon(at(State.TRIAGE), ["unit-a", "unit-a"], now=NOW, check_in_within=timedelta(hours=1))
    assert too_few.value.code == "too_few_units"


def test_a_reopened_case_goes_back_to_its_unit_or_another_with_the_redo_count_kept():
    done = at(State.COMPLETED, redo_count=0)
    again = lc.reopen(done, reason="居民不满意")
    assert (again.case.state, again.case.lead, again.case.redo_count) == (State.DISPATCHED, "unit-a", 1)
    elsewhere = lc.reopen(lc.complete(lc.sign(again.case, "unit-a").case, "unit-a", "再次处理").case,
                          reason="仍不满意", lead="unit-b")
    assert (elsewhere.case.lead, elsewhere.case.redo_count) == ("unit-b", 2)
    override = lc.redispatch(at(State.IN_PROGRESS), "unit-c", reason="原单位无力处理")
    assert override.detail["previous_lead"] == "unit-a" and override.case.state == State.DISPATCHED


def test_an_explanation_with_a_planned_date_counts_as_answered_and_stays_tracked_until_completed():
    step = lc.explain(at(State.IN_PROGRESS), "unit-a", "需纳入明年大修计划", date(2027, 3, 1), today=TODAY)
    assert step.case.state == State.EXPLAINED and step.case.planned_date == date(2027, 3, 1)
    noted = lc.note_progress(step.case, "unit-a", "已列入计划")
    assert noted.case.state == State.EXPLAINED
    assert lc.complete(noted.case, "unit-a", "大修完成").case.state == State.COMPLETED
    with pytest.raises(Refusal) as past:
        lc.explain(at(State.SIGNED), "unit-a", "x", TODAY, today=TODAY)
    assert past.value.field == "planned_date"


def test_an_extension_request_keeps_the_state_and_needs_a_later_date():
    step = lc.request_extension(at(State.SIGNED), "unit-a", "需等待材料", TODAY + timedelta(days=5), today=TODAY)
    assert step.case.state == State.SIGNED and step.case.extensions_requested == 1
    assert step.detail["proposed_date"] == TODAY + timedelta(days=5)
    with pytest.raises(Refusal):
        lc.request_extension(at(State.SIGNED), "unit-a", "x", TODAY, today=TODAY)


def test_a_unit_with_no_part_in_the_case_is_told_it_does_not_exist():
    for act in (lambda c: lc.sign(c, "stranger"), lambda c: lc.complete(c, "stranger", "x"),
                lambda c: lc.report_part(c, "stranger", "x")):
        with pytest.raises(NotYourCase):
            act(at(State.SIGNED, assisting=("unit-b",)))


@pytest.mark.parametrize("state", list(State))
def test_every_action_a_state_does_not_allow_is_refused_naming_the_state_and_what_it_allows(state):
    takes = {
        Action.DISPATCH: lambda c: lc.dispatch(c, "unit-x", reason="r"),
        Action.PUT_ON_BOARD: lc.put_on_board,
        Action.SIGN: lambda c: lc.sign(c, "unit-a"),
        Action.NOTE_PROGRESS: lambda c: lc.note_progress(c, "unit-a", "t"),
        Action.COMPLETE: lambda c: lc.complete(c, "unit-a", "r"),
        Action.RETURN: lambda c: lc.return_case(c, "unit-a", lc.ReturnReason.DUPLICATE, "t"),
        Action.REQUEST_TRANSFER: lambda c: lc.request_transfer(c, "unit-a", "unit-b", "r"),
        Action.APPROVE_TRANSFER: lc.approve_transfer,
        Action.REFUSE_TRANSFER: lambda c: lc.refuse_transfer(c, reason="r"),
        Action.EXPLAIN: lambda c: lc.explain(c, "unit-a", "e", TODAY + timedelta(days=30), today=TODAY),
        Action.REQUEST_EXTENSION: lambda c: lc.request_extension(c, "unit-a", "r", TODAY + timedelta(days=3),
                                                                 today=TODAY),
        Action.REDISPATCH: lambda c: lc.redispatch(c, "unit-x", reason="r"),
        Action.REOPEN: lambda c: lc.reopen(c, reason="r"),
        Action.SUSPEND: lambda c: lc.suspend(c, "unit-a", lc.SuspensionReason.WEATHER, "t"),
        Action.RESUME: lambda c: lc.resume(replace(c, suspended=lc.SuspensionReason.WEATHER), "unit-a"),
    }
    case = at(state, lead="unit-a", transfer_to="unit-b" if state == State.TRANSFER_REQUESTED else None)
    for action, take in takes.items():
        if action in ALLOWED[state]:
            assert take(case).action == action
        else:
            with pytest.raises(IllegalTransition) as refused:
                take(case)
            assert refused.value.state == state and refused.value.allowed == sorted(ALLOWED[state])
            assert state.value in refused.value.message


def _directory():
    from services.dispatch.domain.routing import CaseToRoute, Directory, Rule, Unit
    from shared.events import AreaPath

    area = AreaPath(district_id="d", street_id="s", community_id="c", grid_id="g")
    units = [Unit("unit-a", "street_department", "A", frozenset({"s"})),
             Unit("unit-b", "street_department", "B", frozenset({"s"})),
             Unit("committee", "community_committee", "居委", frozenset({"c"}))]
    rules = [Rule("by-kind", category="roads", lead_kind="street_department"),
             Rule("catch-all", lead="committee")]
    return Directory(units, rules), CaseToRoute(category_code="roads", category_class="x", handle_locally=False,
                                                area=area)


def test_automatic_re_routing_after_a_return_never_picks_the_unit_that_returned_it():
    directory, routing = _directory()
    returned = lc.return_case(at(State.SIGNED, routing=routing), "unit-a", lc.ReturnReason.NOT_OUR_DUTY, "非本单位职责")
    again = lc.route_again(returned.case, directory)
    assert (again.case.lead, again.detail["rule_id"], again.case.state) == ("unit-b", "by-kind", State.DISPATCHED)
    both_out = lc.return_case(lc.sign(again.case, "unit-b").case, "unit-b", lc.ReturnReason.WRONG_AREA, "不在辖区")
    last = lc.route_again(both_out.case, directory)
    assert (last.case.lead, last.detail["rule_id"]) == ("committee", "catch-all")
    with pytest.raises(Refusal) as nobody:
        lc.route_again(lc.return_case(lc.sign(last.case, "committee").case, "committee",
                                      lc.ReturnReason.NOT_OUR_DUTY, "x").case, directory)
    assert nobody.value.code == "unroutable"
    with pytest.raises(IllegalTransition):
        lc.route_again(at(State.SIGNED, routing=routing), directory)


def test_one_extension_request_waits_at_a_time_until_supervision_decides_it():
    asked = lc.request_extension(at(State.SIGNED), "unit-a", "等待配件", TODAY + timedelta(days=5), today=TODAY)
    assert asked.case.extension_pending
    with pytest.raises(Refusal) as again:
        lc.request_extension(asked.case, "unit-a", "再等等", TODAY + timedelta(days=9), today=TODAY)
    assert again.value.code == "extension_pending"
    decided = lc.decide_extension(asked.case, approved=False, reason="材料不足")
    assert not decided.case.extension_pending and decided.case.state == State.SIGNED
    assert decided.detail["approved"] is False
    with pytest.raises(Refusal) as none:
        lc.decide_extension(decided.case, approved=True, reason="x")
    assert none.value.code == "no_extension_pending"
    assert lc.request_extension(decided.case, "unit-a", "再申请", TODAY + timedelta(days=9), today=TODAY).case \
        .extensions_requested == 2


def test_a_reopening_of_a_round_already_reopened_changes_nothing():
    once = lc.reopen(at(State.COMPLETED), reason="不满意", round=1)
    assert once.case.redo_count == 1
    done_again = lc.complete(lc.sign(once.case, "unit-a").case, "unit-a", "返工完成").case
    with pytest.raises(Refusal) as twice:
        lc.reopen(done_again, reason="另一位居民也不满意", round=1)
    assert twice.value.code == "already_reopened"
    assert lc.reopen(done_again, reason="仍不满意", round=2).case.redo_count == 2


def test_missed_check_ins_are_named_once_after_the_limit():
    summoned = lc.summon(at(State.TRIAGE), ["unit-a", "unit-b"], now=NOW, check_in_within=timedelta(minutes=30)).case
    came = lc.check_in(summoned, "unit-a", now=NOW + timedelta(minutes=10)).case
    with pytest.raises(Refusal):
        lc.flag_missed_check_ins(came, now=NOW + timedelta(minutes=20))  # the limit has not passed
    flagged = lc.flag_missed_check_ins(came, now=NOW + timedelta(minutes=31))
    assert flagged.detail["units"] == ("unit-b",) and flagged.case.summons.alerted
    with pytest.raises(Refusal) as twice:
        lc.flag_missed_check_ins(flagged.case, now=NOW + timedelta(hours=2))
    assert twice.value.code == "nothing_to_flag"


def test_a_unit_waits_once_at_a_time_resumes_and_the_wait_ends_when_the_case_moves_on():
    case = at(State.IN_PROGRESS, lead="unit-a")
    waiting = lc.suspend(case, "unit-a", lc.SuspensionReason.WAITING_FOR_RESIDENT, "居民外出，约定下周上门").case
    assert waiting.suspended is lc.SuspensionReason.WAITING_FOR_RESIDENT and waiting.state is State.IN_PROGRESS
    with pytest.raises(lc.Refusal) as twice:
        lc.suspend(waiting, "unit-a", lc.SuspensionReason.WEATHER, "雨")
    assert twice.value.code == "already_suspended"
    with pytest.raises(lc.Refusal) as not_waiting:
        lc.resume(case, "unit-a")
    assert not_waiting.value.code == "not_suspended"
    assert lc.resume(waiting, "unit-a").case.suspended is None
    assert lc.complete(waiting, "unit-a", "已修复").case.suspended is None
    with pytest.raises(lc.NotYourCase):
        lc.suspend(case, "unit-z", lc.SuspensionReason.WEATHER, "t")


def test_a_unit_summoned_to_joint_handling_records_its_part_without_holding_up_the_completion():
    case = lc.summon(at(State.SIGNED), ["unit-b", "unit-c"], now=NOW, check_in_within=timedelta(hours=2)).case
    case = lc.check_in(case, "unit-b", now=NOW).case
    part = lc.report_part(case, "unit-b", "已到场疏通下水道")
    assert part.action is Action.REPORT_PART and part.case.parts_reported == {"unit-b"}
    with pytest.raises(NotYourCase):
        lc.report_part(case, "unit-z", "x")
    assert lc.complete(part.case, "unit-a", "已处理").case.state is State.COMPLETED  # unit-c's part is not awaited


def test_the_actions_open_to_each_caller_are_what_the_state_allows_and_theirs_to_take():
    dispatched = at(State.DISPATCHED, assisting=("unit-b",))
    assert lc.actions_open(dispatched, unit_id="unit-a") == sorted(
        [Action.SIGN, Action.RETURN, Action.REQUEST_TRANSFER, Action.REQUEST_EXTENSION])
    assert lc.actions_open(dispatched, unit_id="unit-b") == [Action.REPORT_PART]
    assert lc.actions_open(dispatched, unit_id="unit-z") == []
    assert lc.actions_open(dispatched, dispatcher=True) == sorted([Action.REDISPATCH, Action.SUMMON])
    waiting = at(State.SIGNED, suspended=lc.SuspensionReason.WAITING_FOR_RESIDENT, extension_pending=True)
    opened = lc.actions_open(waiting, unit_id="unit-a")
    assert Action.RESUME in opened and Action.SUSPEND not in opened and Action.REQUEST_EXTENSION not in opened
    board = at(State.ON_CLAIMING_BOARD, excluded=frozenset({"unit-x"}))
    assert lc.actions_open(board, unit_id="unit-c") == [Action.CLAIM]
    assert lc.actions_open(board, unit_id="unit-x") == []  # it returned the case before
    # Every action offered is one the state machine would take.
    for state in State:
        for caller in ({"unit_id": "unit-a"}, {"dispatcher": True}):
            assert set(lc.actions_open(at(state), **caller)) <= ALLOWED[state]
