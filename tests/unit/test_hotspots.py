"""Hotspots: a problem recurs when cases of one sub-item keep coming from one grid week after week."""

from services.supervision.domain.hotspots import rank_hotspots


def test_a_steadily_recurring_problem_outranks_a_one_week_burst_and_rising_ones_are_named():
    rows = [("noise", "g1", "s", w, 1, 2) for w in range(12)]                       # every week, 2 residents each
    rows += [("drainage", "g2", "s", 3, 9, 9)]                                       # one storm, one week
    rows += [("stalls", "g3", "s", w, 1 + (w >= 6) * 2, 1 + (w >= 6) * 2) for w in (1, 7, 8, 9)]
    ranked = rank_hotspots(rows, weeks=12)
    assert [h.category_code for h in ranked] == ["noise", "stalls"]                 # the burst does not recur
    noise, stalls = ranked
    assert (noise.cases, noise.weeks_with_cases, noise.recurrence, noise.trend) == (12, 12, 1.0, "steady")
    assert (stalls.recent, stalls.earlier, stalls.trend) == (9, 1, "rising")
    assert noise.score > stalls.score
    assert rank_hotspots(rows, weeks=12, min_cases=20) == []
