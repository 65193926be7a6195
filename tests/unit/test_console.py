"""The console's rules in plain Python: passwords strong enough, the lockout after repeated failures, the board's
states a case is counted under, the action forms, the administrator's forms and the clocks a case page counts
down."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.console.domain.accounts import Account, after_failure, password_problem
from services.console.domain.actions import ACTION_FORMS, QUEUE_FORMS, forms_open, running_clocks
from services.console.domain.administration import ADMIN_FORMS, AnswerProblem, day_of, year_with, year_without
from services.console.domain.board import buckets_of, counts
from shared.auth import Role

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def test_a_password_is_long_varied_and_not_the_username():
    assert password_problem("short", "wang") is not None
    assert password_problem("wang-2026-secret", "wang") == "must not contain the username"
    assert password_problem("aaaaaaaaaaaa", "li") == "too few different characters"
    assert password_problem("demo-Changning-2026", "dispatcher") is None


def test_an_account_locks_after_the_allowed_failures_in_a_row_and_unlocks_when_the_time_is_up():
    account = Account("li", "李", Role.DISPATCHER, "cn-changning", ("cn-changning",))
    for _ in range(4):
        failures, locked = after_failure(account, NOW, limit=5, lock_for=timedelta(minutes=15))
        account = Account(**{**account.__dict__, "failures": failures, "locked_until": locked})
        assert not account.locked(NOW)
    failures, locked = after_failure(account, NOW, limit=5, lock_for=timedelta(minutes=15))
    account = Account(**{**account.__dict__, "failures": failures, "locked_until": locked})
    assert failures == 0 and account.locked(NOW) and not account.locked(NOW + timedelta(minutes=16))


def test_a_case_is_counted_under_each_state_it_is_in():
    signed_late = {"status": "signed", "clock_state": "breached", "escalation_level": "supervision_order"}
    assert buckets_of(signed_late) == ["signed", "breached", "supervision_order"]
    assert buckets_of({"status": "completed", "awaiting_verdict": True}) == ["awaiting_verdict"]
    assert buckets_of({"status": "completed", "clock_state": "breached"}) == []  # done: no longer late
    assert buckets_of({"status": "on_claiming_board"}) == ["triage"]
    tally = counts([signed_late, {"status": "received"}, {"status": "received", "clock_state": "warned"}])
    assert (tally["received"], tally["warned"], tally["breached"], tally["reopened"]) == (2, 1, 1, 0)


def test_an_action_form_becomes_the_owner_s_body_with_the_version_the_user_saw():
    dispatch = ACTION_FORMS["dispatch"]
    body = dispatch.body({"lead": "hy-management-office", "assisting": ["", "cn-construction"],
                          "reason": "  属街道管理办  "}, 3)
    assert body == {"version": 3, "lead": "hy-management-office", "assisting": ["cn-construction"],
                    "reason": "属街道管理办"}
    complete = ACTION_FORMS["complete"].body({"result": "已修复"}, 5, ["p1", "p2"])
    assert complete == {"version": 5, "result": "已修复", "photos": ["p1", "p2"]}
    assert ACTION_FORMS["route"].body({"reason": ""}, 2) == {"version": 2}  # an empty optional answer left out


def test_the_forms_drawn_are_those_the_owner_opened_main_steps_first():
    drawn = [f.path for f in forms_open(["return", "extension-request", "sign"])]
    assert drawn == ["sign", "return", "extension-request"]
    assert forms_open([]) == [] and forms_open(["no-such-action"]) == []


def test_the_clocks_counted_down_are_the_holders_set_since_they_got_it_and_not_stopped_by_the_state():
    given = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)

    def clock(due: str, set_at: datetime) -> dict:
        return {"due": due, "set": set_at.isoformat()}

    clocks = {"hy-office": {"sign_for": clock("2026-12-02T08:00:00+00:00", given),
                            "completion": clock("2026-12-09T09:30:00+00:00", given)},
              "old-unit": {"completion": clock("2026-12-05T09:30:00+00:00", given - timedelta(days=1))},
              "hy-stale": {"completion": clock("2026-12-04T09:30:00+00:00", given - timedelta(hours=1))}}
    running = running_clocks("dispatched", clocks, ["hy-office", "hy-stale"], given)
    assert [(c.unit_id, c.kind) for c in running] == [("hy-office", "sign_for"), ("hy-office", "completion")]
    assert [c.kind for c in running_clocks("signed", clocks, ["hy-office"], given)] == ["completion"]
    assert running_clocks("triage", clocks, ["hy-office"], given) == []


def test_a_bar_chart_draws_each_value_as_a_bar_of_its_share_with_the_value_written_beside_it():
    from services.console.api.rendering import TEMPLATES

    bars = TEMPLATES.get_template("charts.html").module.bars
    svg = str(bars([("华阳路街道", 0.95, "95%"), ("江苏路街道", 0.5, "50%"), ("未统计", None, "—")], "按时办结率"))
    widths = [float(w) for w in re.findall(r'<rect x="160" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(widths) == 3 and widths[0] > 0 and abs(widths[1] / widths[0] - 0.5 / 0.95) < 0.01 and widths[2] == 0
    assert 'aria-label="按时办结率"' in svg and ">95%<" in svg and "#2e7d32" in svg and "#c00000" in svg


def test_an_administrator_s_answers_become_the_owner_s_body_by_each_field_s_kind():
    category = ADMIN_FORMS["category"].body({
        "name_zh": " 共享单车 ", "name_en": "Bikes", "class_code": "livelihood", "service_code": "901",
        "priority": "normal", "time_limit_class": "complaint", "handle_locally": "yes",
        "keywords": "单车、乱停，bike, 堵路", "examples": "门口堆满单车\n\n 人行道被堵 "},
        current={"attributes": [{"code": "size"}], "version": 3, "code": "x"})
    assert category["keywords"] == ["单车", "乱停", "bike", "堵路"] and category["examples"] == ["门口堆满单车", "人行道被堵"]
    assert category["handle_locally"] is True and category["name_zh"] == "共享单车"
    assert category["attributes"] == [{"code": "size"}] and "version" not in category  # only what the form keeps
    policy = ADMIN_FORMS["policy"]
    answers = {"sign_for_hours": "2.5", "completion_days": "5", "warn_at": "50%、80", "max_extensions": "1",
               "max_extension_days": "10", "reply_hours": "8", "callback_after_days": "3", "max_reopenings": "2"}
    body = policy.body(answers, current={"pauses_for": ["waiting_for_resident"]})
    assert body["sign_for_hours"] == 2.5 and body["completion_days"] == 5 and body["warn_at"] == [0.5, 0.8]
    assert body["clock"] is False and "completion_hours" not in body and body["pauses_for"] == ["waiting_for_resident"]
    for wrong, field in (({"sign_for_hours": "two"}, "sign_for_hours"), ({"completion_days": "5.5"}, "completion_days"),
                         ({"completion_hours": "12"}, "completion_days")):  # both limits given: choose one
        with pytest.raises(AnswerProblem) as problem:
            policy.body({**answers, **wrong})
        assert problem.value.field == field
    unit = ADMIN_FORMS["unit"].body({"kind": "grid_worker", "areas": ["cm-a", "", "cm-b"], "contact": ""})
    assert unit == {"kind": "grid_worker", "areas": ["cm-a", "cm-b"], "categories": []}


def test_a_calendar_day_replaces_what_its_date_had_and_taking_it_back_leaves_the_rest():
    days = [{"day": "2026-10-01", "workday": False, "name": "National Day", "name_zh": "国庆节"},
            {"day": "2026-10-10", "workday": True, "name": "National Day adjusted", "name_zh": "国庆节调休上班"}]
    entered = year_with(days, day_of({"day": "2026-06-01", "workday": "no", "name": "儿童节"}))
    assert [d["day"] for d in entered] == ["2026-06-01", "2026-10-01", "2026-10-10"]
    assert all(set(d) == {"day", "workday", "name"} for d in entered)  # the owner takes no derived names back
    moved = year_with(entered, day_of({"day": "2026-10-10", "workday": "no", "name": "加休"}))
    assert [(d["day"], d["workday"]) for d in moved][-1] == ("2026-10-10", False) and len(moved) == 3
    assert [d["day"] for d in year_without(moved, "2026-10-01")] == ["2026-06-01", "2026-10-10"]
    with pytest.raises(AnswerProblem):
        day_of({"day": "2026-02-30", "name": "x"})


def test_a_meeting_time_typed_without_a_zone_is_the_reader_s_local_time():
    body = QUEUE_FORMS["meeting-schedule"].body({"scheduled_for": "2026-12-03T14:30", "place": "华阳路街道会议室"},
                                                ZoneInfo("Asia/Shanghai"))
    assert body == {"scheduled_for": "2026-12-03T14:30:00+08:00", "place": "华阳路街道会议室"}
    rating = QUEUE_FORMS["panel-rating"].body({"case_id": "c1", "community": "5", "party_member": "4",
                                               "resident": "3", "comment": ""})
    assert rating == {"case_id": "c1", "community": "5", "party_member": "4", "resident": "3"}
