"""The names a person reads for the codes the services exchange (units, sub-items and their classes, areas), in the
reader's language, as plain values: a code no event has named yet is shown as it is rather than hidden."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

LOCALES = ("zh", "en")


@dataclass(frozen=True)
class Name:
    zh: str
    en: str
    parent_id: str | None = None
    level: str | None = None

    def in_(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


@dataclass(frozen=True)
class Names:
    """Every name a service keeps, by kind (``unit``, ``category``, ``category_class``, ``area``) and id."""

    entries: Mapping[tuple[str, str], Name] = field(default_factory=dict)

    def of(self, kind: str, code: str | None, locale: str = "zh") -> str:
        if code is None:
            return ""
        name = self.entries.get((kind, str(code)))
        return name.in_(locale) if name else str(code)

    def with_defaults(self, entries: Mapping[tuple[str, str], Name]) -> Names:
        """These names too, where none is kept yet (an event's own ``unit_name`` before the unit's event arrived)."""
        missing = {key: name for key, name in entries.items() if key not in self.entries}
        return Names({**self.entries, **missing}) if missing else self

    def unit(self, unit_id: str | None, locale: str = "zh") -> str:
        return self.of("unit", unit_id, locale)

    def units(self, unit_ids: Iterable[str], locale: str = "zh") -> str:
        return ("、" if locale != "en" else ", ").join(self.unit(u, locale) for u in unit_ids)

    def category(self, code: str | None, locale: str = "zh") -> str:
        return self.of("category", code, locale)

    def category_class(self, code: str | None, locale: str = "zh") -> str:
        return self.of("category_class", code, locale)

    def area(self, area_id: str | None, locale: str = "zh") -> str:
        return self.of("area", area_id, locale)

    def place(self, area: Mapping | object | None, locale: str = "zh", *, with_district: bool = False) -> str:
        """Where a case lies as a person says it: street, community and grid (and the district when asked), from an
        area path (its ``*_id`` fields, as a mapping or an object)."""
        if area is None:
            return ""
        levels = ("district_id", "street_id", "community_id", "grid_id")[0 if with_district else 1:]
        get = area.get if isinstance(area, Mapping) else lambda key: getattr(area, key, None)
        parts = [self.area(get(level), locale) for level in levels if get(level)]
        return (" " if locale != "en" else ", ").join(parts if locale != "en" else reversed(parts))

    def area_path(self, area_id: str) -> tuple[str, ...]:
        """The area and the areas above it, up to the district (as far as the names know them)."""
        path, seen = [area_id], {area_id}
        while (name := self.entries.get(("area", path[-1]))) and name.parent_id and name.parent_id not in seen:
            path.append(name.parent_id)
            seen.add(name.parent_id)
        return tuple(path)

    def listed(self, kind: str, locale: str = "zh", *, level: str | None = None,
               under: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
        """(id, name) of every entry of a kind (areas of one level; only those within the area path ``under``, or
        holding it), by name, for a page's choices."""
        chosen = []
        for (k, code), name in self.entries.items():
            if k != kind or (level is not None and name.level != level):
                continue
            if under is not None:
                down = tuple(reversed(self.area_path(code)))
                if down[:len(under)] != under and under[:len(down)] != down:
                    continue
            chosen.append((code, name.in_(locale)))
        return sorted(chosen, key=lambda entry: entry[1])

    def district(self, locale: str = "zh") -> str:
        """The jurisdiction's own name (the one area without a parent)."""
        for (kind, _), name in self.entries.items():
            if kind == "area" and name.level == "district":
                return name.in_(locale)
        return ""

    def for_locale(self, locale: str) -> dict[str, dict[str, str]]:
        """Every name in one language, by kind then id (a page or a template's lookup)."""
        table: dict[str, dict[str, str]] = {}
        for (kind, code), name in self.entries.items():
            table.setdefault(kind, {})[code] = name.in_(locale)
        return table
