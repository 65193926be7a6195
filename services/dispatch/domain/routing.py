"""Routing in plain Python: which rule fires for a case, and which unit it names as lead and assisting."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter

from shared.events import AreaPath


@dataclass(frozen=True)
class Unit:
    id: str
    kind: str
    name_zh: str
    areas: frozenset[str]
    categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    """Sub-item (or class, or any) x area (or anywhere) -> lead (a named unit, or the unit of a kind serving the area)."""

    id: str
    category: str | None = None
    area: str | None = None
    lead: str | None = None
    lead_kind: str | None = None
    assisting: tuple[str, ...] = ()
    assisting_kind: str | None = None
    local_only: bool = False


@dataclass(frozen=True)
class CaseToRoute:
    category_code: str
    category_class: str
    handle_locally: bool
    area: AreaPath


@dataclass(frozen=True)
class Decision:
    rule_id: str
    lead: Unit
    assisting: tuple[Unit, ...] = field(default=())


class Unroutable(Exception):
    """No rule names a unit for this case: it goes to the linkage centre's triage queue."""


class Directory:
    """Units and rules, indexed so one decision touches only the rules of its category."""

    def __init__(self, units: Iterable[Unit], rules: Iterable[Rule]):
        self.units = {u.id: u for u in units}
        self._by_kind_area: dict[tuple[str, str], list[Unit]] = defaultdict(list)
        for unit in sorted(self.units.values(), key=lambda u: u.id):
            for area in unit.areas:
                self._by_kind_area[(unit.kind, area)].append(unit)
        # By (category, area): a decision looks up only the few keys its case can match, however many rules there are.
        self._rules: dict[tuple[str | None, str | None], list[Rule]] = defaultdict(list)
        for rule in rules:
            self._rules[(rule.category, rule.area)].append(rule)

    def board_units(self, area_ids: Iterable[str], category_codes: Iterable[str],
                    *, exclude: Iterable[str] = ()) -> tuple[str, ...]:
        """The units told of a case on the claiming board: those working where it lies that handle its sub-item or
        class (all working there, if none does), but not those that gave it back."""
        area_ids, categories, exclude = set(area_ids), set(category_codes), set(exclude)
        there = [u for u in sorted(self.units.values(), key=lambda u: u.id)
                 if u.areas & area_ids and u.id not in exclude]
        handling = [u for u in there if u.categories & categories]
        return tuple(u.id for u in handling or there)

    def route(self, case: CaseToRoute, *, exclude: frozenset[str] = frozenset()) -> Decision:
        """The most specific matching rule that names an available unit wins.

        Specificity: a local-handling rule first (what the community can solve is solved locally), then area depth
        (grid > community > street > district > anywhere), then category (sub-item > class > any), then rule id.
        """
        path = case.area.ids()
        depth = {area_id: i + 1 for i, area_id in enumerate(path)}
        candidates = []
        for category_rank, key in ((2, case.category_code), (1, case.category_class), (0, None)):
            for area in (None, *path):
                for rule in self._rules.get((key, area), ()):
                    if rule.local_only and not case.handle_locally:
                        continue
                    # Smallest first: local before not, deeper area, narrower category, then rule id.
                    candidates.append(((not rule.local_only, -depth.get(rule.area, 0), -category_rank, rule.id), rule))
        candidates.sort(key=itemgetter(0))
        for _, rule in candidates:
            lead = self._resolve(rule.lead, rule.lead_kind, path, exclude)
            if lead is not None:
                assisting = [self.units[u] for u in rule.assisting if u in self.units and u not in exclude]
                if rule.assisting_kind:
                    extra = self._resolve(None, rule.assisting_kind, path, exclude)
                    if extra is not None:
                        assisting.append(extra)
                return Decision(rule_id=rule.id, lead=lead, assisting=tuple(a for a in assisting if a.id != lead.id))
        raise Unroutable(f"no rule names an available unit for {case.category_code} in {case.area.grid_id}")

    def _resolve(self, unit_id: str | None, kind: str | None, path: tuple[str, ...],
                 exclude: frozenset[str]) -> Unit | None:
        if unit_id is not None:
            unit = self.units.get(unit_id)
            return unit if unit is not None and unit.id not in exclude else None
        for area_id in reversed(path):  # the unit of that kind closest to the case
            for unit in self._by_kind_area.get((kind, area_id), ()):
                if unit.id not in exclude:
                    return unit
        return None
