"""The rates: the facts a case's events yield (whatever the redeliveries and the order of topics), and the
standings, red and black lists over them."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.supervision.domain.rates import Kind, Rate, Standing, case_facts, red_and_black, standings
from shared.events import (
    AreaPath,
    CaseCompleted,
    CaseDeadlineBreached,
    CaseDeadlineSet,
    CaseDispatched,
    CaseRedispatched,
    CaseReopened,
    CaseReturned,
    CaseSigned,
    DeadlineKind,
    EvaluationSubmitted,
    Verdict,
)

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
AREA = AreaPath(district_id="d", street_id="st-a", community_id="cm-a", grid_id="cm-a-g1")
CASE = uuid4()


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def deadline(unit, kind, due):
    return CaseDeadlineSet(case_id=CASE, unit_id=unit, kind=kind, due_at=due, policy="p", set_at=T0)


def facts(events):
    return sorted((f.kind.value, f.unit_id, f.ok) for f in case_facts(events))


def test_a_case_handled_twice_yields_each_rate_s_facts_for_the_unit_that_earned_them():
    events = [
        CaseDispatched(case_id=CASE, unit_id="a", unit_name="A", category_code="noise", time_limit_class="c",
                       area=AREA, dispatched_at=T0),
        deadline("a", DeadlineKind.SIGN_FOR, h(2)), deadline("a", DeadlineKind.COMPLETION, h(48)),
        CaseSigned(case_id=CASE, unit_id="a", unit_name="A", signed_at=h(1)),
        CaseCompleted(case_id=CASE, unit_id="a", unit_name="A", result="r", completed_at=h(50)),
        EvaluationSubmitted(case_id=CASE, round=1, verdict=Verdict.DISSATISFIED, via="resident", reporter_ref="rp-1",
                            submitted_at=h(51)),
        CaseReopened(case_id=CASE, round=1, reason="x", reopened_at=h(51)),
        CaseRedispatched(case_id=CASE, unit_id="b", unit_name="B", reason="x", redo_count=1, redispatched_at=h(52)),
        deadline("b", DeadlineKind.SIGN_FOR, h(54)), deadline("b", DeadlineKind.COMPLETION, h(100)),
        CaseDeadlineBreached(case_id=CASE, unit_id="b", kind=DeadlineKind.SIGN_FOR, due_at=h(54), breached_at=h(54)),
        CaseSigned(case_id=CASE, unit_id="b", unit_name="B", signed_at=h(56)),
        CaseCompleted(case_id=CASE, unit_id="b", unit_name="B", result="r", completed_at=h(90)),
        EvaluationSubmitted(case_id=CASE, round=2, verdict=Verdict.BASICALLY_SATISFIED, resolved=False,
                            via="resident", reporter_ref="rp-1", submitted_at=h(91)),
    ]
    assert facts(events) == sorted([
        ("returned", "a", False), ("response", "a", True), ("on_time", "a", False), ("redo", "a", True),
        ("resolved", "a", False), ("satisfied", "a", False),
        ("returned", "b", False), ("response", "b", False), ("on_time", "b", True), ("redo", "b", False),
        ("resolved", "b", False), ("satisfied", "b", True), ("rebound", "b", False)])
    assert all((f.street_id, f.grid_id, f.category_code) == ("st-a", "cm-a-g1", "noise") for f in case_facts(events))


def test_a_return_counts_against_the_returning_unit_and_a_never_signed_breach_against_its_response():
    events = [
        CaseDispatched(case_id=CASE, unit_id="a", unit_name="A", category_code="noise", time_limit_class="c",
                       area=AREA, dispatched_at=T0),
        CaseDeadlineBreached(case_id=CASE, unit_id="a", kind=DeadlineKind.SIGN_FOR, due_at=h(2), breached_at=h(2)),
        CaseReturned(case_id=CASE, unit_id="a", reason="wrong_area", text="t", returned_at=h(3)),
    ]
    assert facts(events) == [("response", "a", False), ("returned", "a", True)]


def test_a_late_deadline_event_still_counts_and_a_verdict_given_twice_counts_once():
    signed_first = [
        CaseDispatched(case_id=CASE, unit_id="a", unit_name="A", category_code="noise", time_limit_class="c",
                       area=AREA, dispatched_at=T0),
        CaseSigned(case_id=CASE, unit_id="a", unit_name="A", signed_at=h(1)),
        deadline("a", DeadlineKind.SIGN_FOR, h(2)),  # read from another topic after the signing
        CaseCompleted(case_id=CASE, unit_id="a", unit_name="A", result="r", completed_at=h(5)),
    ]
    verdict = EvaluationSubmitted(case_id=CASE, round=1, verdict=Verdict.SATISFIED, via="resident",
                                  reporter_ref="rp-1", submitted_at=h(6))
    assert ("response", "a", True) in facts(signed_first)
    assert [f for f in facts(signed_first + [verdict, verdict]) if f[0] == "satisfied"] == [("satisfied", "a", True)]
    assert case_facts(signed_first[1:]) == []  # nothing measured before a unit is given the case


def test_standings_turn_the_lower_is_better_rates_and_the_lists_judge_only_units_with_enough_facts():
    rows = [("a", Kind.RESPONSE, 10, 10), ("a", Kind.RETURNED, 10, 0), ("b", Kind.RESPONSE, 10, 5),
            ("b", Kind.RETURNED, 10, 5), ("c", Kind.RESPONSE, 2, 0)]
    ranked = standings(rows)
    assert [(s.key, s.score) for s in ranked] == [("a", 1.0), ("b", 0.5), ("c", 0.0)]
    red, black = red_and_black(ranked, min_measured=5)
    assert [s.key for s in red] == ["a"] and [s.key for s in black] == ["b"]
    assert Standing("x", {Kind.SATISFIED: Rate(0, 0)}).score is None


def _set(unit, kind, due, at):
    return CaseDeadlineSet(case_id=CASE, unit_id=unit, kind=kind, due_at=due, policy="p", set_at=at)


def test_each_round_is_judged_by_its_own_sign_for_deadline_not_a_later_rounds():
    # Signed an hour late in the first round; the reopened round's later deadline must not make that on time.
    events = [
        CaseDispatched(case_id=CASE, unit_id="a", unit_name="A", category_code="noise", time_limit_class="c",
                       area=AREA, dispatched_at=T0),
        _set("a", DeadlineKind.SIGN_FOR, h(2), T0), _set("a", DeadlineKind.COMPLETION, h(48), T0),
        CaseSigned(case_id=CASE, unit_id="a", unit_name="A", signed_at=h(3)),
        CaseCompleted(case_id=CASE, unit_id="a", unit_name="A", result="r", completed_at=h(40)),
        CaseReopened(case_id=CASE, round=1, reason="x", reopened_at=h(41)),
        CaseRedispatched(case_id=CASE, unit_id="a", unit_name="A", reason="x", redo_count=1, redispatched_at=h(41)),
        _set("a", DeadlineKind.SIGN_FOR, h(43), h(41)), _set("a", DeadlineKind.COMPLETION, h(90), h(41)),
        CaseSigned(case_id=CASE, unit_id="a", unit_name="A", signed_at=h(42)),
        CaseCompleted(case_id=CASE, unit_id="a", unit_name="A", result="r", completed_at=h(95)),
    ]
    responses = [f.ok for f in case_facts(events) if f.kind is Kind.RESPONSE]
    on_time = [f.ok for f in case_facts(events) if f.kind is Kind.ON_TIME]
    assert responses == [False, True]  # late, then on time: 1 of 2, not 2 of 2
    assert on_time == [True, False]  # the first round by its own 48 h, the second by its 90 h


def test_a_return_as_not_our_duty_counts_against_the_unit_only_if_the_case_is_sent_back_to_it():
    def handled(then_back_to_a: bool):
        events = [
            CaseDispatched(case_id=CASE, unit_id="a", unit_name="A", category_code="noise", time_limit_class="c",
                           area=AREA, dispatched_at=T0),
            CaseReturned(case_id=CASE, unit_id="a", reason="not_our_duty", text="不属于本单位职责", returned_at=h(1)),
            CaseRedispatched(case_id=CASE, unit_id="a" if then_back_to_a else "b", unit_name="X", reason="x",
                             redo_count=0, redispatched_at=h(2)),
        ]
        return [(f.unit_id, f.ok) for f in case_facts(events) if f.kind is Kind.RETURNED]
    assert handled(False) == [("a", False), ("b", False)]  # the linkage centre agreed: a correct return
    assert handled(True) == [("a", True), ("a", False)]  # it disagreed and sent it back: the return counts


def test_a_unit_with_too_few_facts_is_not_ranked_at_all():
    from services.supervision.domain.rates import rankable

    ranked = standings([("a", Kind.ON_TIME, 2, 2), ("b", Kind.ON_TIME, 10, 7), ("c", Kind.ON_TIME, 5, 1)])
    assert [s.key for s in rankable(ranked, min_facts=5)] == ["b", "c"]  # a's 2 of 2 says too little


def test_a_problem_that_comes_back_here_counts_against_the_last_completion_and_a_panel_s_rating_is_a_fact():
    from uuid import uuid4

    from shared.events import CasePanelRated, CaseReported, Channel, ReportedLocation, Reporter

    done = [
        CaseDispatched(case_id=CASE, unit_id="a", unit_name="A", category_code="noise", time_limit_class="c",
                       area=AREA, dispatched_at=T0),
        CaseCompleted(case_id=CASE, unit_id="a", unit_name="A", result="r", completed_at=h(5)),
        CasePanelRated(case_id=CASE, unit_id="a", panel_id=uuid4(), quarter="2026Q4", community=4, party_member=5,
                       resident=3, rated_at=h(6)),
    ]
    assert ("rebound", "a", False) in facts(done) and ("panel", "a", True) in facts(done)
    again = CaseReported(case_id=uuid4(), tracking_code="X", category_code="noise", category_class="livelihood",
                         category_version=1, time_limit_class="c", description="又吵了", channel=Channel.HOTLINE,
                         location=ReportedLocation(lat=31.2, lon=121.4, area=AREA), reporter=Reporter(ref="rp-2"),
                         reported_at=h(200), rebound_of=CASE)
    assert ("rebound", "a", True) in facts([*done, again])
    elsewhere = again.model_copy(update={"rebound_of": uuid4()})  # another case's rebound says nothing of this one
    assert ("rebound", "a", False) in facts([*done, elsewhere])
    low = done[2].model_copy(update={"community": 3, "party_member": 3, "resident": 4})
    assert ("panel", "a", False) in facts([*done[:2], low])
