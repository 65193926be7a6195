"""Reports as intake takes them, in plain Python: what a channel hands over, the tunable rules, the answer, and how a
report's sub-item is chosen (the resident's pick, or the classifier and its confidence)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from services.intake.domain.categories import Category, UnknownCategory
from services.intake.domain.duplicates import DuplicatePolicy
from services.intake.domain.reference import CategoryTree
from shared.events import Channel, ClassifiedBy

MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class IntakePolicy:
    """The tunable rules, from settings."""

    triage_confidence: float = 0.5
    duplicates: DuplicatePolicy = field(default_factory=DuplicatePolicy)
    fallback_category: str = "consultation"
    #: Where a report outside the jurisdiction belongs (``domain/neighbours.py``).
    neighbours: tuple = ()


@dataclass(frozen=True)
class ReportDraft:
    """A report as any channel hands it over, before intake has understood it."""

    channel: Channel
    description: str
    category_code: str | None = None
    picked_by: ClassifiedBy = ClassifiedBy.RESIDENT
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    address_id: str | None = None
    name: str | None = None
    phone: str | None = None
    anonymous: bool = False
    urgent: bool = False
    photo_ids: Sequence[UUID] = ()
    attributes: Mapping[str, str | list[str]] = field(default_factory=dict)
    external_ref: str | None = None
    channel_detail: str | None = None
    submitted_by: str | None = None
    media_url: str | None = None
    #: A slip's kind and the day the resident handed it in (batch imports).
    source_kind: str | None = None
    handed_in_on: date | None = None
    #: The tracking code of an open case the resident says is their problem too ("add your voice").
    joins: str | None = None


@dataclass(frozen=True)
class ReportOutcome:
    report_id: UUID
    case_id: UUID
    tracking_code: str
    linked: bool
    replayed: bool
    category_code: str
    confidence: float
    needs_triage: bool


@dataclass(frozen=True)
class Classified:
    """The sub-item a report is filed under, how sure intake is, and whether a person must confirm it."""

    category: Category
    confidence: float
    by: ClassifiedBy
    needs_triage: bool
    suggested_code: str | None


class UnknownPick(Exception):
    """The resident (or operator) picked a sub-item that new reports cannot be filed under."""


def classify(tree: CategoryTree, draft: ReportDraft, report_words: list[str], policy: IntakePolicy) -> Classified:
    suggestion = tree.classifier.classify_words(report_words)
    if draft.category_code:
        try:
            category = tree.current(draft.category_code)
        except UnknownCategory:
            raise UnknownPick(draft.category_code) from None
        return Classified(category, 1.0, draft.picked_by, False, suggestion.category_code)
    code = suggestion.category_code or policy.fallback_category
    needs_triage = suggestion.category_code is None or suggestion.confidence < policy.triage_confidence
    return Classified(tree.current(code), suggestion.confidence, ClassifiedBy.CLASSIFIER, needs_triage,
                      suggestion.category_code)


def reporter_ref(reporter_id: UUID | None, case_id: UUID) -> str:
    """The reference other services know a resident by: stable per resident, meaningless outside intake."""
    return f"rp-{reporter_id}" if reporter_id else f"anon-{case_id}"
