"""A case's supervisor: the closest remit by area and sub-item, the least loaded among equals."""

from services.supervision.domain.assignment import SupervisorScope, pick_supervisor
from shared.events import AreaPath

AREA = AreaPath(district_id="d", street_id="st-a", community_id="cm-a", grid_id="cm-a-g1")
TEAM = [SupervisorScope("street-a", frozenset({"st-a"})), SupervisorScope("street-b", frozenset({"st-b"})),
        SupervisorScope("community-a", frozenset({"cm-a"})), SupervisorScope("district"),
        SupervisorScope("elderly", categories=frozenset({"elderly-care"}))]


def pick(category="noise", load=None, team=TEAM, area=AREA):
    return pick_supervisor(team, area=area, category_code=category, load=load or {})


def test_the_closest_area_wins_and_a_sub_item_specialist_sits_between_a_community_and_a_street():
    assert pick() == "community-a"
    assert pick(team=[s for s in TEAM if s.id != "community-a"]) == "street-a"
    assert pick(category="elderly-care", team=[s for s in TEAM if s.id != "community-a"]) == "elderly"
    assert pick(category="elderly-care") == "community-a"


def test_a_case_outside_every_remit_falls_to_the_district_wide_one_or_to_nobody():
    elsewhere = AreaPath(district_id="d", street_id="st-z", community_id="cm-z", grid_id="cm-z-g1")
    assert pick(area=elsewhere) == "district"
    assert pick(area=elsewhere, team=[s for s in TEAM if s.id != "district"]) is None


def test_among_equally_close_supervisors_the_least_loaded_then_the_first_by_id_is_chosen():
    pair = [SupervisorScope("b", frozenset({"st-a"})), SupervisorScope("a", frozenset({"st-a"}))]
    assert pick(team=pair) == "a"
    assert pick(team=pair, load={"a": 5, "b": 2}) == "b"
