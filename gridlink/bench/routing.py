"""``gridlink bench-routing``: routing decisions on a synthetic directory, in one process."""

from __future__ import annotations

import time
from pathlib import Path

from gridlink.bench.harness import percentiles, saved


def synthetic_directory(*, units: int, rules: int, seed: int = 11):
    """A directory the size of a large city's: a district tree (streets, communities, grids), units of every kind
    spread over it, and rules of sub-item x area naming units or kinds; plus cases to route through it."""
    import random

    from services.dispatch.domain.routing import CaseToRoute, Directory, Rule, Unit
    from shared.events import AreaPath

    rng = random.Random(seed)
    streets = [f"st-{i}" for i in range(20)]
    communities = {s: [f"{s}-cm-{j}" for j in range(10)] for s in streets}
    grids = {c: [f"{c}-g-{k}" for k in range(10)] for cs in communities.values() for c in cs}
    categories = [f"cat-{i}" for i in range(200)]
    classes = [f"class-{i}" for i in range(5)]
    kinds = ("district_department", "street_department", "community_committee", "grid_worker", "resident_unit",
             "partner_organisation", "enterprise", "volunteer_team")
    all_areas = ["district", *streets, *(c for cs in communities.values() for c in cs), *(g for gs in grids.values()
                                                                                          for g in gs)]
    made_units = [Unit(id=f"u-{i}", kind=rng.choice(kinds), name_zh=f"单位{i}",
                       areas=frozenset(rng.sample(all_areas, k=rng.randint(1, 4))),
                       categories=frozenset(rng.sample(categories, k=3)))
                  for i in range(units)]
    made_rules = []
    for i in range(rules):
        area = rng.choice([None, rng.choice(streets), rng.choice(list(grids)), rng.choice(all_areas)])
        category = rng.choice([rng.choice(categories), rng.choice(categories), rng.choice(classes), None])
        if rng.random() < 0.2:
            made_rules.append(Rule(id=f"r-{i}", category=category, area=area, lead_kind=rng.choice(kinds),
                                   local_only=rng.random() < 0.1))
        else:
            made_rules.append(Rule(id=f"r-{i}", category=category, area=area, lead=rng.choice(made_units).id,
                                   assisting=tuple(u.id for u in rng.sample(made_units, k=rng.randint(0, 2)))))
    directory = Directory(made_units, made_rules)

    def case() -> CaseToRoute:
        street = rng.choice(streets)
        community = rng.choice(communities[street])
        return CaseToRoute(category_code=rng.choice(categories), category_class=rng.choice(classes),
                           handle_locally=rng.random() < 0.3,
                           area=AreaPath(district_id="district", street_id=street, community_id=community,
                                         grid_id=rng.choice(grids[community])))

    return directory, case


def bench_routing(*, units: int, rules: int, decisions: int, out: Path) -> dict:
    """Routing decisions alone, in one process: the cost of ``Directory.route`` on a large directory."""
    from services.dispatch.domain.routing import Unroutable

    started = time.perf_counter()
    directory, make_case = synthetic_directory(units=units, rules=rules)
    build_seconds = time.perf_counter() - started
    cases = [make_case() for _ in range(decisions)]
    timings, unroutable = [], 0
    begun = time.perf_counter()
    for case in cases:
        t0 = time.perf_counter()
        try:
            directory.route(case)
        except Unroutable:
            unroutable += 1
        timings.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - begun
    latency = {k.replace("_ms", "_us"): v for k, v in percentiles([t * 1000 for t in timings]).items()}
    figures = {"units": units, "rules": rules, "decisions": decisions, "unroutable": unroutable,
               "directory_build_seconds": round(build_seconds, 2),
               "decisions_per_second": round(decisions / seconds), "decision_latency": latency,
               "targets": {"p99_under_1_ms": latency["p99_us"] < 1000}}
    return saved("routing", figures, out,
                 "one process, the directory in memory as each dispatch process holds it")
