"""Intake's reference data as plain values: the category tree with its classifier, the map with its gazetteer."""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.domain.categories import Category, UnknownCategory
from services.intake.domain.classification import Classifier
from services.intake.domain.location import Gazetteer, JurisdictionMap


@dataclass(frozen=True)
class CategoryTree:
    """The current version of every sub-item (retired ones too: old cases name them) and the classifier."""

    categories: dict[str, Category]
    active: frozenset[str]
    classes: dict[str, tuple[str, str]]
    classifier: Classifier

    def current(self, code: str) -> Category:
        """A sub-item new reports may be filed under."""
        if code not in self.active:
            raise UnknownCategory(code)
        return self.categories[code]

    def by_service_code(self, service_code: str) -> Category:
        for code in self.active:
            if self.categories[code].service_code == service_code:
                return self.categories[code]
        raise UnknownCategory(service_code)


@dataclass(frozen=True)
class Ground:
    map: JurisdictionMap
    gazetteer: Gazetteer
