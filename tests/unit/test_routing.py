"""Routing: the most specific rule wins, local matters go local, and every decision names its rule."""

import pytest

from services.dispatch.domain.routing import CaseToRoute, Directory, Rule, Unit, Unroutable
from shared.events import AreaPath

AREA = AreaPath(district_id="d", street_id="s1", community_id="c1", grid_id="g1")
OTHER_STREET = AreaPath(district_id="d", street_id="s2", community_id="c2", grid_id="g2")
UNITS = [
    Unit("district-roads", "district_department", "区道路", frozenset({"d"})),
    Unit("street-office", "street_department", "街道办", frozenset({"s1"})),
    Unit("committee-c1", "community_committee", "居委1", frozenset({"c1"})),
    Unit("committee-c2", "community_committee", "居委2", frozenset({"c2"})),
    Unit("worker-g1", "grid_worker", "网格员1", frozenset({"g1"})),
    Unit("linkage", "district_department", "联动中心", frozenset({"d"})),
]


def case(category="roads", cls="livelihood", local=False, area=AREA) -> CaseToRoute:
    return CaseToRoute(category_code=category, category_class=cls, handle_locally=local, area=area)


def test_a_rule_for_the_street_beats_a_rule_for_anywhere():
    directory = Directory(UNITS, [Rule("anywhere", category="roads", lead="district-roads"),
                                  Rule("street", category="roads", area="s1", lead="street-office")])
    assert directory.route(case()).rule_id == "street"
    assert directory.route(case(area=OTHER_STREET)).rule_id == "anywhere"


def test_a_sub_item_rule_beats_a_class_rule_which_beats_a_catch_all():
    directory = Directory(UNITS, [Rule("any", lead="linkage"), Rule("class", category="livelihood", lead="street-office"),
                                  Rule("item", category="roads", lead="district-roads")])
    assert directory.route(case()).rule_id == "item"
    assert directory.route(case(category="noise")).rule_id == "class"
    assert directory.route(case(category="x", cls="economy")).rule_id == "any"


def test_area_depth_weighs_more_than_category_precision():
    directory = Directory(UNITS, [Rule("item-anywhere", category="roads", lead="district-roads"),
                                  Rule("class-in-street", category="livelihood", area="s1", lead="street-office")])
    assert directory.route(case()).rule_id == "class-in-street"


def test_what_the_community_can_solve_goes_to_the_committee_serving_the_case():
    directory = Directory(UNITS, [
        Rule("local", local_only=True, lead_kind="community_committee", assisting_kind="grid_worker"),
        Rule("street", category="roads", area="s1", lead="street-office")])
    decision = directory.route(case(local=True))
    assert (decision.rule_id, decision.lead.id, [u.id for u in decision.assisting]) == ("local", "committee-c1",
                                                                                       ["worker-g1"])
    assert directory.route(case(local=True, area=OTHER_STREET)).lead.id == "committee-c2"
    assert directory.route(case(local=False)).rule_id == "street"


def test_an_excluded_unit_is_passed_over_for_the_next_rule():
    directory = Directory(UNITS, [Rule("street", category="roads", area="s1", lead="street-office"),
                                  Rule("anywhere", category="roads", lead="district-roads", assisting=("street-office",))])
    decision = directory.route(case(), exclude=frozenset({"street-office"}))
    assert decision.rule_id == "anywhere" and decision.assisting == ()


def test_a_case_no_rule_can_place_is_unroutable():
    directory = Directory(UNITS, [Rule("roads", category="roads", lead="district-roads")])
    with pytest.raises(Unroutable):
        directory.route(case(category="noise"))
    with pytest.raises(Unroutable):
        Directory(UNITS, [Rule("ghost", category="roads", lead="no-such-unit")]).route(case())


def test_ties_are_broken_by_rule_id_so_the_decision_is_stable():
    directory = Directory(UNITS, [Rule("b", category="roads", lead="street-office"),
                                  Rule("a", category="roads", lead="district-roads")])
    assert directory.route(case()).rule_id == "a"


def _demo_directory() -> Directory:
    from shared.demo import demo_data

    units = [Unit(u["id"], u["kind"], u["name_zh"], frozenset(u["areas"])) for u in demo_data("units")["units"]]
    rules = [Rule(r["id"], category=r.get("category"), area=r.get("area"), lead=r.get("lead"),
                  lead_kind=r.get("lead_kind"), assisting=tuple(r.get("assisting", ())),
                  assisting_kind=r.get("assisting_kind"), local_only=r.get("local_only", False))
             for r in demo_data("routing")["rules"]]
    return Directory(units, rules)


def test_the_demo_directory_routes_every_demo_category_in_every_grid():
    from shared.demo import demo_data

    directory = _demo_directory()
    areas = demo_data("ground")["areas"]
    parent = {a["id"]: a["parent"] for a in areas}
    for grid in (a["id"] for a in areas if a["level"] == "grid"):
        community = parent[grid]
        street = parent[community]
        path = AreaPath(district_id=parent[street], street_id=street, community_id=community, grid_id=grid)
        for item in demo_data("categories")["items"]:
            decision = directory.route(CaseToRoute(category_code=item["code"], category_class=item["class"],
                                                   handle_locally=item["local"], area=path))
            assert decision.lead.id in directory.units


@pytest.mark.parametrize("category", ["street-lighting", "sanitation", "street-stalls", "parking"])
def test_street_level_items_go_to_the_street_office_first_with_the_district_assisting(category):
    """The local-first principle: in every demo street, a street-level item is led by the street's own office."""
    from shared.demo import demo_data

    directory = _demo_directory()
    item = next(i for i in demo_data("categories")["items"] if i["code"] == category)
    for street, community, grid in (("st-huayang", "cm-xiushui", "cm-xiushui-g1"),
                                    ("st-jiangsu", "cm-qishan", "cm-qishan-g1")):
        path = AreaPath(district_id="cn-changning", street_id=street, community_id=community, grid_id=grid)
        decision = directory.route(CaseToRoute(category_code=category, category_class=item["class"],
                                               handle_locally=item["local"], area=path))
        lead = directory.units[decision.lead.id]
        assert lead.kind == "street_department" and street in lead.areas, (category, street, decision.lead.id)


def test_the_units_told_of_a_claimable_case_work_where_it_lies_and_handle_its_sub_item():
    units = [Unit("district-roads", "district_department", "区道路", frozenset({"d"}), frozenset({"roads"})),
             Unit("street-office", "street_department", "街道办", frozenset({"s1"}), frozenset({"roads"})),
             Unit("other-street", "street_department", "另一街道办", frozenset({"s2"}), frozenset({"roads"})),
             Unit("committee-c1", "community_committee", "居委1", frozenset({"c1"}))]
    directory = Directory(units, [])
    assert directory.board_units(AREA.ids(), ["roads"]) == ("district-roads", "street-office")
    assert directory.board_units(AREA.ids(), ["roads"], exclude=["street-office"]) == ("district-roads",)
    # No one there handles the sub-item: everyone working there is told.
    assert directory.board_units(AREA.ids(), ["elderly-care"]) == ("committee-c1", "district-roads", "street-office")
