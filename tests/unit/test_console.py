"""The console's rules in plain Python: passwords strong enough, the lockout after repeated failures, and the
board's states a case is counted under."""

from datetime import UTC, datetime, timedelta

from services.console.domain.accounts import Account, after_failure, password_problem
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
