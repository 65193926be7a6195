"""Three-party panels: quarters, the parties a panel needs, and the standing of units from their ratings."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.supervision.domain.panels import missing_parties, standings
from services.supervision.domain.periods import period_bounds, quarter_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_period_runs_from_its_first_day_to_the_first_day_of_the_next_in_local_time():
    assert period_bounds("2026Q4", SHANGHAI) == (datetime(2026, 10, 1, tzinfo=SHANGHAI),
                                                 datetime(2027, 1, 1, tzinfo=SHANGHAI))
    assert period_bounds("2026Q1", SHANGHAI)[1] == datetime(2026, 4, 1, tzinfo=SHANGHAI)
    assert period_bounds("2026-12", SHANGHAI)[1] == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    assert period_bounds("2026", SHANGHAI) == (datetime(2026, 1, 1, tzinfo=SHANGHAI),
                                               datetime(2027, 1, 1, tzinfo=SHANGHAI))
    assert quarter_of(datetime(2026, 11, 22)) == "2026Q4"
    for bad in ("2026Q5", "26Q1", "2026-Q1", "2026-13", "2026-1"):
        with pytest.raises(ValueError):
            period_bounds(bad, SHANGHAI)


def test_a_panel_needs_each_of_the_three_parties():
    assert missing_parties(["community", "resident", "resident"]) == ["party_member"]
    assert missing_parties(["community", "party_member", "resident"]) == []


def test_units_stand_by_the_mean_of_the_three_parties_scores_best_first():
    table = standings([("a", 4, 4, 4), ("b", 5, 5, 2), ("a", 2, 4, 5), ("c", 5, 5, 5)])
    assert [(s.unit_id, s.cases, s.overall) for s in table] == [("c", 1, 5.0), ("b", 1, 4.0), ("a", 2, 3.83)]
    assert (table[2].community, table[2].resident) == (3.0, 4.5)


def test_a_commitment_stands_by_its_own_day_kept_kept_late_or_overdue():
    from datetime import date

    from services.supervision.domain.commitments import CommitmentState, mean_score, state_of

    due = date(2026, 12, 31)
    assert state_of(due, None, date(2026, 12, 31)) is CommitmentState.OPEN
    assert state_of(due, None, date(2027, 1, 1)) is CommitmentState.OVERDUE
    assert state_of(due, date(2026, 12, 20), date(2027, 3, 1)) is CommitmentState.KEPT
    assert state_of(due, date(2027, 1, 5), date(2027, 3, 1)) is CommitmentState.KEPT_LATE
    assert mean_score([]) is None and mean_score([4, 5, 3]) == 4.0
